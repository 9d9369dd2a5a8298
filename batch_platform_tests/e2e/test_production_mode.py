"""Production mode end to end: Postgres instance storage, DuckLake on Postgres, parallel writers."""

import pytest

from batch_platform.lib.warehouse import connect
from batch_platform_tests.e2e.runs import check_results, wait_for_runs

# One worker runs this module, so its dev server starts once (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_production_mode")

HEADER = "event_id,occurred_at,source,event_type,email\n"


def test_sensor_run_and_checks_with_postgres_storage_and_parallel_ducklake_writes(
    production_server,
):
    server = production_server
    names = [f"prod_{n}.csv" for n in range(8)]
    for n, name in enumerate(names):
        rows = "".join(
            f"p{n}-{i},2026-01-06T10:00:00Z,website,page_view,u{i}@prod.io\n" for i in range(300)
        )
        rows += f"p{n}-0,2026-01-06T10:00:00Z,website,page_view,u0@prod.io\n"  # a duplicate
        path = server.landing / "signals" / name
        path.write_text(HEADER + rows)
        (path.parent / f"{name}.done").touch()
    runs = wait_for_runs(server, names, timeout=300)
    assert {r["status"] for r in runs.values()} == {"SUCCESS"}, server.log.read_text()[-4000:]
    for run in runs.values():
        checks = check_results(server, run["runId"])
        assert checks and all(checks.values()), checks
    # The instance really is in Postgres.
    stored = server.postgres.psql(server.dagster_db, "SELECT count(*) FROM runs")
    assert int(stored) >= 8
    con = connect(server.warehouse, postgres_catalog=server.lake_catalog, read_only=True)
    try:
        counts = con.execute(
            "SELECT (SELECT count(*) FROM clean.signals), "
            "(SELECT count(*) FROM clean.signal_duplicates), (SELECT count(*) FROM raw.signals)"
        ).fetchone()
    finally:
        con.close()
    assert counts == (8 * 300, 8, 8 * 301)
