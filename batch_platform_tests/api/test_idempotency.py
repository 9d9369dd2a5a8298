"""Idempotency records: new, replayed, reused for another request, in progress, expired."""

import pytest

from batch_platform.api import idempotency
from batch_platform.api.idempotency import StoredResponse, claim, release, store
from batch_platform.api.state_store import immediate, open_state

DAY = 86_400.0


@pytest.fixture
def state(tmp_path):
    with open_state(tmp_path / "state.sqlite") as con:
        yield con


def claimed(con, key="k", fingerprint="f1", now=1000.0, key_id="key1"):
    with immediate(con):
        return claim(con, key_id, key, fingerprint, now, DAY)


def test_a_stored_answer_is_given_again_to_the_same_request(state):
    assert claimed(state).outcome == "new"
    assert claimed(state).outcome == "in_progress"
    answer = StoredResponse(
        202, b'{"batch_id":"b1"}', {"Location": "/v1/batches/b1", "X-Other": "1"}
    )
    with immediate(state):
        store(state, "key1", "k", answer)
    replay = claimed(state, now=2000.0)
    assert replay.outcome == "replay"
    assert replay.stored == StoredResponse(202, answer.body, {"Location": "/v1/batches/b1"})
    assert claimed(state, fingerprint="f2").outcome == "mismatch"
    assert claimed(state, key_id="key2").outcome == "new"  # per API key


def test_a_server_error_releases_the_key(state):
    claimed(state)
    with immediate(state):
        store(state, "key1", "k", StoredResponse(503, b"{}", {}))
    assert claimed(state).outcome == "new"
    with immediate(state):
        release(state, "key1", "k")
    assert claimed(state, fingerprint="other").outcome == "new"


def test_records_expire_and_abandoned_claims_are_taken_over(state):
    claimed(state, now=1000.0)
    assert claimed(state, now=1000.0 + 299).outcome == "in_progress"
    assert claimed(state, now=1000.0 + 301).outcome == "new"
    with immediate(state):
        store(state, "key1", "k", StoredResponse(202, b"{}", {}))
    assert claimed(state, now=1301.0 + DAY - 1).outcome == "replay"
    assert claimed(state, fingerprint="f2", now=1301.0 + DAY + 1).outcome == "new"


@pytest.mark.parametrize("key", ["a", "order-17", "x" * 255, " spaced key "])
def test_valid_keys(key):
    assert idempotency.check_key(key) == key


@pytest.mark.parametrize("key", ["", "x" * 256, "é", "tab\there", "new\nline"])
def test_invalid_keys(key):
    with pytest.raises(ValueError, match="Idempotency-Key"):
        idempotency.check_key(key)


def test_the_fingerprint_covers_method_path_query_type_and_body():
    base = ("POST", "/v1/batches", "priority=1", "application/json", b"{}")
    fingerprints = {
        idempotency.request_fingerprint(*variant)
        for variant in [
            base,
            ("PUT", *base[1:]),
            (base[0], "/v1/other", *base[2:]),
            (*base[:2], "priority=2", *base[3:]),
            (*base[:3], "text/plain", base[4]),
            (*base[:4], b"{ }"),
        ]
    }
    assert len(fingerprints) == 6
    assert idempotency.request_fingerprint(*base) == idempotency.request_fingerprint(
        "post", "/v1/batches", "priority=1", "Application/JSON", b"{}"
    )
