"""The job API over HTTP (uvicorn on 127.0.0.1), without Dagster: keys, rate limits, size
limits, idempotency, problem details, submitting lists, uploading signal files."""

import json
import os

import pytest

from batch_platform.api.api_keys import revoke_key
from batch_platform.api.state_store import open_state

PROBLEM = "application/problem+json"


def assert_problem(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert (body["status"], body["code"], body["type"]) == (status, code, "about:blank")
    assert body["title"] and body["detail"]
    return body


def landed(api, folder: str = "url_batches") -> list[str]:
    directory = api.landing / folder
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "unauthorized"),
        ("Bearer", "unauthorized"),
        ("Basic dXNlcjpwYXNz", "unauthorized"),
        ("Bearer bpk_000000000000_" + "A" * 43, "invalid_api_key"),
        ("Bearer not-a-key", "invalid_api_key"),
    ],
)
def test_every_request_needs_a_valid_key(api, authorization, code):
    headers = {"Authorization": authorization} if authorization else {}
    with api.client() as client:
        for method, path in [
            ("GET", "/v1/batches/some-batch"),
            ("GET", "/v1/batches/some-batch/results"),
            ("DELETE", "/v1/batches/some-batch"),
            ("POST", "/v1/batches"),
            ("POST", "/v1/portfolio/sweeps"),
            ("GET", "/v1/portfolio/sweeps/x"),
            ("PUT", "/v1/signals/files/a.csv"),
        ]:
            response = client.request(method, path, headers=headers, content=b"x")
            assert assert_problem(response, 401, code)["instance"] == path
            assert response.headers["www-authenticate"].startswith("Bearer")
    assert landed(api) == [] and landed(api, "signals") == []


def test_a_revoked_key_is_refused(api):
    token = api.new_key("short-lived")
    with api.client(token) as client:
        assert client.post("/v1/batches", json={"urls": ["https://a.example/"]}).status_code == 202
        with open_state(api.settings.state_db) as con:
            revoke_key(con, "short-lived")
        assert_problem(client.post("/v1/batches", json={"urls": ["https://a.example/"]}), 401,
                       "invalid_api_key")  # fmt: skip


def test_past_its_limit_a_key_gets_429_with_retry_after(api):
    limited = api.new_key("limited", rate_per_minute=6, rate_burst=3)
    other = api.new_key("other")
    with api.client(limited) as client, api.client(other) as other_client:
        answers = [client.get("/v1/batches/x/results?cursor=bad") for _ in range(3)]
        assert all(a.status_code == 400 for a in answers)  # let through: a bad cursor
        refused = client.get("/v1/batches/x/results?cursor=bad")
        body = assert_problem(refused, 429, "rate_limited")
        # 6 a minute: the next token in 10 s.
        assert refused.headers["retry-after"] == "10" and body["retry_after_seconds"] == 10
        # Another key has its own bucket.
        assert other_client.get("/v1/batches/x/results?cursor=bad").status_code == 400


def test_a_body_over_the_limit_gets_413(api):
    token = api.new_key("sizes")
    big = "\n".join(f"https://a.example/{n}" for n in range(400)).encode()  # > 4,096 bytes
    with api.client(token) as client:
        declared = client.post("/v1/batches", content=big, headers={"Content-Type": "text/plain"})
        assert assert_problem(declared, 413, "request_too_large")["limit_bytes"] == 4096

        def chunks():  # no Content-Length: cut off while streaming
            for start in range(0, len(big), 1000):
                yield big[start : start + 1000]

        streamed = client.post(
            "/v1/batches", content=chunks(), headers={"Content-Type": "text/plain"}
        )
        assert "content-length" not in streamed.request.headers
        assert_problem(streamed, 413, "request_too_large")
        upload = client.put("/v1/signals/files/big.csv", content=b"x" * (64 * 1024 + 1))
        assert_problem(upload, 413, "request_too_large")
    assert landed(api) in ([], [".incoming"])
    assert landed(api, "signals") == []  # no part file left behind


