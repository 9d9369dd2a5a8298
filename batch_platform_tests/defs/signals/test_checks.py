"""The clean step's blocking checks catch what they guard against, on both of their query paths."""

import pytest

from batch_platform.defs.signals.logic import line_stats
from batch_platform.defs.signals.logic.signal_cleaning import (
    duplicates_without_kept_row,
    event_key_repeats,
    load_sql,
    row_accounting_failures,
)
from batch_platform.defs.signals.logic.signal_partitions import run_partitions
from batch_platform.lib.keys import partition_key_for

HEADER = "event_id,occurred_at,source,event_type,email,account_domain,properties\n"
ROWS = [
    "e1,2026-01-05T10:00:00Z,website,page_view,a@acme.com,,",
    "e2,2026-01-05T10:01:00Z,website,page_view,b@acme.com,,",
    "e1,2026-01-05T10:00:00Z,website,page_view,a@acme.com,,",  # duplicate of line 1
    "e3,not a time,website,page_view,c@acme.com,,",  # quarantined
    "e4,2026-01-05T10:03:00Z,product,login,d@acme.com,,",
]
KEY = partition_key_for("checked.csv")
FIRST_CLEAN = "(SELECT min(source_line) FROM clean.signals WHERE partition_key = $k)"
LAST_CLEAN = "(SELECT max(source_line) FROM clean.signals WHERE partition_key = $k)"


@pytest.fixture(params=["bits", "hash"])
def ingested(platform, request, monkeypatch):
    """A checked file; the line statistics count distinct lines with a bit per line, or (lines
    spread too wide for bits) with count(DISTINCT)."""
    if request.param == "hash":
        monkeypatch.setattr(line_stats, "MAX_LINE_BITS", 1)
    platform.write_signal_file("checked.csv", HEADER + "\n".join(ROWS) + "\n")
    assert platform.ingest("checked.csv").success
    return platform


def failing_accounting(platform) -> int:
    with platform.resources["duckdb"].get_connection() as con:
        return row_accounting_failures(con, [KEY])[KEY]


def execute(platform, sql: str) -> None:
    with platform.resources["duckdb"].get_connection() as con:
        con.execute(sql, {"k": KEY})


def test_accounting_passes_on_a_clean_ingest(ingested):
    assert failing_accounting(ingested) == 0


@pytest.mark.parametrize(
    "tamper",
    [
        f"DELETE FROM clean.signals WHERE partition_key = $k AND source_line = {LAST_CLEAN}",
        "INSERT INTO clean.signal_duplicates BY NAME SELECT partition_key, partition_id, "
        "source_file, source_line, event_key, source_file AS duplicate_of_file, "
        "1 AS duplicate_of_line, 'within_file' AS scope FROM clean.signals "
        f"WHERE partition_key = $k AND source_line = {LAST_CLEAN}",
        "UPDATE quarantine.signal_rows SET source_line = 99 WHERE partition_key = $k",
        f"UPDATE clean.signals SET source_line = {FIRST_CLEAN} "
        f"WHERE partition_key = $k AND source_line = {LAST_CLEAN}",
    ],
    ids=["row lost", "row placed twice", "line outside raw", "line repeated, one missing"],
)
@pytest.mark.parametrize("numbering", ["contiguous", "gapped"])
def test_accounting_fails_when_rows_are_lost_or_placed_twice(ingested, tamper, numbering):
    if numbering == "gapped":
        # Raw lines 1, 3, 4, 5, 6 … (not 1..n): the check compares line by line.
        for table in ("raw.signals", "clean.signals", "clean.signal_duplicates",
                      "quarantine.signal_rows"):  # fmt: skip
            execute(ingested, f"UPDATE {table} SET source_line = source_line + 1 "
                    "WHERE partition_key = $k AND source_line >= 2")  # fmt: skip
    execute(ingested, tamper)
    assert failing_accounting(ingested) > 0


def test_gapped_numbering_that_is_complete_still_passes(ingested):
    for table in ("raw.signals", "clean.signals", "clean.signal_duplicates",
                  "quarantine.signal_rows"):  # fmt: skip
        execute(ingested, f"UPDATE {table} SET source_line = source_line * 10 "
                "WHERE partition_key = $k")  # fmt: skip
    assert failing_accounting(ingested) == 0


def event_key_failures(platform, window=7) -> dict[str, int]:
    with platform.resources["duckdb"].get_connection() as con:
        return event_key_repeats(con, run_partitions(con, [KEY]), window)


def pointer_failures(platform) -> dict[str, int]:
    with platform.resources["duckdb"].get_connection() as con:
        return duplicates_without_kept_row(con, run_partitions(con, [KEY]))


def test_event_key_unique_counts_rows_whose_key_is_kept_twice(ingested):
    assert event_key_failures(ingested) == {KEY: 0}
    execute(
        ingested,
        "INSERT INTO clean.signals SELECT * REPLACE ('other' AS partition_key, 99 AS partition_id) "
        "FROM clean.signals WHERE partition_key = $k AND source_line = 1",
    )
    assert event_key_failures(ingested) == {KEY: 1}
    assert event_key_failures(ingested, window=None) == {KEY: 1}
    execute(
        ingested,
        "INSERT INTO clean.signals SELECT * REPLACE (9 AS source_line) "
        "FROM clean.signals WHERE partition_key = $k AND source_line = 2",
    )
    assert event_key_failures(ingested) == {KEY: 3}


def raw_line_failures(platform) -> dict[str, int]:
    with platform.resources["duckdb"].get_connection() as con:
        return line_stats.raw_line_failures(con, run_partitions(con, [KEY]))


LINE_TWO = "WHERE partition_key = $k AND source_line = 2"


@pytest.mark.parametrize(
    ("tamper", "failing"),
    [
        (f"UPDATE raw.signals SET source_line = 1 {LINE_TWO}", 1),
        ("UPDATE raw.signals SET source_line = source_line * 1000 WHERE partition_key = $k", 0),
    ],
    ids=["line repeated", "lines gapped"],
)
def test_raw_lines_unique_counts_repeated_and_missing_lines(ingested, tamper, failing):
    assert raw_line_failures(ingested) == {KEY: 0}
    execute(ingested, tamper)
    assert raw_line_failures(ingested) == {KEY: failing}


def test_points_at_kept_row_counts_duplicates_whose_kept_row_is_gone(ingested):
    assert pointer_failures(ingested) == {KEY: 0}
    execute(ingested, "DELETE FROM clean.signals WHERE partition_key = $k AND source_line = 1")
    assert pointer_failures(ingested) == {KEY: 1}


def test_rows_match_file_counts_a_partition_id_shared_with_another_file(ingested):
    def failing():
        with ingested.resources["duckdb"].get_connection() as con:
            partitions = run_partitions(con, [KEY])
            sql = partitions.sql(load_sql("check_rows_match_file"))
            return con.execute(sql, partitions.params()).fetchall()

    assert failing() == [(KEY, 0)]
    execute(
        ingested,
        "INSERT INTO raw.signal_partitions SELECT 'other.csv', partition_id "
        "FROM raw.signal_partitions WHERE partition_key = $k",
    )
    assert failing() == [(KEY, 1)]
