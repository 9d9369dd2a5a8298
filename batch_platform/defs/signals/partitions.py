"""Partitions of the signals domain, all in the business's time zone."""

import dagster as dg

TIMEZONE = "America/New_York"
START_DATE = "2024-01-01"

# One partition per landed signal file; keys come from batch_platform.lib.keys.
signal_file_partitions = dg.DynamicPartitionsDefinition(name="signal_files")

# One partition per landed intent-provider export, keyed the same way.
intent_file_partitions = dg.DynamicPartitionsDefinition(name="intent_files")

# As-of days for nightly work.
daily_partitions = dg.DailyPartitionsDefinition(start_date=START_DATE, timezone=TIMEZONE)

# Weeks from Monday to Sunday; end_offset=1 lets Sunday night's run score the week ending then.
weekly_partitions = dg.WeeklyPartitionsDefinition(
    start_date=START_DATE, timezone=TIMEZONE, day_offset=1, end_offset=1
)

# Calendar months of the intent report (a month ends at midnight New York time).
intent_months = dg.MonthlyPartitionsDefinition(start_date=START_DATE, timezone=TIMEZONE)
