"""End to end against a running `dg dev` in local mode (DuckDB file, SQLite instance)."""

import datetime as dt
import time

import duckdb

from batch_platform_tests.e2e.runs import check_results, wait_for_runs

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
    con = duckdb.connect(str(dev_server.warehouse), read_only=True)
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
    con = duckdb.connect(str(dev_server.warehouse), read_only=True)
    try:
        count = con.execute(
            "SELECT count(*) FROM clean.signals WHERE source_file LIKE 'burst_%'"
        ).fetchone()[0]
    finally:
        con.close()
    assert count == 8 * 500
