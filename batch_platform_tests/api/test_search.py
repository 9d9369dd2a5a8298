"""``GET /v1/search`` against a real index: authenticated, pages collapsed, each mode, errors
as problem details, and a rebuilt index picked up without a restart."""

from __future__ import annotations

import pytest

from batch_platform_tests.api.conftest import RunningApi, api_settings, serving
from batch_platform_tests.defs.content.search_lake import NEAR, make_search_lake


@pytest.fixture(scope="module")
def search_api(tmp_path_factory):
    root = tmp_path_factory.mktemp("search_api")
    settings = api_settings(root)
    make_search_lake(settings.platform.warehouse, "docs.txt-1")
    with serving(settings) as url:
        yield RunningApi(url, settings)


@pytest.fixture(autouse=True)
def static_model(monkeypatch):
    monkeypatch.delenv("BATCH_PLATFORM_EMBEDDINGS_URL", raising=False)


def test_search_needs_a_key(search_api):
    with search_api.client() as client:
        response = client.get("/v1/search", params={"q": "json"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize("mode", ["hybrid", "bm25", "vector"])
def test_search_returns_pages_best_first(search_api, mode):
    with search_api.client(search_api.new_key(f"reader-{mode}")) as client:
        response = client.get(
            "/v1/search", params={"q": "decode a json string", "k": 3, "mode": mode}
        )
    assert response.status_code == 200, response.text
    document = response.json()
    results = document["results"]
    assert (document["mode"], document["query"]) == (mode, "decode a json string")
    assert document["model"].startswith("wordllama-")
    top = results[0]
    assert (top["page_url"], top["title"]) == (
        "https://docs.example/json",
        "JSON encoding and decoding",
    )
    assert top["rank"] == 1 and top["score"] > 0 and top["batch_id"] == "docs.txt-1"
    assert NEAR not in {r["page_url"] for r in results}
    assert len(results) == len({r["page_url"] for r in results}) <= 3


def test_one_batch_and_bad_parameters(search_api):
    with search_api.client(search_api.new_key("reader")) as client:
        other = client.get("/v1/search", params={"q": "json", "batch": "other.txt-2"})
        bad_mode = client.get("/v1/search", params={"q": "json", "mode": "fuzzy"})
        no_query = client.get("/v1/search")
        too_many = client.get("/v1/search", params={"q": "json", "k": 1000})
    assert other.status_code == 200 and other.json()["results"] == []
    assert {bad_mode.status_code, no_query.status_code, too_many.status_code} == {422}


def test_a_rebuilt_index_is_read_and_a_missing_one_is_503(search_api):
    key = search_api.new_key("rebuilds")
    with search_api.client(key) as client:
        assert client.get("/v1/search", params={"q": "sockets"}).status_code == 200
        make_search_lake(search_api.settings.platform.warehouse, "docs.txt-2")
        # Only the rebuilt index has the second batch.
        answer = client.get("/v1/search", params={"q": "sockets", "batch": "docs.txt-2"})
        assert answer.json()["results"][0]["batch_id"] == "docs.txt-2"
    index = search_api.settings.platform.warehouse / "search" / "content_index.duckdb"
    index.rename(index.with_name("moved.duckdb"))
    try:
        with search_api.client(key) as client:
            missing = client.get("/v1/search", params={"q": "sockets"})
        assert missing.status_code == 503
        assert missing.json()["code"] == "search_unavailable"
    finally:
        index.with_name("moved.duckdb").rename(index)
