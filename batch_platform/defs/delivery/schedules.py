"""The monthly intent report's schedule (running by default)."""

import datetime as dt

import dagster as dg

from batch_platform.defs.delivery.jobs import monthly_intent_job
from batch_platform.defs.signals.partitions import TIMEZONE


def month_partition_for(run_time: dt.datetime) -> str:
    """The month that ended before ``run_time`` (04:00 on 1 March reports February)."""
    previous = run_time.date().replace(day=1) - dt.timedelta(days=1)
    return previous.replace(day=1).isoformat()


@dg.schedule(
    job=monthly_intent_job,
    cron_schedule="0 4 1 * *",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="04:00 America/New_York on the 1st: the intent report of the month just ended.",
)
def monthly_intent_schedule(context: dg.ScheduleEvaluationContext):
    partition_key = month_partition_for(context.scheduled_execution_time)
    return dg.RunRequest(run_key=partition_key, partition_key=partition_key)


@dg.definitions
def schedules() -> dg.Definitions:
    return dg.Definitions(schedules=[monthly_intent_schedule])
