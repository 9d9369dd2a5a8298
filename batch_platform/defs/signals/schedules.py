"""Schedules: nightly lead scoring, weekly account health, weekly lead-score model training and
the monthly intent report, all running by default in America/New_York, the time zone of the
partitions they fill."""

import datetime as dt

import dagster as dg

from batch_platform.defs.common.automation import partition_schedule
from batch_platform.defs.signals.jobs import (
    monthly_intent_job,
    nightly_lead_scoring_job,
    weekly_account_health_job,
    weekly_lead_score_model_training_job,
)
from batch_platform.defs.signals.partitions import TIMEZONE


def day_partition_for(run_time: dt.datetime) -> str:
    """The day that ended before ``run_time`` (02:00 on the 9th scores the 8th)."""
    return (run_time.date() - dt.timedelta(days=1)).isoformat()


def week_partition_for(run_time: dt.datetime) -> str:
    """The Monday-to-Sunday week that contains ``run_time`` (Sunday night: the week ending)."""
    monday = run_time.date() - dt.timedelta(days=run_time.weekday())
    return monday.isoformat()


def previous_month_partition_for(run_time: dt.datetime) -> str:
    """The month that ended before ``run_time`` (04:00 on 1 March reports February)."""
    previous = run_time.date().replace(day=1) - dt.timedelta(days=1)
    return previous.replace(day=1).isoformat()


nightly_lead_scoring_schedule = partition_schedule(
    name="nightly_lead_scoring_schedule",
    job=nightly_lead_scoring_job,
    cron_schedule="0 2 * * *",
    timezone=TIMEZONE,
    partition_for=day_partition_for,
    description="02:00 America/New_York: rollups, lead scores and the report for the day just "
    "ended. Rescoring a day later picks up its late events.",
)

weekly_account_health_schedule = partition_schedule(
    name="weekly_account_health_schedule",
    job=weekly_account_health_job,
    cron_schedule="0 22 * * 0",
    timezone=TIMEZONE,
    partition_for=week_partition_for,
    description="Sunday 22:00 America/New_York: account health for the week ending that day.",
)


@dg.schedule(
    name="weekly_lead_score_model_schedule",
    job=weekly_lead_score_model_training_job,
    cron_schedule="0 1 * * 1",
    execution_timezone=TIMEZONE,
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Monday 01:00 America/New_York: train the lead-score model on the history up to "
    "the Sunday just ended, before that night's lead scoring (which uses it once approved).",
)
def weekly_lead_score_model_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    as_of = day_partition_for(context.scheduled_execution_time)
    return dg.RunRequest(
        run_key=as_of,
        run_config={"ops": {"lead_score_model": {"config": {"as_of_date": as_of}}}},
    )


monthly_intent_schedule = partition_schedule(
    name="monthly_intent_schedule",
    job=monthly_intent_job,
    cron_schedule="0 4 1 * *",
    timezone=TIMEZONE,
    partition_for=previous_month_partition_for,
    description="04:00 America/New_York on the 1st: the intent report of the month just ended.",
)


@dg.definitions
def schedules() -> dg.Definitions:
    return dg.Definitions(
        schedules=[
            nightly_lead_scoring_schedule,
            weekly_account_health_schedule,
            weekly_lead_score_model_schedule,
            monthly_intent_schedule,
        ]
    )
