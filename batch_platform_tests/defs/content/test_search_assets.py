"""Chunk embeddings and the search index through the assets: every chunk embedded and indexed,
unchanged text never embedded twice (re-runs, other batches), a new model re-embeds; an
OpenAI-compatible endpoint on 127.0.0.1 as the embedder; search collapsed by page."""

import pytest

from batch_platform.defs.content.assets.batch_items import record_url_batch
from batch_platform.defs.content.assets.fetch_results import fetch_url_batch
from batch_platform.defs.content.assets.pages import clean_url_batch
from batch_platform.defs.content.assets.search import content_chunk_embeddings, content_search_index
from batch_platform.defs.content.logic.embedders import (
    EmbeddingError,
    load_embedding_settings,
    make_embedder,
)
from batch_platform.defs.content.logic.local_site import article_text
from batch_platform.defs.content.logic.search import SearchError, SearchIndex
from batch_platform.defs.content.logic.search_index import index_path
from batch_platform_tests.defs.content.embedding_server import serve_embeddings

EVERYTHING = [
    fetch_url_batch,
    record_url_batch,
    clean_url_batch,
    content_chunk_embeddings,
    content_search_index,
]
SEARCH = [content_chunk_embeddings, content_search_index]


def materialized(result, name: str) -> dict:
    event = next(
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key.path[-1] == f"content_{name}"
    )
    return {k: v.value for k, v in event.materialization.metadata.items()}


def checks(result) -> dict[str, bool]:
    return {
        f"{e.asset_key.path[-1]}:{e.asset_check_key.name}": e.passed
        for e in result.get_asset_check_evaluations()
        if e.asset_key.path[-1] in ("content_chunk_embeddings", "content_search_index")
    }


@pytest.fixture(autouse=True)
def no_endpoint(monkeypatch):
    for name in ("URL", "MODEL", "API_KEY", "DIMENSIONS", "BATCH_SIZE", "ALLOWED_NETWORKS"):
        monkeypatch.delenv(f"BATCH_PLATFORM_EMBEDDINGS_{name}", raising=False)


def test_every_chunk_is_embedded_once_and_searchable(content_platform):
    site = content_platform.site
    first = content_platform.write_list(
        "first.txt", [site.url(p) for p in ("/page/1", "/page/2", "/page/3", "/near/1", "/dup/2")]
    )
    result = content_platform.run(first, EVERYTHING)
    assert result.success
    assert all(checks(result).values()) and len(checks(result)) == 5, checks(result)
    chunks = content_platform.query(
        "SELECT count(*) FROM content.chunks WHERE partition_key = ?", [first]
    )[0][0]
    embedded = materialized(result, "chunk_embeddings")
    # The near duplicate's chunks that repeat page 1's text are reused within the batch.
    assert embedded["embedded"] + embedded["reused"] == chunks > 0
    assert embedded["model"].startswith("wordllama-l2_supercat-256@")
    assert embedded["dimensions"] == 256
    index = materialized(result, "search_index")
    assert (index["dagster/row_count"], index["batches"], index["chunks_without_vector"]) == (
        chunks,
        1,
        0,
    )
    assert index["pages"] == 3  # the near duplicate collapses into page 1

    # A re-run embeds nothing; a second batch embeds only its new pages.
    again = materialized(content_platform.run(first, SEARCH), "chunk_embeddings")
    assert (again["embedded"], again["reused"]) == (0, chunks)
    second = content_platform.write_list(
        "second.txt", [site.url(p) for p in ("/page/2", "/page/3", "/page/4")]
    )
    result = content_platform.run(second, EVERYTHING)
    assert all(checks(result).values()), checks(result)
    page_4 = content_platform.query(
        "SELECT count(*) FROM content.chunks WHERE partition_key = ? AND url LIKE '%/page/4'",
        [second],
    )[0][0]
    assert materialized(result, "chunk_embeddings")["embedded"] == page_4
    assert materialized(result, "search_index")["batches"] == 2

    path = index_path(content_platform.warehouse)
    query = article_text(3)[2]  # a paragraph of page 3, in both batches
    with SearchIndex(path, make_embedder) as index:
        for mode in ("hybrid", "bm25", "vector"):
            hits = index.search(query, k=5, mode=mode)
            assert hits[0].page_url == site.url("/page/3"), (mode, hits[0])
            assert len({h.page_url for h in hits}) == len(hits)  # collapsed by page
            assert hits[0].title == "Article 3"
        only_first = index.search(query, k=10, batch=first)
        assert {h.batch_id for h in only_first} == {first}
        near = index.search(" ".join(article_text(1)), k=10, mode="bm25")
        assert [h.page_url for h in near].count(site.url("/page/1")) == 1
        assert site.url("/near/1") not in {h.page_url for h in near}
        with pytest.raises(SearchError, match="mode must be one of"):
            index.search(query, mode="fuzzy")


