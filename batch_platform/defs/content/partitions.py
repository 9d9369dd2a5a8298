"""Partitions of the content domain: one per submitted URL list (a batch)."""

import dagster as dg

# Keys come from batch_platform.lib.keys (the sanitised file name); the name is kept in tags.
url_batch_partitions = dg.DynamicPartitionsDefinition(name="url_batches")
