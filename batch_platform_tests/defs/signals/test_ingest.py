"""Raw and cleaned signals, materialized through Dagster on a real DuckDB file."""

import datetime as dt
import gzip
import json
import random

import pytest

from batch_platform.defs.signals.logic.sample_signals import generate_sample_data
from batch_platform.lib.keys import partition_key_for
from batch_platform_tests.conftest import Platform

HEADER = "event_id,occurred_at,source,event_type,email,account_domain,properties\n"


def accounting(platform, source_file=None):
    """Sets of (source_file, source_line) in raw and in each of the three destinations."""
    where = "WHERE source_file = $f" if source_file else ""
    params = {"f": source_file} if source_file else None

    def lines(table):
        return set(platform.query(f"SELECT source_file, source_line FROM {table} {where}", params))

    return (
        lines("raw.signals"),
        lines("clean.signals"),
        lines("clean.signal_duplicates"),
        lines("quarantine.signal_rows"),
    )


def assert_exact_accounting(platform, source_file=None):
    raw, cleaned, duplicates, quarantined = accounting(platform, source_file)
    assert not (cleaned & duplicates) and not (cleaned & quarantined)
    assert not (duplicates & quarantined)
    assert cleaned | duplicates | quarantined == raw
    total_placed = sum(
        platform.query(f"SELECT count(*) FROM {t}")[0][0]
        for t in ["clean.signals", "clean.signal_duplicates", "quarantine.signal_rows"]
    )
    if source_file is None:
        assert total_placed == len(raw)


def test_sample_data_end_to_end_accounts_for_every_row(any_platform):
    platform = any_platform
    summary = generate_sample_data(platform.landing, events=3000, now=dt.datetime(2026, 3, 1))
    for name in summary.signal_files:
        result = platform.ingest(name)
        assert result.success
        assert all(e.passed for e in result.get_asset_check_evaluations()), name
    assert_exact_accounting(platform)
    assert platform.query("SELECT count(*) FROM clean.signals")[0][0] == 3000
    quarantined = dict(platform.query("SELECT source_file, reason FROM quarantine.signal_files"))
    assert quarantined == {
        "empty_upload.csv": "empty file",
        "corrupt_upload.csv": "binary content (NUL bytes) where text was expected",
    }
    scopes = dict(platform.query("SELECT scope, count(*) FROM clean.signal_duplicates GROUP BY 1"))
    assert scopes["within_file"] == 25 and 0 < scopes["across_files"] <= 500
    assert platform.query("SELECT count(*) FROM quarantine.signal_rows")[0][0] == 40


def test_messy_values_are_normalised(platform):
    platform.write_signal_file(
        "messy.csv",
        "\ufeff Event_ID ,Occurred At,SOURCE,Event Type,EMAIL,account_domain,properties,Notes\n"
        'a1,2026-01-05T10:00:00+02:00,Website,Page View,"  Jane.Doe@ACME.com ",'
        'WWW.Acme.COM,"{""path"": ""/pricing""}",\n'
        "a2,2026-01-05 10:00:00,crm,meeting booked,bob@gmail.com,,,\n"
        'a3,2026-01-05,email,EMAIL-CLICK,carol@beta.io,,,"two\nlines"\n',
    )
    assert platform.ingest("messy.csv").success
    rows = platform.query(
        "SELECT event_id, occurred_at, source, event_type, email, account_domain "
        "FROM clean.signals ORDER BY source_line"
    )
    assert rows == [
        ("a1", dt.datetime(2026, 1, 5, 8), "website", "pricing_page_view", "jane.doe@acme.com",
         "acme.com"),
        ("a2", dt.datetime(2026, 1, 5, 10), "crm", "meeting_booked", "bob@gmail.com", None),
        ("a3", dt.datetime(2026, 1, 5), "email", "email_click", "carol@beta.io", "beta.io"),
    ]  # fmt: skip


