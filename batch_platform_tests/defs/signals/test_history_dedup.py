"""De-duplication against history through partition ids and the window of event time, and the
migration of a warehouse made before partition ids (Dagster, a real lake)."""

import datetime as dt

import pytest

from batch_platform.defs.signals.logic.signal_partitions import (
    WINDOW_SETTING,
    HistoryWindow,
    window_days,
)
from batch_platform.lib import warehouse

HEADER = "event_id,occurred_at,source,event_type,email,account_domain,properties\n"
DAY1 = HEADER + (
    "a1,2026-01-05T10:00:00Z,website,page_view,ann@acme.com,,\n"
    "a2,2026-01-05T11:00:00Z,website,page_view,bob@acme.com,,\n"
    ",2026-01-05T12:00:00Z,crm,meeting_booked,cy@beta.io,,\n"  # identity by content
    "a4,2026-01-05T13:00:00Z,email,email_open,dee@beta.io,,\n"
)
DAY2 = HEADER + (
    "a1,2026-01-05T10:00:00Z,website,page_view,ann@acme.com,,\n"  # re-delivered as it was
    ",2026-01-05T12:00:00Z,crm,meeting_booked,cy@beta.io,,\n"  # the same content again
    "a2,2026-01-07T11:00:00Z,website,page_view,bob@acme.com,,\n"  # its id, two days later
    "b1,2026-01-08T09:00:00Z,product,login,eve@acme.com,,\n"
    "b1,2026-01-08T09:00:00Z,product,login,eve@acme.com,,\n"  # within the file
)
DAY3 = HEADER + (
    "a4,2026-01-25T13:00:00Z,email,email_open,dee@beta.io,,\n"  # its id, twenty days later
    "c1,2026-01-25T08:00:00Z,website,page_view,fay@acme.com,,\n"
)


def duplicates(platform, source_file):
    return platform.query(
        "SELECT source_line, scope, duplicate_of_file, duplicate_of_line "
        "FROM clean.signal_duplicates WHERE source_file = $f ORDER BY source_line",
        {"f": source_file},
    )


def ingest_ok(platform, name, content=None):
    if content is not None:
        platform.write_signal_file(name, content)
    result = platform.ingest(name)
    assert result.success
    failed = [c.check_name for c in result.get_asset_check_evaluations() if not c.passed]
    assert not failed, (name, failed)
    return result


def test_repeats_of_history_are_found_within_the_window(platform, monkeypatch):
    monkeypatch.setenv(WINDOW_SETTING, "3")
    ingest_ok(platform, "day1.csv", DAY1)
    ingest_ok(platform, "day2.csv", DAY2)
    assert duplicates(platform, "day2.csv") == [
        (1, "across_files", "day1.csv", 1),
        (2, "across_files", "day1.csv", 3),
        (3, "across_files", "day1.csv", 2),
        (5, "within_file", "day2.csv", 4),
    ]
    # Twenty days apart is beyond the 3-day window: the id's second copy is not compared.
    ingest_ok(platform, "day3.csv", DAY3)
    assert duplicates(platform, "day3.csv") == []
    # With the window at 'all', re-running day3 compares with all history and finds it.
    monkeypatch.setenv(WINDOW_SETTING, "all")
    ingest_ok(platform, "day3.csv")
    assert duplicates(platform, "day3.csv") == [(1, "across_files", "day1.csv", 4)]
    assert platform.query("SELECT count(*) FROM clean.signals WHERE event_id = 'a4'") == [(1,)]


