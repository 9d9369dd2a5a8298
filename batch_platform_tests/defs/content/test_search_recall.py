"""Recall of search on real pages: every page of Python's documentation (530 Sphinx pages, at
least 500) served from 127.0.0.1 and run through the content assets, with a labelled query set
built here: from each page, one sentence of its body (in a ``<p>``) that appears on no other
page is taken out of the page before it is served, and becomes a query
whose answer is that page. The sentence is in no indexed text, so a hit means the search found
the page from its context. recall@10 of BM25, vector and hybrid search are printed
(docs/search.md has them). Hybrid must reach issue 20's target of 0.8 and be no worse than
either alone; measured here it is 0.826 (BM25 0.820, vector 0.707, 488 queries). The same
search on query sets drawn with other seeds (21, 22) gives 0.799 and 0.801: the target holds
on this set with a margin of 13 queries, and is at the edge on others (docs/search.md)."""

import html
import os
import random
import re
import shutil
from collections import Counter

import dagster as dg
import pytest

from batch_platform.defs.common.resources import LandingResource, WarehouseResource
from batch_platform.defs.content.assets.batch_items import record_url_batch
from batch_platform.defs.content.assets.fetch_results import fetch_url_batch
from batch_platform.defs.content.assets.pages import clean_url_batch
from batch_platform.defs.content.assets.search import content_chunk_embeddings, content_search_index
from batch_platform.defs.content.logic.documentation_corpus import (
    PYTHON_DOCS,
    CorpusMissing,
    corpus_pages,
)
from batch_platform.defs.content.logic.embedders import make_embedder
from batch_platform.defs.content.logic.search import MODES, SearchIndex
from batch_platform.defs.content.logic.search_index import index_path
from batch_platform.defs.content.logic.static_site import serve_directory
from batch_platform.defs.content.resources import ContentResource, EmbeddingsResource
from batch_platform.lib.keys import partition_key_for

pytestmark = pytest.mark.xdist_group("content_search_recall")
K = 10
HYBRID_FLOOR = 0.8  # issue 20's target; measured 0.826 (see the docstring)
# A paragraph of the body and its sentences, as HTML: a sentence keeps its inline markup (code,
# links, emphasis), which must open and close inside it, so that it can be cut out of the page.
PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.DOTALL)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z<])")
TAG = re.compile(r"<[^>]*>")


def _normal(text: str) -> str:
    return " ".join(text.split()).lower()


def _text(fragment: str) -> str:
    return " ".join(html.unescape(TAG.sub("", fragment)).split())


def _balanced(fragment: str) -> bool:
    return sorted(re.findall(r"<(\w+)", fragment)) == sorted(re.findall(r"</(\w+)>", fragment))


def held_out_sentences(pages: dict[str, str], seed: int = 20) -> dict[str, tuple[str, str]]:
    """Per page, one sentence of 10–40 words of its body that no other page has: its HTML (to
    cut out of the page) and its text (the query)."""
    rng = random.Random(seed)
    candidates = {
        name: [
            (fragment, _text(fragment))
            for paragraph in PARAGRAPH.findall(page)
            for fragment in SENTENCE_END.split(paragraph)
            if _balanced(fragment)
        ]
        for name, page in pages.items()
    }
    seen = Counter(_normal(text) for found in candidates.values() for _, text in set(found))
    chosen = {}
    for name, found in candidates.items():
        usable = [
            (fragment, text)
            for fragment, text in found
            if 10 <= len(text.split()) <= 40 and text[-1] in ".!?" and seen[_normal(text)] == 1
        ]
        rng.shuffle(usable)
        # The first that the page has once (so cutting it out removes it).
        once = (sentence for sentence in usable if pages[name].count(sentence[0]) == 1)
        if sentence := next(once, None):
            chosen[name] = sentence
    return chosen


@pytest.fixture(scope="module")
def searched(tmp_path_factory):
    try:
        names = [str(page) for page in corpus_pages(PYTHON_DOCS)]
    except CorpusMissing as missing:
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(str(missing))  # CI installs it: missing there is a broken setup
        pytest.skip(str(missing))
    assert len(names) >= 500
    root = tmp_path_factory.mktemp("search_recall")
    site = root / "site"
    pages = {name: (PYTHON_DOCS / name).read_text(encoding="utf-8") for name in names}
    queries = held_out_sentences(pages)
    for name, page in pages.items():
        target = site / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if name in queries:
            page = page.replace(queries[name][0], "", 1)
        target.write_text(page, encoding="utf-8")
    landing = root / "landing"
    (landing / "url_batches").mkdir(parents=True)
    warehouse = WarehouseResource(database=str(root / "warehouse"))
    previous = os.environ.get("BATCH_PLATFORM_CONTENT_ALLOWED_NETWORKS")
    os.environ["BATCH_PLATFORM_CONTENT_ALLOWED_NETWORKS"] = "127.0.0.1/32"
    try:
        with serve_directory(site) as base_url, dg.DagsterInstance.ephemeral() as instance:
            (landing / "url_batches" / "docs.txt").write_text(
                "\n".join(f"{base_url}/{name}" for name in names)
            )
            key = partition_key_for("docs.txt")
            instance.add_dynamic_partitions("url_batches", [key])
            result = dg.materialize(
                [
                    fetch_url_batch,
                    record_url_batch,
                    clean_url_batch,
                    content_chunk_embeddings,
                    content_search_index,
                ],
                partition_key=key,
                resources={
                    "duckdb": warehouse,
                    "landing": LandingResource(landing_dir=str(landing), settle_seconds=0),
                    "content": ContentResource(cache_max_age=0, max_failure_rate=0.0),
                    "embeddings": EmbeddingsResource(),
                },
                instance=instance,
            )
    finally:
        if previous is None:
            os.environ.pop("BATCH_PLATFORM_CONTENT_ALLOWED_NETWORKS", None)
        else:
            os.environ["BATCH_PLATFORM_CONTENT_ALLOWED_NETWORKS"] = previous
    with warehouse.get_connection() as con:
        # A near or exact duplicate is found as the page it repeats.
        answer_of = {
            url.removeprefix(f"{base_url}/"): original or url
            for url, original in con.execute(
                "SELECT url, CASE WHEN dup_status IN ('near_duplicate', 'exact_duplicate') "
                "THEN duplicate_of_url END FROM content.pages WHERE partition_key = ?",
                [key],
            ).fetchall()
        }
    yield {
        "result": result,
        "queries": {text: answer_of[name] for name, (_, text) in queries.items()},
        "pages": len(names),
        "index": index_path(warehouse.path),
    }
    shutil.rmtree(root, ignore_errors=True)


def test_hybrid_search_finds_the_page_of_a_held_out_sentence(searched):
    result, queries = searched["result"], searched["queries"]
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
    assert len(queries) >= 450, len(queries)
    found = dict.fromkeys(MODES, 0)
    with SearchIndex(searched["index"], make_embedder) as index:
        results = index.search_many(list(queries), k=K)
    for answer, result in zip(queries.values(), results, strict=True):
        for mode, hits in result.items():
            found[mode] += answer in {hit.page_url for hit in hits}
    recall = {mode: round(found[mode] / len(queries), 3) for mode in MODES}
    print(
        f"\nrecall@{K} over {len(queries)} held-out sentences of {searched['pages']} pages: "
        + ", ".join(f"{mode} {value:.3f}" for mode, value in recall.items())
    )
    assert recall["hybrid"] >= HYBRID_FLOOR, recall
    assert recall["hybrid"] >= recall["bm25"] and recall["hybrid"] >= recall["vector"], recall
