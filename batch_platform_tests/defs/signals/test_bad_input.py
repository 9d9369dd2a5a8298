"""Bad input through the real assets: quarantined with a reason or cleaned, nothing lost."""

import gzip
import json
import os

import pytest

from batch_platform.lib.keys import partition_key_for
from batch_platform_tests.defs.signals.test_ingest import assert_exact_accounting

HEADER = "event_id,occurred_at,source,event_type,email,account_domain,properties\n"
GOOD = "g1,2026-01-01T00:00:00Z,website,page_view,ann@x.io,,\n"

WHOLE_FILE_CASES = {
    "binary.csv": (bytes(range(256)) * 64, "binary content"),
    "empty.csv": (b"", "empty file"),
    "header_only.csv": (HEADER.encode(), "no data rows"),
    "semicolons.csv": (HEADER.replace(",", ";").encode() + b"1;2;3\n", "other than a comma"),
    "truncated.csv.gz": (gzip.compress((HEADER + GOOD * 5000).encode())[:-40], "decompress"),
    "missing_email.csv": (b"event_id,occurred_at,source,event_type\n1,2,3,4\n", "email"),
    "notes.txt": (b"hello", "unsupported file type"),
}


@pytest.mark.parametrize("name", sorted(WHOLE_FILE_CASES))
def test_unreadable_files_are_quarantined_whole_with_a_reason(platform, name):
    content, reason_words = WHOLE_FILE_CASES[name]
    platform.write_signal_file(name, content)
    result = platform.ingest(name)
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
    (reason,) = platform.query("SELECT reason FROM quarantine.signal_files")[0]
    assert reason_words in reason
    assert platform.query("SELECT count(*) FROM raw.signals") == [(0,)]


def test_row_level_bad_input_is_cleaned_or_quarantined(platform):
    rows = [
        "u1,2026-01-01T00:00:00Z,website,page_view,Zoë.Müller@Bücher.de,,",  # Unicode email
        "u2,9999-12-31T23:59:59Z,website,page_view,a@x.io,,",  # far future
        "u3,1900-01-01T00:00:00Z,website,page_view,a@x.io,,",  # far past
        'u4,2026-01-01T00:00:00Z,website,page_view,"x\'); DROP TABLE raw.signals;--@x.io",,',
        'u5,2026-01-01T00:00:00Z,website,page_view,b@x.io,,"{""q"": ""\'; DELETE FROM x""}"',
        "u6,2026-01-01T00:00:00Z,website,page_view,c@x.io,../../etc/passwd,",
    ]
    content = (
        HEADER + "\n".join(rows) + "\n"
    ).encode() + b"u7,2026-01-01,website,page_view,\xff@x.io,,\n"
    platform.write_signal_file("values.csv", content)
    assert platform.ingest("values.csv").success
    assert_exact_accounting(platform)
    cleaned = dict(platform.query("SELECT event_id, email FROM clean.signals"))
    assert cleaned["u1"] == "zoë.müller@bücher.de"
    assert cleaned["u5"] == "b@x.io"
    reasons = dict(platform.query("SELECT event_id, reason FROM quarantine.signal_rows"))
    assert reasons["u2"] == "occurred_at is in the future"
    assert reasons["u3"] == "occurred_at is before 2000"
    assert "invalid UTF-8" in reasons["u7"]
    assert platform.query("SELECT count(*) FROM raw.signals") == [(7,)]


def test_columns_in_another_order_extra_and_missing(platform):
    content = (
        "EMAIL,campaign,Event_Type,source,occurred_at\n"
        "a@x.io,spring,page_view,website,2026-01-01T00:00:00Z\n"
    )
    platform.write_signal_file("reordered.csv", content)
    assert platform.ingest("reordered.csv").success
    assert platform.query("SELECT email, event_type, event_id FROM clean.signals") == [
        ("a@x.io", "page_view", None)
    ]
    assert json.loads(platform.query("SELECT extra_columns FROM raw.signals")[0][0]) == {
        "campaign": "spring"
    }


