"""The extraction-quality measure: main text kept, navigation left behind, precision."""

import pytest

from batch_platform.defs.content.logic.documentation_corpus import (
    MAIN_SELECTOR,
    NAVIGATION_SELECTORS,
    sample,
)
from batch_platform.defs.content.logic.extraction_quality import (
    PageQuality,
    ReferenceText,
    corpus_quality,
    page_quality,
    reference_text,
    word_counts,
)

REFERENCE = ReferenceText(
    main="Basic Usage. The json module encodes objects; json.dumps returns a string.",
    navigation="Table of Contents Basic Usage Previous topic Next topic Report a Bug © Copyright",
)


def test_words_are_case_folded_and_punctuation_is_ignored():
    assert word_counts("JSON, json; Json.dumps()") == {"json": 3, "dumps": 1}


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        # The main text exactly, formatted otherwise: perfect.
        ("basic usage\n• the JSON module encodes objects\njson.dumps returns a string", (1, 1, 1)),
        # Nothing: no main text kept, but no navigation either.
        ("", (0, 1, 0)),
        # Half the main words (6 of 12).
        ("Basic Usage. The json module encodes", (0.5, 1, 1)),
        # Main text and the whole navigation: the words the sidebar shares with the main text
        # ("Basic Usage", "a") are main text; its other 10 words leaked.
        (REFERENCE.main + " " + REFERENCE.navigation, (1, 0, 12 / 25)),
        # Main text and part of the footer (2 of those 10 words).
        (REFERENCE.main + " Copyright Bug", (1, 0.8, 12 / 14)),
    ],
)
def test_page_quality(output, expected):
    quality = page_quality(output, REFERENCE)
    assert quality == PageQuality(*(pytest.approx(value) for value in expected))


def test_a_page_without_main_text_or_navigation_scores_full_marks():
    assert page_quality("", ReferenceText("", "")) == PageQuality(1.0, 1.0, 1.0)
    assert page_quality("stray words", ReferenceText("", "")) == PageQuality(1.0, 1.0, 0.0)


def test_the_reference_is_the_text_of_the_marked_elements():
    html = (
        "<html><body><div class='related' role='navigation'>index modules next</div>"
        "<div class='document'><div class='body' role='main'><h1>json</h1><p>Encode "
        "<code>objects</code>.</p></div></div><div class='sphinxsidebar'>Previous topic</div>"
        "<div class='footer'>© Copyright</div></body></html>"
    )
    reference = reference_text(html, MAIN_SELECTOR, NAVIGATION_SELECTORS)
    assert word_counts(reference.main) == word_counts("json Encode objects")
    assert word_counts(reference.navigation) == word_counts(
        "index modules next Previous topic Copyright"
    )


def test_corpus_quality_is_the_mean_of_the_pages():
    total = corpus_quality([PageQuality(1.0, 1.0, 1.0), PageQuality(0.2, 0.5, 0.9)])
    assert (total.pages, total.main_kept, total.navigation_left_behind) == (2, 0.6, 0.75)
    assert total.precision == pytest.approx(0.95) and total.pages_keeping_under_half == 1
    with pytest.raises(ValueError, match="no pages"):
        corpus_quality([])


def test_a_sample_spreads_over_the_whole_list():
    assert sample(list(range(10)), 4) == [0, 2, 5, 7]
    assert sample(list(range(3)), 5) == [0, 1, 2]
