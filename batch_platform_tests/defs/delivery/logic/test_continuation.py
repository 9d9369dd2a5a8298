"""Whether another delivery run follows the same night: the page budget, progress, the window."""

import datetime as dt

import pytest

from batch_platform.defs.delivery.logic.continuation import (
    DestinationRound,
    continuation,
    window_end,
)

NEW_YORK = "America/New_York"
DAY = "2026-11-21"


def at(text: str) -> dt.datetime:
    """A time in New York on the morning after DAY, or any ISO time with its offset."""
    return dt.datetime.fromisoformat(text)


@pytest.mark.parametrize(
    ("rounds", "now", "follow", "reason"),
    [
        ([DestinationRound("crm", 10_000, 90_000, True)], "2026-11-22T02:40:00-05:00", True,
         "page budget spent, still pending: crm 90,000"),
        ([DestinationRound("crm", 10_000, 90_000, True)], "2026-11-22T07:59:59-05:00", True,
         "page budget spent, still pending: crm 90,000"),
        ([DestinationRound("crm", 10_000, 90_000, True)], "2026-11-22T08:00:00-05:00", False,
         "the night's window ended at 2026-11-22 08:00 EST; pending: crm 90,000"),
        ([DestinationRound("crm", 4_000, 0, False)], "2026-11-22T03:00:00-05:00", False,
         "nothing left that the page budget held back"),
        ([DestinationRound("crm", 10_000, 0, True)], "2026-11-22T03:00:00-05:00", False,
         "nothing left that the page budget held back"),
        ([DestinationRound("crm", 0, 50_000, True)], "2026-11-22T03:00:00-05:00", False,
         "the budget was spent but nothing was delivered"),
        ([DestinationRound("crm", 0, 50_000, False), DestinationRound("map", 10_000, 7, True)],
         "2026-11-22T03:00:00-05:00", True, "page budget spent, still pending: map 7"),
    ],
)  # fmt: skip
def test_continuation(rounds, now, follow, reason):
    decision = continuation(
        rounds, as_of_date=DAY, now=at(now), night_window_end=dt.time(8), timezone=NEW_YORK
    )
    assert (decision.follow, decision.reason) == (follow, reason)


def test_the_window_ends_in_local_time_across_a_clock_change():
    # 1 November 2026: New York goes back to standard time; 08:00 is 13:00 UTC, not 12:00.
    ends = window_end("2026-10-31", dt.time(8), NEW_YORK)
    assert ends.astimezone(dt.UTC) == dt.datetime(2026, 11, 1, 13, 0, tzinfo=dt.UTC)