def test_a_100_mb_line_is_kept_and_quarantined_not_fatal(platform):
    """Over the 16 MiB a row may have: the row is kept by line number with the reason; only the
    start of the line was ever held in memory."""
    huge = "x" * (100 * 1024 * 1024)
    content = (
        HEADER
        + GOOD
        + f'g2,2026-01-01T00:00:00Z,website,page_view,b@x.io,,"{huge}"\n'
        + GOOD.replace("g1", "g3")
    )
    platform.write_signal_file("huge.csv", content)
    assert platform.ingest("huge.csv").success
    assert_exact_accounting(platform)
    [(line_number, reason)] = platform.query(
        "SELECT source_line, reason FROM quarantine.signal_rows"
    )
    assert line_number == 2
    assert reason.startswith("unparseable row: line of 104,857,") and "16 Mi" in reason
    assert platform.query("SELECT count(*) FROM clean.signals") == [(2,)]


@pytest.mark.parametrize(
    "name",
    ["a,b|c.csv", "it's; DROP TABLE raw.signals;.csv", "spaces and ünïcode.csv", "..csv"],
)
def test_file_names_with_metacharacters(platform, name):
    platform.write_signal_file(name, HEADER + GOOD)
    assert platform.ingest(name).success
    assert platform.query("SELECT DISTINCT source_file, partition_key FROM raw.signals") == [
        (name, partition_key_for(name))
    ]
    assert platform.query("SELECT count(*) FROM clean.signals") == [(1,)]


def view(event_id: str, email: str) -> str:
    return f"{event_id},2026-01-05T10:00:00Z,website,page_view,{email},,\n"


def test_names_that_are_glob_patterns_read_only_their_own_file(platform):
    # DuckDB's readers expand [..] in a path: ja[n].csv would read jan.csv's rows.
    platform.write_signal_file(
        "jan.csv", HEADER + "j1,2026-01-05T10:00:00Z,website,page_view,a@x.io,,\n"
    )
    platform.write_signal_file(
        "ja[n].csv",
        HEADER
        + "b1,2026-01-06T10:00:00Z,website,page_view,b@x.io,,\n"
        + "b2,2026-01-06T11:00:00Z,website,page_view,b@x.io,,\n",
    )
    for name in ("jan.csv", "ja[n].csv"):
        assert platform.ingest(name).success
    assert platform.query(
        "SELECT source_file, list(event_id ORDER BY source_line) FROM raw.signals GROUP BY 1 "
        "ORDER BY 1"
    ) == [("ja[n].csv", ["b1", "b2"]), ("jan.csv", ["j1"])]


def test_a_fifo_is_quarantined_without_blocking_the_run(platform):
    os.mkfifo(platform.signals_dir / "pipe.csv")
    assert platform.ingest("pipe.csv").success  # returns: nothing waits on the FIFO
    assert platform.query("SELECT source_file, reason FROM quarantine.signal_files") == [
        ("pipe.csv", "pipe.csv is not a regular file (a FIFO, device or directory is never read)")
    ]
    assert platform.query("SELECT count(*) FROM raw.signals") == [(0,)]


def test_a_symlink_swapped_in_after_landing_is_not_followed(platform, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text(HEADER + "s1,2026-01-05T10:00:00Z,website,page_view,boss@x.io,,\n")
    landed = platform.write_signal_file(
        "ok.csv", HEADER + "o1,2026-01-05T10:00:00Z,website,page_view,a@x.io,,\n"
    )
    # The sensor saw a regular file; before the run opens it, the name becomes a link.
    landed.unlink()
    landed.symlink_to(secret)
    assert platform.ingest("ok.csv").success
    assert platform.query("SELECT reason FROM quarantine.signal_files") == [
        ("ok.csv is a symbolic link; landed files are read only as regular files",)
    ]
    assert platform.query("SELECT count(*) FROM raw.signals") == [(0,)]
