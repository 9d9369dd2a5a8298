"""Partitions of the delivery domain: the nightly days of the lead scores it sends."""

from batch_platform.defs.signals.partitions import daily_partitions

# Delivery follows the lead scores it sends, one day at a time.
delivery_days = daily_partitions