def test_the_same_idempotency_key_returns_the_same_batch(api):
    token = api.new_key("retrying")
    request = {"urls": ["https://a.example/1", "https://a.example/2"], "priority": 3}
    with api.client(token) as client:
        first = client.post("/v1/batches", json=request, headers={"Idempotency-Key": "order-17"})
        again = client.post("/v1/batches", json=request, headers={"Idempotency-Key": "order-17"})
        assert first.status_code == again.status_code == 202
        assert again.json() == first.json()
        assert again.headers["location"] == first.headers["location"]
        assert again.headers["idempotency-replayed"] == "true"
        assert "idempotency-replayed" not in first.headers
        other = client.post("/v1/batches", json=request, headers={"Idempotency-Key": "order-18"})
        assert other.json()["batch_id"] != first.json()["batch_id"]
        changed = client.post(
            "/v1/batches", json={**request, "priority": 4}, headers={"Idempotency-Key": "order-17"}
        )
        assert_problem(changed, 422, "idempotency_key_reused")
        assert_problem(
            client.post("/v1/batches", json=request, headers={"Idempotency-Key": "é".encode()}),
            400,
            "invalid_idempotency_key",
        )
    # Another key's idempotency keys are its own.
    with api.client(api.new_key("someone-else")) as client:
        theirs = client.post("/v1/batches", json=request, headers={"Idempotency-Key": "order-17"})
        assert theirs.json()["batch_id"] != first.json()["batch_id"]
    lists = [n for n in landed(api) if n.startswith("api-") and not n.endswith(".done")]
    assert len(lists) == 3


def test_an_invalid_batch_is_a_problem_and_the_refusal_is_replayed(api):
    token = api.new_key("careless")
    with api.client(token) as client:
        for body, code in [
            ({"urls": []}, "invalid_request"),
            ({"urls": ["https://a.example/", "  "]}, "invalid_request"),
            ({"urls": ["https://a.example/"], "priority": 1000}, "invalid_request"),
            ({"urls": ["https://a.example/"], "colour": "red"}, "invalid_request"),
            ({"urls": ["ftp://a.example/", "not a url"]}, "invalid_url_list"),
        ]:
            assert_problem(client.post("/v1/batches", json=body), 422, code)
        refused = client.post(
            "/v1/batches", json={"urls": ["nope"]}, headers={"Idempotency-Key": "k"}
        )
        replayed = client.post(
            "/v1/batches", json={"urls": ["nope"]}, headers={"Idempotency-Key": "k"}
        )
        assert replayed.status_code == refused.status_code == 422
        assert replayed.json() == refused.json()
        assert_problem(client.post("/v1/batches", content=b"{", headers={
            "Content-Type": "application/json"}), 422, "invalid_request")  # fmt: skip
        assert_problem(client.post("/v1/batches", content=b"<x/>", headers={
            "Content-Type": "application/xml"}), 415, "unsupported_media_type")  # fmt: skip
        assert_problem(client.get("/v1/nothing-here"), 404, "not_found")
        assert_problem(client.patch("/v1/batches"), 405, "method_not_allowed")
    assert [n for n in landed(api) if not n.startswith(".")] == []


def test_json_text_and_csv_lists_land_with_their_submission(api):
    token = api.new_key("crawler-team")
    urls = [
        "https://a.example/1",
        "# not a comment in JSON",
        "https://A.example/1",
        "https://b.example/x,y",
    ]
    with api.client(token) as client:
        as_json = client.post("/v1/batches", json={"urls": urls, "priority": 7})
        as_text = client.post(
            "/v1/batches?priority=-2",
            content=b"# weekly\nhttps://a.example/1\n\nnope\n",
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )
        as_csv = client.post(
            "/v1/batches",
            content=b"url,topic\nhttps://a.example/1,news\n",
            headers={"Content-Type": "text/csv"},
        )
    document = as_json.json()
    assert as_json.status_code == 202
    assert (document["urls"], document["invalid"], document["duplicates"]) == (2, 1, 1)
    assert document["rejected"] == [
        {"index": 1, "value": urls[1], "reason": "invalid URL: URL contains whitespace"},
        {"index": 2, "value": urls[2], "reason": "duplicate of index 0"},
    ]
    assert as_text.json()["rejected"] == [
        {"line": 4, "value": "nope", "reason": "invalid URL: scheme '(none)' is not http or https"}
    ]
    assert as_csv.json()["urls"] == 1
    batch_id = document["batch_id"]
    assert batch_id.startswith("api-") and batch_id.endswith(".csv")
    assert as_text.json()["batch_id"].endswith(".txt")
    directory = api.landing / "url_batches"
    assert (directory / batch_id).read_text().splitlines()[-1] == '"https://b.example/x,y"'
    assert (directory / f"{batch_id}.done").exists()
    submission = json.loads((directory / ".submissions" / f"{batch_id}.json").read_text())
    assert submission["priority"] == 7 and submission["submitted_by"] == "crawler-team"
    text_submission = json.loads(
        (directory / ".submissions" / f"{as_text.json()['batch_id']}.json").read_text()
    )
    assert text_submission["priority"] == -2
    assert os.listdir(directory / ".incoming") == []


