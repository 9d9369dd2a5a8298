"""Extraction, sentence chunking and duplicate fingerprints."""

import itertools

import pytest

from batch_platform.defs.content.logic.chunking import chunk_text, sentence_spans
from batch_platform.defs.content.logic.dedup import content_hash, hamming, simhash
from batch_platform.defs.content.logic.extract import extract
from batch_platform.defs.content.logic.local_site import (
    article_html,
    article_text,
    near_duplicate_html,
)


def test_html_main_text_title_and_language():
    found = extract(article_html(3), "text/html; charset=utf-8", None)
    assert found.kind == "html" and found.title == "Article 3" and found.language == "en"
    for paragraph in article_text(3):
        assert paragraph in found.text
    assert "Privacy" not in found.text and "About" not in found.text


def test_an_html_title_shows_its_character_references_as_characters():
    body = (
        b"<html><head><title>About &#8212; Python &amp; C&nbsp;&lt;3&gt;</title></head>"
        b"<body><main><p>Some text.</p></main></body></html>"
    )
    assert extract(body, "text/html", None).title == "About \u2014 Python & C <3>"


def test_plain_text_and_markdown_pass_through():
    text = extract(b"First line\r\nsecond line", "text/plain", "de-DE, en")
    assert (text.kind, text.title, text.language, text.text) == (
        "text", "First line", "de-de", "First line\nsecond line",
    )  # fmt: skip
    markdown = extract("intro\n# Título\n\nbody".encode(), "text/markdown; charset=utf-8", None)
    assert (markdown.kind, markdown.title, markdown.text) == (
        "markdown", "Título", "intro\n# Título\n\nbody",
    )  # fmt: skip


def test_latin1_declared_charset_is_decoded():
    assert extract("café".encode("latin-1"), "text/plain; charset=iso-8859-1", None).text == "café"


def test_sentences_end_at_punctuation_and_line_breaks():
    text = 'He said "Stop." Then left! Why? Heading\nNext line (see e.g. this). End'
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        'He said "Stop."', "Then left!", "Why?", "Heading", "Next line (see e.g.",
        "this).", "End",
    ]  # fmt: skip


@pytest.mark.parametrize(("size", "overlap"), [(50, 0), (120, 40), (300, 120), (1000, 200)])
def test_chunks_cover_the_text_within_size_and_overlap(size, overlap):
    text = "\n\n".join(article_text(11, paragraphs=12))
    chunks = chunk_text(text, size, overlap)
    covered = set()
    for chunk in chunks:
        assert len(chunk.text) <= size and text[chunk.start : chunk.end] == chunk.text
        covered.update(range(chunk.start, chunk.end))
    words = {i for i, ch in enumerate(text) if not ch.isspace()}
    assert words <= covered
    for previous, following in itertools.pairwise(chunks):
        assert following.start > previous.start
        assert previous.end - following.start <= overlap


def test_a_sentence_longer_than_a_chunk_is_cut_at_spaces():
    text = "word " * 60 + "end."
    chunks = chunk_text(text.strip(), 50, 0)
    assert all(len(c.text) <= 50 for c in chunks) and chunks[-1].text.endswith("end.")
    assert chunk_text("", 100, 10) == []


@pytest.mark.parametrize(("size", "overlap"), [(10, 0), (100, 100), (100, -1)])
def test_bad_chunk_settings(size, overlap):
    with pytest.raises(ValueError):
        chunk_text("text", size, overlap)


def test_exact_hash_ignores_case_and_whitespace_only():
    assert content_hash("Hello   World\n") == content_hash("hello world")
    assert content_hash("hello world") != content_hash("hello world!")


def test_simhash_separates_near_duplicates_from_different_pages():
    original = extract(article_html(5), "text/html", None).text
    near = extract(near_duplicate_html(5), "text/html", None).text
    assert hamming(simhash(original), simhash(original)) == 0
    assert hamming(simhash(original), simhash(near)) <= 6
    distances = [
        hamming(simhash(original), simhash(extract(article_html(n), "text/html", None).text))
        for n in range(100, 140)
    ]
    assert min(distances) > 6
    assert simhash("") == 0 and 0 <= simhash("one two three four five") < 2**64
