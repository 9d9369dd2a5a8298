"""The monthly portfolio health check: the 1st of every month at 06:00 UTC, running by default."""

import datetime as dt

import dagster as dg

from batch_platform.defs.common.automation import partition_schedule
from batch_platform.defs.portfolio.jobs import monthly_portfolio_health_job
from batch_platform.defs.portfolio.partitions import TIMEZONE


def current_month_partition_for(run_time: dt.datetime) -> str:
    """The month the run starts in (the 1st at 06:00 sweeps that month)."""
    return run_time.date().replace(day=1).isoformat()


monthly_portfolio_health_schedule = partition_schedule(
    name="monthly_portfolio_health_schedule",
    job=monthly_portfolio_health_job,
    cron_schedule="0 6 1 * *",
    timezone=TIMEZONE,
    partition_for=current_month_partition_for,
    description="06:00 UTC on the 1st: the month's portfolio health check (status changes since "
    "last month, renewals due within 90 days, mismatches with the firm's records).",
)


@dg.definitions
def schedules() -> dg.Definitions:
    return dg.Definitions(schedules=[monthly_portfolio_health_schedule])
