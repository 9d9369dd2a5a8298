"""Change-only sync against real receivers on 127.0.0.1: batching, retries, faults, audit."""

import time

import pytest

from batch_platform.defs.delivery.logic.config import DeliveryConfig, DeliveryConfigError
from batch_platform.defs.delivery.logic.receiver import Fault, Receiver
from batch_platform.defs.delivery.logic.runner import deliver
from batch_platform.defs.delivery.logic.sync import idempotency_key
from batch_platform.lib.warehouse import connect
from batch_platform_tests.defs.delivery.scores import SECRET, http_config, rows, seed_scores

DAY1, DAY2 = "2026-03-01", "2026-03-02"


@pytest.fixture
def con(tmp_path):
    connection = connect(tmp_path / "w")
    yield connection
    connection.close()


@pytest.fixture
def env():
    return {"BATCH_PLATFORM_SIGNING_SECRET": SECRET}


def run(con, tmp_path, config, env, day=DAY1, run_id="run-1", **kwargs):
    return deliver(
        con, config, run_id=run_id, as_of_date=day, outbox_dir=tmp_path / "outbox",
        reports_dir=tmp_path / "reports", env=env, **kwargs,
    ).results[0]  # fmt: skip


def test_success_in_pages_in_priority_order(con, tmp_path, env):
    scores = {f"u{n:04d}@acme.io": float(n % 100) for n in range(1234)}
    seed_scores(con, DAY1, scores)
    expected = {e for e, s in scores.items() if s >= 5}
    with Receiver(SECRET) as receiver:
        result = run(con, tmp_path, http_config(receiver.url, page_size=100), env)
    assert (result.status, result.attempted, result.succeeded) == (
        "ok",
        len(expected),
        len(expected),
    )
    assert result.requests == -(-len(expected) // 100) == len(receiver.log)
    assert {r["contact"] for r in receiver.records.values()} == expected
    assert set(receiver.applied.values()) == {1}
    first_page = [r["tier"] for r in receiver.records.values()][:100]
    assert first_page == sorted(first_page)  # A before B before C before D
    key = idempotency_key("crm", "u0042@acme.io", f"{DAY1}/42.00")
    assert receiver.records[key]["score_version"] == f"{DAY1}/42.00"
    assert rows(con, "SELECT status, count(*) FROM delivery.sync_changelog GROUP BY 1") == [
        ("delivered", len(expected))
    ]
    assert rows(con, "SELECT count(*) FROM delivery.delivered_scores") == [(len(expected),)]


def test_retry_after_is_honoured_on_429(con, tmp_path, env):
    seed_scores(con, DAY1, {"a@x.io": 30})
    calls = []

    def fault(number, records):
        calls.append(time.monotonic())
        return Fault(429, headers={"Retry-After": "1"}) if number == 1 else None

    with Receiver(SECRET, fault=fault) as receiver:
        result = run(con, tmp_path, http_config(receiver.url), env)
    assert result.status == "ok" and result.retried == 1
    assert calls[1] - calls[0] >= 0.95
    assert rows(con, "SELECT attempt, status, http_status, error FROM delivery.sync_changelog "
                "ORDER BY attempt") == [
        (1, "retry", 429, "HTTP 429 Too Many Requests"),
        (2, "delivered", 200, None),
    ]  # fmt: skip


def test_intermittent_500s_are_retried_within_the_run(con, tmp_path, env):
    seed_scores(con, DAY1, {f"u{n}@x.io": 40.0 for n in range(50)})
    fault = lambda number, records: Fault(500) if number % 2 else None  # noqa: E731
    with Receiver(SECRET, fault=fault) as receiver:
        result = run(con, tmp_path, http_config(receiver.url, page_size=10), env)
    assert (result.status, result.succeeded, result.retried, result.requests) == ("ok", 50, 50, 10)
    assert rows(con, "SELECT status, http_status, count(*) FROM delivery.sync_changelog "
                "GROUP BY ALL ORDER BY ALL") == [
        ("delivered", 200, 50), ("retry", 500, 50)
    ]  # fmt: skip


def test_receiver_down_then_up_delivers_the_same_keys_next_run(con, tmp_path, env):
    seed_scores(con, DAY1, {"a@x.io": 30, "b@x.io": 60})
    receiver = Receiver(SECRET).up()
    url = receiver.url
    receiver.down()
    first = run(con, tmp_path, http_config(url), env)
    assert (first.status, first.failed, first.requests) == ("failed", 2, 3)
    assert rows(con, "SELECT attempt, status, http_status, count(*) FROM delivery.sync_changelog "
                "GROUP BY ALL ORDER BY ALL") == [
        (1, "retry", None, 2), (2, "retry", None, 2), (3, "failed", None, 2)
    ]  # fmt: skip
    pending = rows(con, "SELECT idempotency_key, runs_attempted, last_error LIKE 'ConnectError%' "
                   "FROM delivery.pending ORDER BY email")  # fmt: skip
    assert [p[1:] for p in pending] == [(1, True), (1, True)]
    receiver.up()
    try:
        second = run(con, tmp_path, http_config(url), env, run_id="run-2")
    finally:
        receiver.down()
    assert (second.status, second.succeeded, second.carried_over, second.queued) == ("ok", 2, 2, 0)
    assert sorted(receiver.records) == sorted(p[0] for p in pending)
    assert rows(con, "SELECT count(*) FROM delivery.pending") == [(0,)]


def test_permanent_4xx_rejects_only_the_bad_record(con, tmp_path, env):
    seed_scores(con, DAY1, {f"u{n}@x.io": 40.0 for n in range(8)})

    def fault(number, records):
        return Fault(422) if any(r["contact"] == "u5@x.io" for r in records) else None

    with Receiver(SECRET, fault=fault) as receiver:
        result = run(con, tmp_path, http_config(receiver.url), env)
    assert (result.status, result.succeeded, result.rejected) == ("partial", 7, 1)
    assert len(receiver.log) == 1 + 2 + 2 + 2  # the page, then halves down to the bad record
    assert "u5@x.io" not in {r["contact"] for r in receiver.records.values()}
    assert rows(con, "SELECT email, failure, last_http_status, last_error "
                "FROM delivery.dead_letters") == [
        ("u5@x.io", "rejected", 422, "HTTP 422 Unprocessable Entity")
    ]  # fmt: skip
    statuses = rows(con, "SELECT status FROM delivery.sync_changelog WHERE email = 'u5@x.io' "
                    "ORDER BY attempt")  # fmt: skip
    assert statuses == [("split",), ("split",), ("split",), ("rejected",)]


def test_a_2xx_may_reject_single_records(con, tmp_path, env):
    seed_scores(con, DAY1, {"a@x.io": 30, "b@x.io": 30})
    reject = lambda record: "unknown contact" if record["contact"] == "b@x.io" else None  # noqa: E731
    with Receiver(SECRET, reject=reject) as receiver:
        result = run(con, tmp_path, http_config(receiver.url), env)
    assert (result.succeeded, result.rejected, len(receiver.log)) == (1, 1, 1)
    assert rows(con, "SELECT email, last_error FROM delivery.dead_letters") == [
        ("b@x.io", "unknown contact")
    ]


def test_a_wrong_signature_is_refused_and_stops_the_destination(con, tmp_path, env):
    seed_scores(con, DAY1, {"a@x.io": 30, "b@x.io": 30, "c@x.io": 30})
    with Receiver("another-secret") as receiver:
        result = run(con, tmp_path, http_config(receiver.url, page_size=1), env)
    # 401 is about the destination, not the records: nothing dead-lettered, nothing more sent.
    assert (result.status, result.attempted, result.failed, result.rejected) == ("failed", 1, 1, 0)
    assert [r.status for r in receiver.log] == [401] and receiver.records == {}
    assert rows(con, "SELECT email, runs_attempted, last_http_status FROM delivery.pending "
                "ORDER BY email") == [
        ("a@x.io", 1, 401), ("b@x.io", 0, None), ("c@x.io", 0, None)
    ]  # fmt: skip
    assert rows(con, "SELECT count(*) FROM delivery.dead_letters") == [(0,)]


def test_missing_secret_or_auth_fails_before_sending(con, tmp_path):
    seed_scores(con, DAY1, {"a@x.io": 30})
    with pytest.raises(DeliveryConfigError, match=r"\$BATCH_PLATFORM_SIGNING_SECRET"):
        run(con, tmp_path, http_config("http://127.0.0.1:9/x"), {})
    with pytest.raises(DeliveryConfigError, match=r"\$CRM_TOKEN \(auth_env\) is not set"):
        run(con, tmp_path, http_config("http://127.0.0.1:9/x", auth_env="CRM_TOKEN"),
            {"BATCH_PLATFORM_SIGNING_SECRET": SECRET})  # fmt: skip
    assert rows(con, "SELECT count(*) FROM delivery.sync_changelog") == [(0,)]


def test_auth_header_comes_from_the_named_variable(con, tmp_path, env):
    seed_scores(con, DAY1, {"a@x.io": 30})
    with Receiver(SECRET) as receiver:
        config = http_config(receiver.url, auth_env="CRM_TOKEN", auth_header="X-Api-Key")
        run(con, tmp_path, config, env | {"CRM_TOKEN": "token-123"})
    assert [h.get("X-Api-Key") for h in receiver.request_headers] == ["token-123"]
    assert receiver.request_headers[0]["X-Batch-Platform-Signature"].startswith("t=")


def test_change_threshold_compares_with_the_value_delivered(con, tmp_path, env):
    seed_scores(con, DAY1, {"a@x.io": 10, "b@x.io": 40, "c@x.io": 3, "d@x.io": 48})
    seed_scores(con, DAY2, {"a@x.io": 14, "b@x.io": 46, "c@x.io": 7, "d@x.io": 51})
    with Receiver(SECRET) as receiver:
        run(con, tmp_path, http_config(receiver.url), env)
        assert sorted(r["contact"] for r in receiver.records.values()) == ["a@x.io", "b@x.io",
                                                                           "d@x.io"]  # fmt: skip
        receiver.records.clear()
        second = run(con, tmp_path, http_config(receiver.url), env, day=DAY2, run_id="run-2")
        sent = {r["contact"]: (r["reason"], r["previous_score"]) for r in receiver.records.values()}
    # a moved 4 (< 5): not sent; b moved 6; c was never delivered (3 → 7 from 0); d became an MQL.
    assert sent == {"b@x.io": ("score_change", 40.0), "c@x.io": ("new_contact", None),
                    "d@x.io": ("new_mql", 48.0)}  # fmt: skip
    assert second.queued == 3
    # a's delivered value stays 10, so 14 → 16 later would be sent (6 from what it holds).
    assert rows(con, "SELECT score FROM delivery.delivered_scores WHERE email = 'a@x.io'") == [
        (10.0,)
    ]


def test_second_run_with_no_changes_sends_nothing(con, tmp_path, env):
    seed_scores(con, DAY1, {f"u{n}@x.io": 20.0 + n for n in range(30)})
    with Receiver(SECRET) as receiver:
        run(con, tmp_path, http_config(receiver.url), env)
        requests = len(receiver.log)
        again = run(con, tmp_path, http_config(receiver.url), env, run_id="run-2")
        assert (again.status, again.queued, again.requests, len(receiver.log)) == (
            "idle", 0, 0, requests
        )  # fmt: skip


def test_dead_letter_after_n_failed_runs(con, tmp_path, env):
    seed_scores(con, DAY1, {"a@x.io": 30})
    config = http_config("http://127.0.0.1:9/refused", sync={"dead_letter_after_runs": 2})
    first = run(con, tmp_path, config, env, run_id="run-1")
    second = run(con, tmp_path, config, env, run_id="run-2")
    third = run(con, tmp_path, config, env, run_id="run-3")
    assert (first.dead_lettered, second.dead_lettered, third.attempted) == (0, 1, 0)
    assert rows(con, "SELECT email, failure, runs_attempted, dead_run_id, "
                "last_error LIKE 'ConnectError%' FROM delivery.dead_letters") == [
        ("a@x.io", "exhausted", 2, "run-2", True)
    ]  # fmt: skip
    assert rows(con, "SELECT run_id, status, failed, dead_lettered, pending_after "
                "FROM delivery.sync_runs ORDER BY run_id") == [
        ("run-1", "failed", 1, 0, 1), ("run-2", "failed", 1, 1, 0), ("run-3", "idle", 0, 0, 0)
    ]  # fmt: skip


def test_a_newer_score_supersedes_a_pending_one(con, tmp_path, env):
    seed_scores(con, DAY1, {"a@x.io": 30, "b@x.io": 30})
    run(con, tmp_path, http_config("http://127.0.0.1:9/refused"), env)
    seed_scores(con, DAY2, {"a@x.io": 40, "b@x.io": 2})
    with Receiver(SECRET) as receiver:
        result = run(con, tmp_path, http_config(receiver.url), env, day=DAY2, run_id="run-2")
    # a: the day-2 value replaces the pending day-1 one; b: back near what was delivered (none).
    assert (result.queued, result.superseded, result.succeeded) == (1, 2, 1)
    assert [(r["contact"], r["score_version"]) for r in receiver.records.values()] == [
        ("a@x.io", f"{DAY2}/40.00")
    ]


def test_a_run_sends_at_most_its_page_budget_and_leaves_the_rest_pending(con, tmp_path, env):
    seed_scores(con, DAY1, {f"u{n:02d}@x.io": 30.0 for n in range(25)})
    with Receiver(SECRET) as receiver:
        config = http_config(receiver.url, max_pages_per_run=2, page_size=5)
        results = [run(con, tmp_path, config, env, run_id=f"run-{n}") for n in range(4)]
    assert [(r.attempted, r.budget_spent, r.pending_after) for r in results] == [
        (10, True, 15), (10, True, 5), (5, False, 0), (0, False, 0)
    ]  # fmt: skip
    assert "page budget spent: the sync continues in another run" in results[0].summary
    assert len(receiver.records) == 25
    assert rows(con, "SELECT run_id, budget_spent FROM delivery.sync_runs ORDER BY run_id") == [
        ("run-0", True), ("run-1", True), ("run-2", False), ("run-3", False)
    ]  # fmt: skip


def test_the_budget_in_records_is_its_older_spelling_in_whole_pages(con, tmp_path, env):
    seed_scores(con, DAY1, {f"u{n:02d}@x.io": 30.0 for n in range(25)})
    with Receiver(SECRET) as receiver:
        config = http_config(receiver.url, max_records_per_run=10, page_size=4)
        counts = [run(con, tmp_path, config, env, run_id=f"run-{n}").attempted for n in range(4)]
    assert config.destinations[0].page_budget == 3
    assert counts == [12, 12, 1, 0]
    with pytest.raises(ValueError, match="max_pages_per_run or max_records_per_run, not both"):
        http_config("http://x.io", max_records_per_run=10, max_pages_per_run=2)


def test_outbox_receives_through_the_same_path(con, tmp_path, env):
    seed_scores(con, DAY1, {"a@x.io": 30, "b@x.io": 80})
    result = run(con, tmp_path, DeliveryConfig(), {})
    again = run(con, tmp_path, DeliveryConfig(), {}, run_id="run-2")
    assert (result.destination, result.succeeded, again.attempted) == ("outbox", 2, 0)
    lines = (tmp_path / "outbox" / "outbox" / f"{DAY1}.jsonl").read_text().splitlines()
    assert len(lines) == 2 and '"contact":"b@x.io"' in lines[0]  # tier A first
    assert rows(con, "SELECT email, score FROM delivery.outbox ORDER BY email") == [
        ("a@x.io", 30.0), ("b@x.io", 80.0)
    ]  # fmt: skip


def test_rate_limiter_spaces_calls_evenly():
    from batch_platform.defs.delivery.logic.sender import RateLimiter

    clock = {"now": 100.0}
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(round(seconds, 6))
        clock["now"] += seconds

    limiter = RateLimiter(4, clock=lambda: clock["now"], sleep=sleep)
    for _ in range(4):
        limiter.wait()
    assert waits == [0.25, 0.25, 0.25]
    assert RateLimiter(None).interval == 0


def test_rate_limit_applies_to_real_requests(con, tmp_path, env):
    seed_scores(con, DAY1, {f"u{n}@x.io": 30.0 for n in range(10)})
    with Receiver(SECRET) as receiver:
        started = time.monotonic()
        config = http_config(receiver.url, page_size=2, rate_limit_per_second=20)
        result = run(con, tmp_path, config, env)
        elapsed = time.monotonic() - started
    assert (result.requests, result.succeeded) == (5, 10)
    assert elapsed >= 4 / 20  # five requests, four intervals of 50 ms
