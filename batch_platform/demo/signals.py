"""Demo step of the signals domain: sample files, the sensor's runs over them, then lead scores
for the last days and account health for the last weeks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb

from batch_platform.defs.signals.logic.sample_signals import generate_sample_data
from batch_platform.defs.signals.partitions import TIMEZONE, daily_partitions, weekly_partitions
from batch_platform.defs.signals.sensors import RANGE_TAGS, signal_files_sensor
from batch_platform.lib.settings import Settings

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass(frozen=True)
class SignalsDemo:
    last_day: str  # the last day scored: yesterday in the business's time zone
    day_before: str


def run_signals_demo(
    definitions: dg.Definitions,
    instance: dg.DagsterInstance,
    settings: Settings,
    *,
    days_scored: int,
    weeks_scored: int,
    regenerate: bool,
    on_result: Callable[[dg.ExecuteInProcessResult], None],
    say: Callable[[str], None],
) -> SignalsDemo:
    """Land the sample files (unless some are there), run what the sensor requests for them,
    then score ``days_scored`` days and ``weeks_scored`` weeks, each range in one run.

    ``on_result`` receives each run's result (the demo counts its checks); ``say`` shows progress.
    """
    if regenerate or not any(settings.signals_dir.glob("*")):
        summary = generate_sample_data(settings.landing_dir)
        say(f"generated {summary.events:,} sample events in {len(summary.signal_files)} files")

    # The sensor decides which files are complete and what their partitions are.
    context = dg.build_sensor_context(
        instance=instance, resources={"landing": definitions.resources["landing"]}
    )
    result = signal_files_sensor(context)
    requests = result.run_requests if isinstance(result, dg.SensorResult) else []
    for partition_request in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(
            partition_request.partitions_def_name, list(partition_request.partition_keys)
        )
    for request in sorted(requests, key=lambda r: r.job_name != "firmographics_refresh"):
        job = definitions.resolve_job_def(request.job_name)
        say(f"running {request.job_name} {request.partition_key or ''}".rstrip())
        on_result(
            job.execute_in_process(
                run_config=QUIET,
                instance=instance,
                partition_key=request.partition_key,
                tags=request.tags,
            )
        )

    today = dt.datetime.now(ZoneInfo(TIMEZONE)).date()
    daily_keys = daily_partitions.get_partition_keys()
    last_day = (today - dt.timedelta(days=1)).isoformat()
    last = daily_keys.index(last_day)
    first_day = daily_keys[max(0, last - days_scored + 1)]
    say(f"running nightly_lead_scoring {first_day}…{last_day} (one run)")
    on_result(_run_range(definitions, instance, "nightly_lead_scoring", first_day, last_day))
    weekly_keys = weekly_partitions.get_partition_keys()[-weeks_scored:]
    say(f"running weekly_account_health {weekly_keys[0]}…{weekly_keys[-1]} (one run)")
    on_result(
        _run_range(definitions, instance, "weekly_account_health", weekly_keys[0], weekly_keys[-1])
    )
    return SignalsDemo(last_day=last_day, day_before=daily_keys[last - 1])


def _run_range(
    definitions: dg.Definitions, instance: dg.DagsterInstance, job: str, first: str, last: str
) -> dg.ExecuteInProcessResult:
    """One run of ``job`` over the partitions ``first`` to ``last``."""
    return definitions.resolve_job_def(job).execute_in_process(
        run_config=QUIET,
        instance=instance,
        tags=dict(zip(RANGE_TAGS, (first, last), strict=True)),
    )


def row_accounting_line(con: duckdb.DuckDBPyConnection) -> str:
    """Every raw row is cleaned, a duplicate or quarantined: the two sides of that sum."""
    raw, placed = con.execute(
        "SELECT (SELECT count(*) FROM raw.signals), (SELECT count(*) FROM clean.signals) + "
        "(SELECT count(*) FROM clean.signal_duplicates) + "
        "(SELECT count(*) FROM quarantine.signal_rows)"
    ).fetchone()
    return f"row accounting: {raw:,} raw rows = {placed:,} cleaned + duplicate + quarantined"
