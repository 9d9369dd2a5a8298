"""What counts as a word for BM25: a query's stop words match nothing (DuckDB's own match_bm25
stems them, so "in" matched the stem of "ins"), and typographic quotes and dashes separate words
as ASCII punctuation does."""

from __future__ import annotations

import pytest

from batch_platform.defs.content.logic.search import SearchIndex
from batch_platform_tests.defs.content.search_lake import make_search_lake

PAGES = {
    "https://docs.example/rules": (
        "House rules",
        ["The ins and outs of the rules: a “quoted” word—and a dash—then the end."],
    ),
    "https://docs.example/other": (
        "Something else",
        ["Sockets connect hosts over networks and carry bytes between them."],
    ),
}


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    path = make_search_lake(tmp_path_factory.mktemp("search_words") / "warehouse", pages=PAGES)
    with SearchIndex(path) as index:
        yield index


def test_a_query_of_stop_words_matches_nothing(index):
    assert index.search("in and of", mode="bm25") == []


@pytest.mark.parametrize("query", ["quoted", "dash", "word"])
def test_typographic_quotes_and_dashes_separate_words(index, query):
    hits = index.search(query, mode="bm25")
    assert [hit.page_url for hit in hits] == ["https://docs.example/rules"]
