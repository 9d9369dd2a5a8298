"""Files on storage against the catalog, snapshots against the retention."""

import datetime as dt

import pytest

from batch_platform.defs.lake.logic.file_accounting import (
    bytes_freed,
    missing_files,
    shown_list,
    snapshots_beyond_retention,
)

T0 = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def test_missing_files():
    assert missing_files(["/d/b", "/d/a", "/d/c"], ["/d/c", "/d/x"]) == ["/d/a", "/d/b"]
    assert missing_files([], ["/d/x"]) == []
    assert missing_files(["/d/a", "/d/a"], []) == ["/d/a"]


def test_bytes_freed_counts_each_file_once_and_unknown_as_zero():
    sizes = {"/d/a": 10, "/d/b": 5}
    assert bytes_freed(["/d/a", "/d/a", "/d/b", "/d/gone"], sizes) == 15
    assert bytes_freed([], sizes) == 0


def at(hours: float) -> dt.datetime:
    return T0 + dt.timedelta(hours=hours)


@pytest.mark.parametrize(
    ("snapshots", "beyond"),
    [
        ([], []),
        ([(0, at(-100))], []),  # the only snapshot, however old
        ([(0, at(-100)), (1, at(1))], []),  # the newest old one may have been current
        ([(0, at(-100)), (1, at(-50)), (2, at(1))], [0]),
        ([(3, at(-1)), (1, at(-3)), (2, at(-2))], [1, 2]),  # unordered input
        ([(5, at(1)), (6, at(2))], []),  # all within the retention
        ([(0, at(0)), (1, at(1))], []),  # taken at the cutoff itself: kept
    ],
)
def test_snapshots_beyond_retention(snapshots, beyond):
    assert snapshots_beyond_retention(snapshots, T0) == beyond


def test_shown_list():
    assert shown_list([]) == ""
    assert shown_list(["a", "b"]) == "a\nb"
    assert shown_list([str(i) for i in range(5)], limit=2) == "0\n1\n… and 3 more"
