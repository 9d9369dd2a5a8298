"""The files of the lake on storage against the files its catalog references, and snapshots
against their retention."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping


def missing_files(referenced: Iterable[str], stored: Iterable[str]) -> list[str]:
    """Files the catalog references that storage does not have, sorted."""
    return sorted(set(referenced) - set(stored))


def bytes_freed(deleted: Iterable[str], sizes: Mapping[str, int]) -> int:
    """The bytes the deleted files took, as storage listed them before (unknown files: 0)."""
    return sum(sizes.get(path, 0) for path in set(deleted))


def snapshots_beyond_retention(
    snapshots: Iterable[tuple[int, dt.datetime]], cutoff: dt.datetime
) -> list[int]:
    """Snapshots taken before ``cutoff`` that expiry should have removed: all but the newest of
    them, which may have been the lake's current state when expiry ran (DuckLake always keeps
    that one, and a writer may have committed since)."""
    old = sorted(sid for sid, taken in snapshots if taken < cutoff)
    return old[:-1]


def shown_list(items: Iterable[str], limit: int = 20) -> str:
    """The first ``limit`` items one per line, then how many more there are."""
    items = list(items)
    shown = "\n".join(items[:limit])
    return shown + (f"\n… and {len(items) - limit} more" if len(items) > limit else "")
