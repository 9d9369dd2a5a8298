"""A batch's status from its runs and progress, and the estimated completion."""

import pytest

from batch_platform.api.batch_status import BatchRecord, describe_batch, estimate_completion
from batch_platform.api.dagster_client import RunInfo

NOW = 1_800_000_000.0
RECORD = BatchRecord("b.csv", "team", total_urls=100, priority=5, has_webhook=False,
                     submitted_at=NOW - 60)  # fmt: skip


def run(status, started=None, finished=None, created=NOW - 50, run_id="r1", **tags):
    return RunInfo(run_id, "content_batch_ingest", status, created, started, finished, tags)


def describe(record=RECORD, runs=(), progress=None, landed=True, history_rate=None):
    return describe_batch(
        "b.csv",
        record=record,
        runs=list(runs),
        progress=progress or {},
        landed=landed,
        now=NOW,
        history_rate=history_rate,
    )


def test_submitted_then_queued_with_an_estimate_from_history():
    submitted = describe(history_rate=4.0)
    assert (submitted["state"], submitted["total"], submitted["completed"]) == ("submitted", 100, 0)
    assert submitted["estimate"] == {"basis": "history", "urls_per_second": 4.0}
    assert submitted["estimated_completion"] == "2027-01-15T08:00:25+00:00"  # now + 25 s
    assert submitted["priority"] == 5 and submitted["run_id"] is None
    queued = describe(runs=[run("QUEUED")])
    assert queued["state"] == "queued" and queued["estimated_completion"] is None
    assert describe(record=None, landed=False) is None
    assert describe(record=None, landed=True)["state"] == "submitted"


def test_running_estimates_from_its_own_throughput():
    progress = {
        "observation": {"run_id": "r1", "values": {"completed": 40, "total": 100, "failed": 2}}
    }
    status = describe(runs=[run("STARTED", started=NOW - 20)], progress=progress, history_rate=1.0)
    assert (status["state"], status["completed"], status["failed"]) == ("running", 40, 2)
    # 40 URLs in 20 s: 60 more take 30 s.
    assert status["estimate"] == {"basis": "measured", "urls_per_second": 2.0}
    assert status["estimated_completion"] == "2027-01-15T08:00:30+00:00"
    assert status["duration_seconds"] == 20.0 and status["finished_at"] is None


def test_a_finished_batch_has_every_count_and_its_failures():
    failures = [{"url": "https://a.example/x", "state": "failed", "reason": "HTTP 404 Not Found"}]
    values = {"completed": 100, "total": 100, "succeeded": 97, "failed": 1, "skipped": 2,
              "canceled": 0, "failures_json": failures, "failures_not_listed": 2}  # fmt: skip
    progress = {
        "materialization": {"run_id": "r2", "values": values},
        "observation": {"run_id": "r2", "values": {"completed": 90, "total": 100}},
    }
    runs = [run("SUCCESS", NOW - 30, NOW - 5, run_id="r2"), run("FAILURE", NOW - 50, NOW - 40)]
    status = describe(runs=runs, progress=progress)
    assert status["state"] == "succeeded" and status["runs"] == 2 and status["run_id"] == "r2"
    assert {k: status[k] for k in ("completed", "succeeded", "failed", "skipped", "canceled")} == {
        "completed": 100, "succeeded": 97, "failed": 1, "skipped": 2, "canceled": 0}  # fmt: skip
    assert status["failures"] == failures and status["failures_not_listed"] == 2
    assert status["finished_at"] == "2027-01-15T07:59:55+00:00" and status["duration_seconds"] == 25
    assert status["estimated_completion"] is None


def test_progress_of_an_earlier_run_is_not_taken_for_the_latest():
    progress = {"materialization": {"run_id": "old", "values": {"completed": 100, "total": 100}}}
    status = describe(runs=[run("STARTED", started=NOW - 5)], progress=progress)
    assert (status["completed"], status["total"]) == (0, 100)


def test_canceled_before_its_run_and_a_run_that_found_its_list_taken_back():
    record = BatchRecord(**{**RECORD.__dict__, "canceled_at": NOW - 10})
    assert describe(record=record, landed=False)["state"] == "canceled"
    late = run("FAILURE", NOW - 8, NOW - 7, created=NOW - 9)
    assert describe(record=record, runs=[late], landed=False)["state"] == "canceled"
    assert describe(runs=[late])["state"] == "failed"


def test_the_priority_of_a_batch_the_api_did_not_take_comes_from_its_run():
    status = describe(record=None, runs=[run("QUEUED", **{"dagster/priority": "-3"})])
    assert status["priority"] == -3 and status["total"] is None


@pytest.mark.parametrize(
    ("state", "started", "completed", "total", "history", "expected"),
    [
        ("succeeded", NOW - 10, 10, 10, 5.0, None),
        ("canceling", NOW - 10, 5, 10, 5.0, None),
        ("running", NOW - 10, 0, 10, None, None),
        ("running", NOW - 10, 0, 10, 2.0, (NOW + 5, "history")),
        ("running", NOW - 10, 5, 10, 2.0, (NOW + 10, "measured")),
        ("queued", None, 0, 10, None, None),
        ("queued", None, 0, None, 2.0, None),
    ],
)
def test_estimate_completion(state, started, completed, total, history, expected):
    estimate = estimate_completion(state, started, completed, total, NOW, history)
    assert (None if estimate is None else (estimate.at, estimate.basis)) == expected


def test_a_run_canceled_in_the_queue_never_started():
    canceled = RunInfo.of({"runId": "r", "pipelineName": "j", "status": "CANCELED",
                           "creationTime": 1.0, "startTime": 5.0, "endTime": 5.0})  # fmt: skip
    assert (canceled.started_at, canceled.finished_at, canceled.state) == (None, 5.0, "canceled")
    ran = RunInfo.of({"runId": "r", "pipelineName": "j", "status": "SUCCESS",
                      "creationTime": 1.0, "startTime": 2.0, "endTime": 5.0})  # fmt: skip
    assert (ran.started_at, ran.finished_at) == (2.0, 5.0)
