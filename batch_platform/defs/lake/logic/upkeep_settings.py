"""Settings of lake upkeep, from BATCH_PLATFORM_LAKE_* environment variables (read at run time)."""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass

PREFIX = "BATCH_PLATFORM_LAKE_"
MB = 1024 * 1024


@dataclass(frozen=True)
class UpkeepSettings:
    # Snapshots older than this are expired: time travel reaches back this far, no further.
    snapshot_retention_days: float = 7.0
    # A file no snapshot references any more, or that no commit ever referenced, is deleted only
    # when it has been so for this long: a reader still scanning it, or a writer that wrote it
    # and has not committed yet, finishes well within it (runs are stopped after 6 h at most).
    cleanup_margin_hours: float = 24.0
    # Data files below this size are "small": merging them is what compaction is for.
    small_file_mb: float = 16.0
    # After compaction, a table with more small files than this fails the (warning) check.
    max_small_files: int = 10

    @property
    def small_file_bytes(self) -> int:
        return int(self.small_file_mb * MB)

    def snapshot_cutoff(self, now: dt.datetime) -> dt.datetime:
        """Snapshots taken before this are expired."""
        return now - dt.timedelta(days=self.snapshot_retention_days)

    def cleanup_cutoff(self, now: dt.datetime) -> dt.datetime:
        """Files unreferenced (or written) before this are deleted."""
        return now - dt.timedelta(hours=self.cleanup_margin_hours)


_MINIMUM = {"small_file_mb": 0.001}


def load_upkeep_settings(env: Mapping[str, str] | None = None) -> UpkeepSettings:
    """Defaults, overridden by the environment; a value that is not a number, or is negative,
    is an error that names its variable."""
    env = os.environ if env is None else env
    defaults = UpkeepSettings()
    values = {}
    for name, default in vars(defaults).items():
        raw = env.get(PREFIX + name.upper())
        if raw in (None, ""):
            continue
        kind = type(default)
        try:
            value = kind(raw)
        except ValueError:
            raise ValueError(
                f"{PREFIX}{name.upper()}: cannot read {raw!r} as {kind.__name__}"
            ) from None
        minimum = _MINIMUM.get(name, 0)
        if not math.isfinite(value) or value < minimum:
            raise ValueError(f"{PREFIX}{name.upper()}: must be at least {minimum}, not {raw!r}")
        values[name] = value
    return UpkeepSettings(**values)
