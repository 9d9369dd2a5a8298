"""Partitions of the portfolio domain."""

import datetime as dt

import dagster as dg

TIMEZONE = "UTC"
START_DATE = "2024-01-01"

# One sweep per calendar month (UTC). end_offset=1 makes the current month a partition, so the
# run on the 1st at 06:00 sweeps the month it starts.
portfolio_months = dg.MonthlyPartitionsDefinition(
    start_date=START_DATE, timezone=TIMEZONE, end_offset=1
)


def month_of(context: dg.AssetExecutionContext) -> dt.date:
    """The first day of the run's month partition."""
    return context.partition_time_window.start.date()