def test_a_webhook_must_be_public_unless_allowed(api, monkeypatch):
    token = api.new_key("hooks")
    body = {"urls": ["https://a.example/"], "webhook_url": "http://127.0.0.1:9/hook"}
    with api.client(token) as client:
        refused = client.post("/v1/batches", json=body)
        assert "address not allowed: 127.0.0.1" in assert_problem(
            refused, 422, "invalid_webhook_url")["detail"]  # fmt: skip
        for bad in ["ftp://x.example/", "https://user:pw@x.example/", "https://x.example/a b"]:
            assert_problem(client.post("/v1/batches", json={**body, "webhook_url": bad}), 422,
                           "invalid_webhook_url")  # fmt: skip
        monkeypatch.setenv("BATCH_PLATFORM_API_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.1/32")
        accepted = client.post("/v1/batches", json=body)
    assert accepted.status_code == 202 and accepted.json()["webhook"] is True
    submission = (
        api.landing / "url_batches" / ".submissions" / f"{accepted.json()['batch_id']}.json"
    )
    assert json.loads(submission.read_text())["webhook_url"] == "http://127.0.0.1:9/hook"


def test_without_dagster_status_and_cancel_answer_503(api):
    token = api.new_key("patient")
    with api.client(token) as client:
        for response in (client.get("/v1/batches/some.txt"), client.delete("/v1/batches/some.txt")):
            body = assert_problem(response, 503, "dagster_unavailable")
            assert response.headers["retry-after"] == "5" and "Dagster" in body["detail"]
        assert_problem(client.get("/v1/batches/..%2Fetc"), 404, "not_found")
        assert_problem(client.get("/v1/batches/%20bad"), 404, "batch_not_found")
        sweep = client.post("/v1/portfolio/sweeps", json={"month": "2026-11"})
        assert_problem(sweep, 503, "dagster_unavailable")
        assert_problem(client.post("/v1/portfolio/sweeps", json={"month": "1999-01"}), 422,
                       "invalid_month")  # fmt: skip
        assert_problem(client.post("/v1/portfolio/sweeps", json={"month": "2026-11",
                       "registrations": ["ok-1", "../x"]}), 422, "invalid_request")  # fmt: skip


@pytest.mark.parametrize(
    ("name", "stored_as"),
    [
        ("events 2026-11.csv", "events 2026-11.csv"),
        ("..%2F..%2Fetc%2Fpasswd", "_.._etc_passwd"),
        (".hidden.csv", "hidden.csv"),
        ("a%5Cb.jsonl.gz", "a_b.jsonl.gz"),
        ("Ünïcødé.parquet", "Ünïcødé.parquet"),
    ],
)
def test_a_signal_file_lands_whole_under_a_safe_name(api, name, stored_as):
    token = api.new_key("uploader")
    body = b"event_id,account\n" + b"e1,acme\n" * 2000
    with api.client(token) as client:
        response = client.put(f"/v1/signals/files/{name}", content=body)
    assert response.status_code == 201, response.text
    document = response.json()
    assert document["stored_as"] == stored_as and document["bytes"] == len(body)
    assert document["name"] == name.replace("%2F", "/").replace("%5C", "\\")
    signals = api.landing / "signals"
    assert sorted(p.name for p in signals.iterdir()) == sorted([stored_as, f"{stored_as}.done"])
    assert (signals / stored_as).read_bytes() == body
    assert not list(api.landing.parent.glob("**/passwd"))


@pytest.mark.parametrize(
    "name", ["x.csv.done", "x.csv.part", "X.CSV.TMP", "...", "%2F%2F", "a" * 201]
)
def test_reserved_or_empty_names_are_refused(api, name):
    with api.client(api.new_key("uploader")) as client:
        assert_problem(
            client.put(f"/v1/signals/files/{name}", content=b"x"), 422, "invalid_file_name"
        )
    assert landed(api, "signals") == []


def test_the_openapi_document_and_docs_need_no_key(api):
    with api.client() as client:
        spec = client.get("/openapi.json").json()
        docs = client.get("/docs")
    assert docs.status_code == 200 and "/openapi.json" in docs.text
    assert set(spec["paths"]) == {
        "/v1/batches",
        "/v1/batches/{batch_id}",
        "/v1/batches/{batch_id}/results",
        "/v1/portfolio/sweeps",
        "/v1/portfolio/sweeps/{sweep_id}",
        "/v1/search",
        "/v1/signals/files/{name}",
    }
    assert spec["components"]["securitySchemes"]["ApiKey"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "An API key from `batch-platform api-keys create NAME`.",
    }
    assert set(spec["paths"]["/v1/batches"]["post"]["requestBody"]["content"]) == {
        "application/json",
        "text/plain",
        "text/csv",
    }
