"""Turning a run's partition range into the UTC windows the transformations take."""

import dagster as dg

from batch_platform.defs.signals.logic.utc_window import Window


def windows_of_run(
    context: dg.AssetExecutionContext, partitions_def: dg.TimeWindowPartitionsDefinition
) -> list[Window]:
    """One window per partition in the run, oldest first (a backfill may cover many)."""
    keys = partitions_def.get_partition_keys_in_range(context.partition_key_range)
    windows = []
    for key in keys:
        window = partitions_def.time_window_for_partition_key(key)
        windows.append(Window.from_aware(window.start, window.end))
    return windows
