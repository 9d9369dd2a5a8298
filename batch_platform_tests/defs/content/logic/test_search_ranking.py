"""How search turns a ranking of chunks into a ranking of pages, without an index."""

import math

import numpy as np
import pytest

from batch_platform.defs.content.logic.search import PAGE_LENGTH_PRIOR, _collapse

PAGE_OF = ["long", "long", "long", "short", "other", "long"]


def test_a_page_keeps_its_best_chunk_and_counts_the_others():
    pages = _collapse([(0, 5.0), (3, 4.0), (1, 3.0), (5, 2.0)], PAGE_OF, {})
    assert list(pages) == ["long", "short"]
    assert (pages["long"].chunk_id, pages["long"].chunks, pages["long"].rank) == (0, 3, 1)
    assert (pages["short"].chunk_id, pages["short"].chunks, pages["short"].rank) == (3, 1, 2)
    assert _collapse([], PAGE_OF, {}) == {}


def test_a_long_page_needs_a_better_best_chunk_than_a_short_one():
    ranked = [(0, 10.0), (3, 9.9), (4, 1.0)]
    lengths = {"long": 20, "short": 2, "other": 1}
    pages = _collapse(ranked, PAGE_OF, lengths)
    assert list(pages) == ["short", "long", "other"]
    spread = float(np.std([10.0, 9.9, 1.0]))  # of the candidates' scores
    assert pages["long"].score == pytest.approx(
        10.0 - PAGE_LENGTH_PRIOR * spread * math.log(20), abs=1e-3
    )
    assert pages["other"].score == 1.0  # one chunk: nothing taken
    # Pages of one length keep the order of their best chunks, ties included.
    same = _collapse([(0, 2.0), (3, 2.0), (4, 1.0)], PAGE_OF, dict.fromkeys(lengths, 5))
    assert [(page, hit.rank) for page, hit in same.items()] == [
        ("long", 1),
        ("short", 2),
        ("other", 3),
    ]
