"""The platform: the real asset graph through Dagster, from landed files to lead scores.

The files are picked up the way the sensor picks them up in production (one run per file, or
one run over a range of files that landed together), loaded raw → clean with every check, then
the lead scores of the as-of day are computed; all on a SQLite Dagster instance and the
in-process executor, as in the demo.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

from benchmarks._platform_home import prepare_platform_home


def main(data_dir: str) -> dict:
    # Beside the data, inside the benchmark's own temporary directory.
    work = Path(tempfile.mkdtemp(prefix="platform-", dir=Path(data_dir).parent))
    landing = prepare_platform_home(work)
    for path in sorted(Path(data_dir).glob("*.csv")):
        os.link(path, landing / "signals" / path.name)
    import dagster as dg

    from batch_platform.definitions import defs
    from batch_platform.defs.signals.assets.scores import LEAD_SCORES
    from batch_platform.defs.signals.sensors import signal_files_sensor
    from batch_platform.lib.warehouse import connect

    definitions = defs()
    instance = dg.DagsterInstance.get()
    quiet = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
    tick = signal_files_sensor(
        dg.build_sensor_context(instance=instance, resources=definitions.resources)
    )
    for request in tick.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    checks = 0
    for request in tick.run_requests:
        result = definitions.resolve_job_def(request.job_name).execute_in_process(
            run_config=quiet,
            instance=instance,
            partition_key=request.partition_key,
            tags=request.tags,
        )
        checks += sum(e.passed for e in result.get_asset_check_evaluations())
    scoring = definitions.resolve_job_def("nightly_lead_scoring")
    result = scoring.execute_in_process(
        run_config=quiet,
        instance=instance,
        partition_key="2026-01-31",
        asset_selection=[LEAD_SCORES],
    )
    checks += sum(e.passed for e in result.get_asset_check_evaluations())
    con = connect(work / "warehouse", read_only=True)
    cleaned = con.execute("SELECT count(*) FROM clean.signals").fetchone()[0]
    scored = con.execute("SELECT count(*) FROM scores.lead_scores").fetchone()[0]
    con.close()
    return {"cleaned": cleaned, "contacts_scored": scored, "checks_passed": checks}


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