def test_an_endpoint_embeds_in_batches_with_retries_and_a_new_model_re_embeds(
    content_platform, monkeypatch
):
    site = content_platform.site
    key = content_platform.write_list("endpoint.txt", [site.url(f"/page/{n}") for n in (1, 2)])
    assert content_platform.run(key, EVERYTHING).success
    static = content_platform.query(
        "SELECT DISTINCT model FROM content.chunk_embeddings WHERE partition_key = ?", [key]
    )
    chunks = content_platform.query(
        "SELECT count(*) FROM content.chunks WHERE partition_key = ?", [key]
    )[0][0]
    with serve_embeddings(dimensions=48) as endpoint:
        monkeypatch.setenv("BATCH_PLATFORM_EMBEDDINGS_URL", endpoint.url)
        monkeypatch.setenv("BATCH_PLATFORM_EMBEDDINGS_MODEL", "hashed-words")
        monkeypatch.setenv("BATCH_PLATFORM_EMBEDDINGS_API_KEY", "sk-test")
        monkeypatch.setenv("BATCH_PLATFORM_EMBEDDINGS_BATCH_SIZE", "4")
        monkeypatch.setenv("BATCH_PLATFORM_EMBEDDINGS_ALLOWED_NETWORKS", "127.0.0.1/32")
        result = content_platform.run(key, SEARCH)
        assert result.success and all(checks(result).values()), checks(result)
        embedded = materialized(result, "chunk_embeddings")
        assert (embedded["embedded"], embedded["model"], embedded["dimensions"]) == (
            chunks,
            "hashed-words",
            48,
        )
        # The first request was answered 429 and sent again; then batches of at most 4.
        assert len(endpoint.requests) == 1 + -(-chunks // 4)
        assert endpoint.requests[0] == endpoint.requests[1]
        assert all(len(r["input"]) <= 4 for r in endpoint.requests)
        assert set(endpoint.authorizations) == {"Bearer sk-test"}
        assert materialized(result, "search_index")["model"] == "hashed-words"
        again = materialized(content_platform.run(key, SEARCH), "chunk_embeddings")
        assert again["embedded"] == 0
        with SearchIndex(index_path(content_platform.warehouse), make_embedder) as index:
            hits = index.search(article_text(2)[1], k=3, mode="vector")
            assert hits[0].page_url == site.url("/page/2")
    assert static != [("hashed-words",)]
    monkeypatch.delenv("BATCH_PLATFORM_EMBEDDINGS_URL")
    with SearchIndex(index_path(content_platform.warehouse), make_embedder) as index:
        # The static model is configured again: the index's vectors are of another model.
        with pytest.raises(SearchError, match="vectors of hashed-words"):
            index.search("anything", mode="vector")
        assert index.search(article_text(2)[1], k=1, mode="bm25")[0].page_url == site.url("/page/2")


def test_an_endpoint_outside_the_allowed_networks_is_refused(monkeypatch):
    monkeypatch.setenv("BATCH_PLATFORM_EMBEDDINGS_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("BATCH_PLATFORM_EMBEDDINGS_MODEL", "m")
    with pytest.raises(EmbeddingError, match=r"address not allowed: 127\.0\.0\.1"):
        make_embedder(load_embedding_settings()).embed(["text"])
    monkeypatch.delenv("BATCH_PLATFORM_EMBEDDINGS_MODEL")
    with pytest.raises(ValueError, match="needs BATCH_PLATFORM_EMBEDDINGS_MODEL"):
        load_embedding_settings()