def test_invalid_rows_are_quarantined_with_reasons(platform):
    platform.write_signal_file(
        "bad.csv",
        HEADER + "1,2026-01-01T00:00:00Z,website,page_view,ok@x.io,,\n"
        "2,not a date,website,page_view,ok@x.io,,\n"
        "3,2026-01-01T00:00:00Z,fax,page_view,ok@x.io,,\n"
        "4,2026-01-01T00:00:00Z,website,teleport,ok@x.io,,\n"
        "5,2026-01-01T00:00:00Z,website,page_view,nope,,\n"
        "6,2999-01-01T00:00:00Z,website,page_view,ok@x.io,,\n"
        "7,1970-01-01T00:00:00Z,website,page_view,ok@x.io,,\n"
        '8,2026-01-01T00:00:00Z,website,page_view,ok@x.io,,"[1,2]"\n'
        "9,2026-01-01T00:00:00Z,website,page_view,ok@x.io,,,surplus\n"
        "10,,,,,,\n"
        "11,infinity,website,page_view,ok@x.io,,\n"
        "12,-infinity,website,page_view,ok@x.io,,\n",
    )
    assert platform.ingest("bad.csv").success
    reasons = dict(platform.query("SELECT source_line, reason FROM quarantine.signal_rows"))
    assert reasons[2] == "occurred_at is not an ISO-8601 timestamp"
    assert reasons[5] == "implausible email"
    assert reasons[6] == "occurred_at is in the future"
    assert reasons[7] == "occurred_at is before 2000"
    assert reasons[8] == "properties is not a JSON object"
    assert reasons[9].startswith("unparseable row: 8 fields where the header has 7")
    assert reasons[10] == "missing occurred_at; missing source; missing event_type; missing email"
    # DuckDB reads 'infinity' as a timestamp; it is no ISO-8601 time.
    assert reasons[11] == reasons[12] == "occurred_at is not an ISO-8601 timestamp"
    assert set(reasons) == set(range(2, 13)) - {3, 4}
    # A source or event type in no list is kept as 'unmapped' (test_unmapped_values.py).
    assert platform.query(
        "SELECT source_line, source, source_raw, event_type, event_type_raw FROM clean.signals "
        "WHERE 'unmapped' IN (source, event_type) ORDER BY source_line"
    ) == [(3, "unmapped", "fax", "page_view", "page_view"),
          (4, "website", "website", "unmapped", "teleport")]  # fmt: skip
    assert_exact_accounting(platform)


def test_duplicates_first_seen_wins_within_and_across_files(any_platform):
    platform = any_platform
    rows = [
        f"e{n},2026-01-0{1 + n % 5}T00:00:00Z,website,page_view,u{n}@x.io,,\n" for n in range(6)
    ]
    platform.write_signal_file("a.csv", HEADER + "".join(rows[:4]) + rows[0])
    platform.write_signal_file("b.csv", HEADER + "".join(rows[2:]))
    platform.ingest("a.csv")
    platform.ingest("b.csv")
    dups = platform.query(
        "SELECT source_file, source_line, duplicate_of_file, duplicate_of_line, scope "
        "FROM clean.signal_duplicates ORDER BY ALL"
    )
    assert dups == [
        ("a.csv", 5, "a.csv", 1, "within_file"),
        ("b.csv", 1, "a.csv", 3, "across_files"),
        ("b.csv", 2, "a.csv", 4, "across_files"),
    ]
    before = platform.snapshot()
    platform.ingest("a.csv")
    platform.ingest("b.csv")
    assert platform.snapshot() == before


def test_events_without_id_are_identified_by_content(platform):
    line = ",2026-01-01T00:00:00Z,crm,meeting_booked,ann@x.io,,\n"
    upper = ",2026-01-01T00:00:00+00:00,CRM,Meeting Booked,ANN@X.IO,,\n"
    platform.write_signal_file("c.csv", HEADER + line + upper + line.replace("01T", "02T"))
    platform.ingest("c.csv")
    assert platform.query("SELECT count(*) FROM clean.signals")[0][0] == 2
    assert platform.query("SELECT source_line FROM clean.signal_duplicates") == [(2,)]


