"""Schedules: nightly lead scoring and weekly account health, both running by default.

Both run in America/New_York, the time zone of the partitions they fill.
"""

import datetime as dt

import dagster as dg

from batch_platform.defs.signals.jobs import nightly_lead_scoring_job, weekly_account_health_job
from batch_platform.defs.signals.partitions import TIMEZONE


def day_partition_for(run_time: dt.datetime) -> str:
    """The day that ended before ``run_time`` (02:00 on the 9th scores the 8th)."""
    return (run_time.date() - dt.timedelta(days=1)).isoformat()


def week_partition_for(run_time: dt.datetime) -> str:
    """The Monday-to-Sunday week that contains ``run_time`` (Sunday night: the week ending)."""
    monday = run_time.date() - dt.timedelta(days=run_time.weekday())
    return monday.isoformat()


@dg.schedule(
    job=nightly_lead_scoring_job,
    cron_schedule="0 2 * * *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="02:00 America/New_York: rollups, lead scores and the report for the day just "
    "ended. Rescoring a day later picks up its late events.",
)
def nightly_lead_scoring_schedule(context: dg.ScheduleEvaluationContext):
    partition_key = day_partition_for(context.scheduled_execution_time)
    return dg.RunRequest(run_key=partition_key, partition_key=partition_key)


@dg.schedule(
    job=weekly_account_health_job,
    cron_schedule="0 22 * * 0",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Sunday 22:00 America/New_York: account health for the week ending that day.",
)
def weekly_account_health_schedule(context: dg.ScheduleEvaluationContext):
    partition_key = week_partition_for(context.scheduled_execution_time)
    return dg.RunRequest(run_key=partition_key, partition_key=partition_key)


@dg.definitions
def schedules() -> dg.Definitions:
    return dg.Definitions(schedules=[nightly_lead_scoring_schedule, weekly_account_health_schedule])
