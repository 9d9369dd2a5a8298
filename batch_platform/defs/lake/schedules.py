"""Lake upkeep every Sunday at 03:00 UTC, running by default: the quietest hour of the week
(no domain schedule runs then), though upkeep and writers can run at the same time."""

import dagster as dg

from batch_platform.defs.common.automation import max_runtime
from batch_platform.defs.lake.jobs import MAX_RUNTIME_HOURS, lake_upkeep_job

weekly_lake_upkeep_schedule = dg.ScheduleDefinition(
    name="weekly_lake_upkeep_schedule",
    job=lake_upkeep_job,
    cron_schedule="0 3 * * 0",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    tags=max_runtime(MAX_RUNTIME_HOURS),
    description="Sunday 03:00 UTC: merge small files, expire snapshots older than the "
    "retention, delete files nothing references.",
)


@dg.definitions
def schedules() -> dg.Definitions:
    return dg.Definitions(schedules=[weekly_lake_upkeep_schedule])