def test_materializing_a_partition_twice_leaves_identical_tables(platform):
    summary = generate_sample_data(platform.landing, events=2000, now=dt.datetime(2026, 3, 1))
    for name in summary.signal_files:
        platform.ingest(name)
    first = platform.snapshot()
    for name in reversed(summary.signal_files):
        platform.ingest(name)
    assert platform.snapshot() == first


def test_file_names_with_unsafe_characters_get_safe_keys(platform):
    name = "crm, export|v2 (final).csv"
    platform.write_signal_file(name, HEADER + "1,2026-01-01T00:00:00Z,crm,meeting,a@b.io,,\n")
    result = platform.ingest(name)
    key = partition_key_for(name)
    assert result.success and key != name
    assert platform.query("SELECT DISTINCT partition_key, source_file FROM raw.signals") == [
        (key, name)
    ]


def test_jsonl_gzip_and_parquet_files(platform):
    records = [
        {"event_id": "j1", "OCCURRED_AT": "2026-01-01T00:00:00Z", "source": "product",
         "event_type": "login", "email": "p@q.io", "properties": {"k": 1}, "extra": "x"},
        "not json at all",
        ["an", "array"],
    ]  # fmt: skip
    text = "\n".join(r if isinstance(r, str) else json.dumps(r) for r in records) + "\n"
    platform.write_signal_file("p.jsonl.gz", gzip.compress(text.encode()))
    assert platform.ingest("p.jsonl.gz").success
    assert platform.query("SELECT source_line, properties::VARCHAR FROM clean.signals") == [
        (1, '{"k":1}')
    ]
    assert platform.query("SELECT extra_columns FROM raw.signals WHERE source_line = 1") == [
        ('{"extra":"x"}',)
    ]
    reasons = platform.query("SELECT source_line, reason FROM quarantine.signal_rows ORDER BY 1")
    assert [r[0] for r in reasons] == [2, 3]
    assert_exact_accounting(platform)


@pytest.mark.parametrize("seed", range(4))
def test_random_messy_files_keep_exact_accounting(platform, seed):
    ingest_random_messy_files(platform, seed)


def test_random_messy_files_keep_exact_accounting_in_ducklake(tmp_path, lake_catalog):
    platform = Platform(tmp_path)
    ingest_random_messy_files(platform, seed=11)


def ingest_random_messy_files(platform, seed):
    rng = random.Random(seed)
    pool = [
        "e{n},2026-01-01T0{h}:00:00Z,website,page_view,u{u}@x.io,,",
        "e{n},2026-01-01T0{h}:00:00+05:00,PRODUCT,Login,U{u}@X.IO,,",
        ",2026-01-01,crm,meeting_booked,u{u}@x.io,,",
        "e{n},garbage,website,page_view,u{u}@x.io,,",
        "e{n},2026-01-01,website,page_view,not-an-email,,",
        "e{n},2026-01-01,website,page_view,u{u}@x.io,,{{bad",
        'e{n},2026-01-01,website,page_view,u{u}@x.io,,"{{""a"": ""multi\nline""}}"',
        "e{n},2026-01-01,website",
        "e{n},2026-01-01,website,page_view,u{u}@x.io,,,,,",
    ]
    names = []
    for f in range(4):
        lines = [
            rng.choice(pool).format(n=rng.randrange(40), h=rng.randrange(10), u=rng.randrange(9))
            for _ in range(rng.randrange(1, 60))
        ]
        name = f"rand {seed}-{f}.csv"
        platform.write_signal_file(name, HEADER + "\n".join(lines) + "\n")
        names.append(name)
    for name in names:
        result = platform.ingest(name)
        assert result.success
        assert all(e.passed for e in result.get_asset_check_evaluations())
    for name in names:
        assert_exact_accounting(platform, name)
    assert_exact_accounting(platform)
