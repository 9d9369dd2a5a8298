"""End to end against a running `dg dev` in local mode (DuckDB file, SQLite instance)."""

import datetime as dt
import time

import duckdb
import pytest

from batch_platform.lib.keys import partition_key_for
from batch_platform.lib.warehouse import connect
from batch_platform_tests.e2e.runs import check_results, wait_for_runs

# One worker runs this module, so its dev server starts once (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_dev_server")

HEADER = "event_id,occurred_at,source,event_type,email\n"


def test_dropped_file_is_picked_up_by_the_sensor_and_cleaned(dev_server):
    path = dev_server.landing / "signals" / "live_drop.csv"
    path.write_text(
        HEADER + "live-1,2026-01-05T10:00:00Z,website,demo_request,Live@Example.io\n"
        "live-2,not-a-time,website,page_view,live@example.io\n"
    )
    (path.parent / "live_drop.csv.done").touch()
    completed_at = time.time()
    run = wait_for_runs(dev_server, ["live_drop.csv"])["live_drop.csv"]
    assert run["status"] == "SUCCESS", dev_server.log.read_text()[-3000:]
    latency = run["startTime"] - completed_at
    print(f"file complete → run started: {latency:.1f} s")
    assert latency < 30
    checks = check_results(dev_server, run["runId"])
    assert checks and all(checks.values()), checks
    # Steady state, the daemon warmed up: a second file.
    second = path.with_name("live_drop_2.csv")
    second.write_text(HEADER + "live-3,2026-01-05T11:00:00Z,website,page_view,x@example.io\n")
    second.with_name("live_drop_2.csv.done").touch()
    completed_at = time.time()
    run = wait_for_runs(dev_server, ["live_drop_2.csv"])["live_drop_2.csv"]
    queued, started = run["creationTime"] - completed_at, run["startTime"] - completed_at
    print(f"steady state: file complete → run created {queued:.1f} s, started {started:.1f} s")
    assert run["status"] == "SUCCESS"
    con = connect(dev_server.warehouse, read_only=True)
    try:
        cleaned = con.execute("SELECT event_id, email, occurred_at FROM clean.signals").fetchall()
        quarantined = con.execute(
            "SELECT source_line, reason FROM quarantine.signal_rows"
        ).fetchall()
    finally:
        con.close()
    assert ("live-1", "live@example.io", dt.datetime(2026, 1, 5, 10)) in cleaned
    assert (2, "occurred_at is not an ISO-8601 timestamp") in quarantined


def test_eight_files_at_once_queue_on_the_pool_and_all_succeed(dev_server):
    names = [f"burst_{n}.csv" for n in range(8)]
    for n, name in enumerate(names):
        path = dev_server.landing / "signals" / name
        rows = "".join(
            f"b{n}-{i},2026-01-06T10:00:00Z,product,login,u{i}@burst.io\n" for i in range(500)
        )
        path.write_text(HEADER + rows)
        (path.parent / f"{name}.done").touch()
    runs = wait_for_runs(dev_server, names)
    assert {r["status"] for r in runs.values()} == {"SUCCESS"}, dev_server.log.read_text()[-3000:]
    assert "Could not set lock" not in dev_server.log.read_text()
    con = connect(dev_server.warehouse, read_only=True)
    try:
        count = con.execute(
            "SELECT count(*) FROM clean.signals WHERE source_file LIKE 'burst_%'"
        ).fetchone()[0]
    finally:
        con.close()
    assert count == 8 * 500


LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""
REPOSITORIES = """
{ repositoriesOrError { ... on RepositoryConnection { nodes { name location { name } } } } }
"""
RUN_STATUS = """
query Run($runId: ID!) {
  runOrError(runId: $runId) { ... on Run { status } }
  logsForRun(runId: $runId) {
    ... on EventConnection { events { __typename ... on MessageEvent { message } } }
  }
}
"""


ADD_PARTITION = """
mutation Add($selector: RepositorySelector!, $key: String!) {
  addDynamicPartition(
    repositorySelector: $selector, partitionsDefName: "signal_files", partitionKey: $key
  ) { __typename }
}
"""


def test_a_run_over_its_time_budget_is_stopped_and_reported(dev_server):
    # A large file with one malformed row takes the exact (slow) reader: far over 3 seconds.
    # Hidden, so the sensor leaves it alone; the run is launched by hand, as from the UI.
    path = dev_server.landing / "signals" / ".slow.csv"
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT 's' || i AS event_id, '2026-01-01' AS occurred_at, 'website' AS source, "
        "'page_view' AS event_type, 'u' || i || '@x.io' AS email FROM range(3000000) t(i)) "
        f"TO '{path}' (HEADER)"
    )
    con.close()
    with open(path, "a") as handle:
        handle.write("bad,row,with,too,many,fields,here\n")
    key = partition_key_for(path.name)
    repository = dev_server.graphql(REPOSITORIES)["repositoriesOrError"]["nodes"][0]
    selector = {
        "repositoryName": repository["name"],
        "repositoryLocationName": repository["location"]["name"],
    }
    dev_server.graphql(ADD_PARTITION, {"selector": selector, "key": key})
    tags = [
        {"key": "dagster/partition", "value": key},
        {"key": "dagster/max_runtime", "value": "3"},
    ]
    params = {
        "selector": {**selector, "jobName": "signal_file_ingest"},
        "executionMetadata": {"tags": tags},
    }
    launched = dev_server.graphql(LAUNCH, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        data = dev_server.graphql(RUN_STATUS, {"runId": run_id})
        if data["runOrError"]["status"] in ("CANCELED", "FAILURE", "SUCCESS"):
            break
        time.sleep(1)
    assert data["runOrError"]["status"] in ("CANCELED", "FAILURE"), data["runOrError"]
    messages = " ".join(e.get("message") or "" for e in data["logsForRun"]["events"]).lower()
    assert "max runtime" in messages or "maximum runtime" in messages, messages[-2000:]
