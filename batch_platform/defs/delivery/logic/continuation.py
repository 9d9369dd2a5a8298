"""When a delivery run spent its page budget with records still pending, another run follows the
same night, until nothing is pending or the night's window ends.

A run sends at most ``max_pages_per_run`` pages per destination, so each run stays short (its
audit written, its report out, the delivery pool free for a moment) however large the sync. The
continuation sensor asks :func:`continuation` after every successful ``score_delivery`` run:
another run of the same day follows when a destination spent its whole budget, delivered
something, and still has records pending, and the night's window (``sync.night_window_end``, in
the partitions' time zone, on the morning after the scored day) is still open. A run that
delivered nothing, or stopped on a destination error, does not continue: its records wait for
the next night rather than being retried in a loop.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class DestinationRound:
    """What one run did for one destination, as its materialization recorded it."""

    destination: str
    succeeded: int
    pending_after: int
    budget_spent: bool


@dataclass(frozen=True)
class Continuation:
    follow: bool
    reason: str


def window_end(as_of_date: str, night_window_end: dt.time, timezone: str) -> dt.datetime:
    """When the night that delivers ``as_of_date`` ends: ``night_window_end`` on the next day."""
    next_day = dt.date.fromisoformat(as_of_date) + dt.timedelta(days=1)
    return dt.datetime.combine(next_day, night_window_end, tzinfo=ZoneInfo(timezone))


def continuation(
    rounds: Sequence[DestinationRound],
    *,
    as_of_date: str,
    now: dt.datetime,
    night_window_end: dt.time,
    timezone: str,
) -> Continuation:
    """Whether another run of ``as_of_date`` follows the run that did ``rounds``; ``now`` is
    timezone-aware."""
    unfinished = [r for r in rounds if r.budget_spent and r.pending_after > 0]
    if not unfinished:
        return Continuation(False, "nothing left that the page budget held back")
    moving = [r for r in unfinished if r.succeeded > 0]
    if not moving:
        return Continuation(False, "the budget was spent but nothing was delivered")
    ends = window_end(as_of_date, night_window_end, timezone)
    pending = ", ".join(f"{r.destination} {r.pending_after:,}" for r in moving)
    if now >= ends:
        return Continuation(
            False, f"the night's window ended at {ends:%Y-%m-%d %H:%M %Z}; pending: {pending}"
        )
    return Continuation(True, f"page budget spent, still pending: {pending}")
