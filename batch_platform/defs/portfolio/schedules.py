"""The monthly portfolio health check: the 1st of every month at 06:00 UTC, running by default."""

import datetime as dt

import dagster as dg

from batch_platform.defs.portfolio.jobs import monthly_portfolio_health_job


def month_partition_for(run_time: dt.datetime) -> str:
    """The month the run starts in (the 1st at 06:00 sweeps that month)."""
    return run_time.date().replace(day=1).isoformat()


@dg.schedule(
    job=monthly_portfolio_health_job,
    cron_schedule="0 6 1 * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    description="06:00 UTC on the 1st: the month's portfolio health check (status changes since "
    "last month, renewals due within 90 days, mismatches with the firm's records).",
)
def monthly_portfolio_health_schedule(context: dg.ScheduleEvaluationContext):
    partition_key = month_partition_for(context.scheduled_execution_time)
    return dg.RunRequest(run_key=partition_key, partition_key=partition_key)


@dg.definitions
def schedules() -> dg.Definitions:
    return dg.Definitions(schedules=[monthly_portfolio_health_schedule])