def test_partitions_get_ids_in_landing_order_and_reruns_keep_tables_identical(platform):
    for name, content in (("day1.csv", DAY1), ("day2.csv", DAY2), ("day3.csv", DAY3)):
        ingest_ok(platform, name, content)
    ids = platform.query("SELECT partition_key, partition_id FROM raw.signal_partitions ORDER BY 2")
    assert ids == [("day1.csv", 1), ("day2.csv", 2), ("day3.csv", 3)]
    for table in ("raw.signals", "clean.signals", "clean.signal_duplicates"):
        rows = platform.query(
            f"SELECT DISTINCT t.partition_key, t.partition_id FROM {table} AS t ORDER BY 2"
        )
        assert set(rows) <= set(ids), table
    assert platform.query("SELECT count(*) FROM clean.signals WHERE event_hash IS NULL") == [(0,)]
    before = platform.snapshot()
    ingest_ok(platform, "day2.csv")
    assert platform.snapshot() == before


def test_warehouse_from_before_partition_ids_is_migrated_on_first_use(platform):
    ingest_ok(platform, "day1.csv", DAY1)
    ingest_ok(platform, "day2.csv", DAY2)
    with platform.resources["duckdb"].get_connection() as con:
        for table in ("raw.signals", "clean.signals", "clean.signal_duplicates",
                      "quarantine.signal_rows"):  # fmt: skip
            con.execute(f"ALTER TABLE {table} DROP COLUMN partition_id")
        con.execute("ALTER TABLE clean.signals DROP COLUMN event_hash")
        con.execute("DROP TABLE raw.signal_partitions")
    warehouse._PROCESS_DATABASE._schema_applied.clear()  # as a new process would apply it
    ingest_ok(
        platform,
        "day4.csv",
        HEADER + "a2,2026-01-05T11:00:00Z,website,page_view,bob@acme.com,,\n"
        "d1,2026-01-06T08:00:00Z,crm,meeting_booked,gus@acme.com,,\n",
    )
    assert duplicates(platform, "day4.csv") == [(1, "across_files", "day1.csv", 2)]
    ids = dict(platform.query("SELECT partition_key, partition_id FROM raw.signal_partitions"))
    assert ids["day4.csv"] == 3 and {ids["day1.csv"], ids["day2.csv"]} == {1, 2}
    for table in ("raw.signals", "clean.signals", "clean.signal_duplicates"):
        assert platform.query(f"SELECT count(*) FROM {table} WHERE partition_id IS NULL") == [(0,)]
    assert platform.query("SELECT count(*) FROM clean.signals WHERE event_hash IS NULL") == [(0,)]
    # A file of the old warehouse, changed and loaded again, replaces its rows (no old rows left).
    ingest_ok(
        platform, "day1.csv", DAY1 + "a9,2026-01-05T14:00:00Z,crm,meeting_booked,hal@acme.com,,\n"
    )
    assert platform.query("SELECT count(*) FROM raw.signals WHERE source_file = 'day1.csv'") == [
        (5,)
    ]
    assert platform.query("SELECT count(*) FROM clean.signals WHERE source_file = 'day1.csv'") == [
        (5,)
    ]


def test_window_setting():
    assert window_days({}) == 3
    assert window_days({WINDOW_SETTING: "0"}) == 0
    assert window_days({WINDOW_SETTING: " ALL "}) is None
    for bad in ("-1", "two", "1.5"):
        with pytest.raises(ValueError, match=WINDOW_SETTING):
            window_days({WINDOW_SETTING: bad})


def test_history_window_covers_each_day_widened_and_merges():
    day = dt.datetime(2026, 1, 5)
    window = HistoryWindow.around([day, day, day + dt.timedelta(days=2), day.replace(month=3)], 1)
    assert window.intervals == (
        (dt.datetime(2026, 1, 4), dt.datetime(2026, 1, 9)),
        (dt.datetime(2026, 3, 4), dt.datetime(2026, 3, 7)),
    )
    assert HistoryWindow.around([day], None).scans() == [("true", {})]
    assert HistoryWindow.around([], 3).intervals == ()
    many = HistoryWindow.around([day + dt.timedelta(days=10 * n) for n in range(40)], 0)
    assert len(many.intervals) == 16
    assert many.intervals[0][0] == day and many.intervals[-1][1] == day + dt.timedelta(days=391)
