"""Jobs and schedules the same way in every domain: a run limit on each job, and schedules that
turn their tick time into the partition they fill."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import dagster as dg


def max_runtime(hours: float) -> dict[str, str]:
    """Run tags: a run still going after ``hours`` is stopped by run monitoring (Dagster has no
    per-op timeout)."""
    return {"dagster/max_runtime": str(int(hours * 3600))}


def asset_job(
    name: str,
    selection: dg.AssetSelection,
    description: str,
    max_runtime_hours: float,
) -> dg.UnresolvedAssetJobDefinition:
    """A job over ``selection`` whose runs are stopped after ``max_runtime_hours``."""
    return dg.define_asset_job(
        name, selection=selection, description=description, tags=max_runtime(max_runtime_hours)
    )


def partition_schedule(
    *,
    name: str,
    job: dg.UnresolvedAssetJobDefinition,
    cron_schedule: str,
    timezone: str,
    partition_for: Callable[[dt.datetime], str],
    description: str,
) -> dg.ScheduleDefinition:
    """A schedule, running by default, that fills the partition ``partition_for(tick time)``.

    The run key is the partition key, so a tick evaluated twice launches one run.
    """

    @dg.schedule(
        name=name,
        job=job,
        cron_schedule=cron_schedule,
        execution_timezone=timezone,
        default_status=dg.DefaultScheduleStatus.RUNNING,
        description=description,
    )
    def _schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
        partition_key = partition_for(context.scheduled_execution_time)
        return dg.RunRequest(run_key=partition_key, partition_key=partition_key)

    return _schedule
