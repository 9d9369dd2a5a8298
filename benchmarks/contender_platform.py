"""The platform: the real asset graph through Dagster, from landed files to lead scores.

One `signal_file_ingest` run per file (raw → clean, checks included), then the lead scores of
the as-of day, all on a SQLite Dagster instance and the in-process executor, as in the demo.
"""

import json
import os
import sys
import tempfile
from pathlib import Path


def main(data_dir: str) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench-platform-"))
    landing = work / "landing"
    (landing / "signals").mkdir(parents=True)
    for path in sorted(Path(data_dir).glob("*.csv")):
        os.link(path, landing / "signals" / path.name)
    os.environ.update(
        DAGSTER_HOME=str(work),
        BATCH_PLATFORM_LANDING_DIR=str(landing),
        BATCH_PLATFORM_WAREHOUSE=str(work / "warehouse.duckdb"),
        BATCH_PLATFORM_REPORTS_DIR=str(work / "reports"),
    )
    (work / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    import dagster as dg

    from batch_platform.definitions import defs
    from batch_platform.defs.signals.assets.scores import LEAD_SCORES
    from batch_platform.lib.keys import partition_key_for
    from batch_platform.lib.warehouse import connect

    definitions = defs()
    instance = dg.DagsterInstance.get()
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    ingest = definitions.resolve_job_def("signal_file_ingest")
    keys = [partition_key_for(p.name) for p in sorted((landing / "signals").iterdir())]
    instance.add_dynamic_partitions("signal_files", keys)
    checks = 0
    for key in keys:
        result = ingest.execute_in_process(run_config=quiet, instance=instance, partition_key=key)
        checks += sum(e.passed for e in result.get_asset_check_evaluations())
    scoring = definitions.resolve_job_def("nightly_lead_scoring")
    result = scoring.execute_in_process(
        run_config=quiet,
        instance=instance,
        partition_key="2026-01-31",
        asset_selection=[LEAD_SCORES],
    )
    checks += sum(e.passed for e in result.get_asset_check_evaluations())
    con = connect(work / "warehouse.duckdb", read_only=True)
    cleaned = con.execute("SELECT count(*) FROM clean.signals").fetchone()[0]
    scored = con.execute("SELECT count(*) FROM scores.lead_scores").fetchone()[0]
    con.close()
    return {"cleaned": cleaned, "contacts_scored": scored, "checks_passed": checks}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
