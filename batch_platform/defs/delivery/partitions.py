"""Partitions of the delivery domain: the nightly days of lead scores, and months for reports."""

import dagster as dg

from batch_platform.defs.signals.partitions import START_DATE, TIMEZONE, daily_partitions

# Delivery follows the lead scores it sends, one day at a time.
delivery_days = daily_partitions

monthly_partitions = dg.MonthlyPartitionsDefinition(start_date=START_DATE, timezone=TIMEZONE)
