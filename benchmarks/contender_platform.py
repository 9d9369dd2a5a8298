"""The platform: the real asset graph through Dagster, from landed files to lead scores.

The files are picked up the way the sensor picks them up in production (one run per file, or
one run over a range of files that landed together), loaded raw → clean with every check, then
the lead scores of the as-of day are computed; all on a SQLite Dagster instance and the
in-process executor, as in the demo.

Besides the counts, the last line of JSON says where the time went: ``steps`` (process start
with Dagster's imports and the definitions, the sensor tick, the ingest runs, the scoring run;
``to_clean_seconds`` is everything before scoring, the figure compared with the contenders) and
``ingest_profile``, the ingest runs' timeline from their event log: for each step, the seconds
from its start (or the previous event) to each materialization and check evaluation, and the
Dagster events stored.
"""

import json
import os
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

STARTED = time.perf_counter()

from benchmarks._platform_home import prepare_platform_home  # noqa: E402

PROFILED = {"STEP_START", "ASSET_MATERIALIZATION", "ASSET_CHECK_EVALUATION", "STEP_SUCCESS"}


def event_label(entry) -> str:
    event = entry.dagster_event
    kind = event.event_type_value
    if kind == "ASSET_MATERIALIZATION":
        return f"materialized {event.asset_key.to_user_string()}"
    if kind == "ASSET_CHECK_EVALUATION":
        return f"check {event.event_specific_data.check_name}"
    return kind.lower()


def run_profile(instance, run_id: str) -> dict:
    """The run's timeline: per step and kind of event (a materialization of an asset, a check),
    [seconds from the events before them, how many]; the run's wall seconds, and the events it
    stored by type. The first materialization of an asset carries the work of the step up to
    it; the next ones (one per partition) cost Dagster's event writes."""
    entries = list(instance.all_logs(run_id))
    kinds = Counter(e.dagster_event.event_type_value for e in entries if e.dagster_event)
    steps: dict[str, dict[str, list]] = {}
    last: dict[str, float] = {}
    for entry in entries:
        event = entry.dagster_event
        if event is None or event.event_type_value not in PROFILED or not event.step_key:
            continue
        step = event.step_key
        if event.event_type_value == "STEP_START":
            last[step] = entry.timestamp
            steps[step] = {}
            continue
        seconds, events = steps[step].get(event_label(entry), (0.0, 0))
        steps[step][event_label(entry)] = [
            round(seconds + entry.timestamp - last[step], 3),
            events + 1,
        ]
        last[step] = entry.timestamp
    stamps = [e.timestamp for e in entries]
    return {
        "run_seconds": round(max(stamps) - min(stamps), 2),
        "steps": steps,
        "events_stored": sum(kinds.values()),
        "events_by_type": dict(kinds.most_common()),
    }


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
    steps = {"start": round(time.perf_counter() - STARTED, 2)}
    lap = time.perf_counter()
    tick = signal_files_sensor(
        dg.build_sensor_context(instance=instance, resources=definitions.resources)
    )
    for request in tick.dynamic_partitions_requests:
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    steps["sensor_tick"] = round(time.perf_counter() - lap, 2)
    lap = time.perf_counter()
    checks = 0
    profiles = []
    for request in tick.run_requests:
        result = definitions.resolve_job_def(request.job_name).execute_in_process(
            run_config=quiet,
            instance=instance,
            partition_key=request.partition_key,
            tags=request.tags,
        )
        checks += sum(e.passed for e in result.get_asset_check_evaluations())
        profiles.append(run_profile(instance, result.run_id))
    steps["ingest_runs"] = round(time.perf_counter() - lap, 2)
    to_clean = time.perf_counter() - STARTED
    lap = time.perf_counter()
    scoring = definitions.resolve_job_def("nightly_lead_scoring")
    result = scoring.execute_in_process(
        run_config=quiet,
        instance=instance,
        partition_key="2026-01-31",
        asset_selection=[LEAD_SCORES],
    )
    checks += sum(e.passed for e in result.get_asset_check_evaluations())
    steps["scoring"] = round(time.perf_counter() - lap, 2)
    con = connect(work / "warehouse", read_only=True)
    counts = {
        name: con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        for name, table in (
            ("cleaned", "clean.signals"),
            ("duplicates", "clean.signal_duplicates"),
            ("quarantined", "quarantine.signal_rows"),
            ("contacts_scored", "scores.lead_scores"),
        )
    }
    con.close()
    return {
        **counts,
        "checks_passed": checks,
        "to_clean_seconds": round(to_clean, 2),
        "total_seconds": round(time.perf_counter() - STARTED, 2),
        "steps": steps,
        "ingest_profile": profiles[0] if len(profiles) == 1 else profiles,
    }


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
