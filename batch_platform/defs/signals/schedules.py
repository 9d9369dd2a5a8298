"""Schedules: nightly lead scoring and weekly account health, both running by default."""

import datetime as dt

import dagster as dg

from batch_platform.defs.signals.jobs import nightly_lead_scoring_job, weekly_account_health_job
from batch_platform.defs.signals.partitions import TIMEZONE, weekly_partitions

# 02:00 America/New_York (the partitions' time zone) over the day just ended.
nightly_lead_scoring_schedule = dg.build_schedule_from_partitioned_job(
    nightly_lead_scoring_job,
    name="nightly_lead_scoring_schedule",
    hour_of_day=2,
    minute_of_hour=0,
    default_status=dg.DefaultScheduleStatus.RUNNING,
)


def week_partition_for(run_time: dt.datetime) -> str:
    """The Monday-to-Sunday week that contains ``run_time`` (Sunday night: the week ending)."""
    monday = run_time.date() - dt.timedelta(days=run_time.weekday())
    return monday.isoformat()


@dg.schedule(
    job=weekly_account_health_job,
    cron_schedule="0 22 * * 0",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Sunday 22:00 America/New_York: account health for the week ending that day.",
)
def weekly_account_health_schedule(context: dg.ScheduleEvaluationContext):
    partition_key = week_partition_for(context.scheduled_execution_time)
    weekly_partitions.validate_partition_key(partition_key)
    return dg.RunRequest(run_key=partition_key, partition_key=partition_key)


@dg.definitions
def schedules() -> dg.Definitions:
    return dg.Definitions(schedules=[nightly_lead_scoring_schedule, weekly_account_health_schedule])
