"""End to end against a running `dg dev`: a landed file starts a run with nobody in the UI."""

import datetime as dt
import time

import duckdb

RUNS = """
query Runs($filter: RunsFilter) {
  runsOrError(filter: $filter) {
    ... on Runs { results { runId status startTime tags { key value } } }
  }
}
"""


def wait_for_run(server, partition_key: str, timeout: float = 180) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = server.graphql(
            RUNS,
            {"filter": {"tags": [{"key": "dagster/partition", "value": partition_key}]}},
        )["runsOrError"]["results"]
        finished = [r for r in runs if r["status"] in ("SUCCESS", "FAILURE", "CANCELED")]
        if finished:
            return finished[0]
        time.sleep(1)
    raise AssertionError(f"no finished run for {partition_key}:\n{server.log.read_text()[-3000:]}")


def test_dropped_file_is_picked_up_by_the_sensor_and_cleaned(dev_server):
    path = dev_server.landing / "signals" / "live_drop.csv"
    path.write_text(
        "event_id,occurred_at,source,event_type,email\n"
        "live-1,2026-01-05T10:00:00Z,website,demo_request,Live@Example.io\n"
        "live-2,not-a-time,website,page_view,live@example.io\n"
    )
    (path.parent / "live_drop.csv.done").touch()
    completed_at = time.time()
    run = wait_for_run(dev_server, "live_drop.csv")
    assert run["status"] == "SUCCESS", dev_server.log.read_text()[-3000:]
    latency = run["startTime"] - completed_at
    print(f"file complete → run started: {latency:.1f} s")
    assert latency < 30
    con = duckdb.connect(str(dev_server.warehouse), read_only=True)
    try:
        cleaned = con.execute("SELECT event_id, email, occurred_at FROM clean.signals").fetchall()
        quarantined = con.execute(
            "SELECT source_line, reason FROM quarantine.signal_rows"
        ).fetchall()
    finally:
        con.close()
    assert cleaned == [("live-1", "live@example.io", dt.datetime(2026, 1, 5, 10))]
    assert quarantined == [(2, "occurred_at is not an ISO-8601 timestamp")]
