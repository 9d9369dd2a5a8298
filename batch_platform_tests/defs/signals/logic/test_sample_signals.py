"""Unit tests for ``defs/signals/logic/sample_signals``: deterministic, documented sample files."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import types
from pathlib import Path

import pytest

from batch_platform.defs.signals.logic.sample_signals import generate_sample_data
from batch_platform.defs.signals.logic.signal_file_format import FileRejected, file_format
from batch_platform.defs.signals.logic.signal_files import stage_signal_file
from batch_platform.lib.landing import scan_landing_dir
from batch_platform.lib.warehouse import connect

NOW = dt.datetime(2026, 3, 1, 12, 0, 0)
EVENTS = 3000
DOCUMENTED_SIGNAL_FILES = [
    "website_events_part1.csv",
    "website_events_part2.csv",
    "website_events_part3.csv",
    "website_events_part4.csv",
    "product_events_a.jsonl.gz",
    "product_events_b.jsonl.gz",
    "email_events.parquet",
    "crm export, Q3|final.csv",
    "empty_upload.csv",
    "corrupt_upload.csv",
]
FIRMOGRAPHICS = "firmographics/firmographics_2024.csv"


def generate(root: Path, seed: int = 7, now: dt.datetime = NOW):
    return generate_sample_data(root, events=EVENTS, seed=seed, now=now)


def contents(root: Path) -> dict[str, tuple[bytes, int]]:
    """Every file under ``root``: (content, mtime_ns); gzip files decompressed."""
    result = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)
        result[str(path.relative_to(root))] = (data, path.stat().st_mtime_ns)
    return result


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    root = tmp_path_factory.mktemp("sample")
    return root, generate(root)


def test_writes_the_documented_files(sample):
    root, summary = sample
    assert summary.signal_files == DOCUMENTED_SIGNAL_FILES
    assert sorted(p.name for p in (root / "signals").iterdir()) == sorted(DOCUMENTED_SIGNAL_FILES)
    assert [p.name for p in (root / "firmographics").iterdir()] == ["firmographics_2024.csv"]
    assert summary.events == EVENTS
    assert summary.accounts == 200
    for name in summary.signal_files:
        assert file_format(name) is not None, name


def test_same_seed_and_now_give_the_same_files(tmp_path):
    first = generate(tmp_path / "a")
    second = generate(tmp_path / "b")
    assert first == second
    assert contents(tmp_path / "a") == contents(tmp_path / "b")


def test_another_seed_gives_other_data(tmp_path):
    generate(tmp_path / "a", seed=7)
    generate(tmp_path / "b", seed=8)
    a, b = contents(tmp_path / "a"), contents(tmp_path / "b")
    assert a.keys() == b.keys()
    assert a["signals/website_events_part1.csv"] != b["signals/website_events_part1.csv"]


def test_another_now_moves_the_events(tmp_path):
    generate(tmp_path / "a")
    generate(tmp_path / "b", now=NOW + dt.timedelta(days=1))
    a, b = contents(tmp_path / "a"), contents(tmp_path / "b")
    assert a["signals/email_events.parquet"] != b["signals/email_events.parquet"]


def test_files_landed_an_hour_before_now_in_written_order(sample):
    root, summary = sample
    landed = NOW.replace(tzinfo=dt.UTC).timestamp() - 3600
    for offset, name in enumerate(summary.signal_files):
        assert (root / "signals" / name).stat().st_mtime == landed + offset
    assert (root / FIRMOGRAPHICS).stat().st_mtime == landed - 60
    # Complete by the sensor's rules, oldest first in the order they were written.
    found = scan_landing_dir(root / "signals", lambda n: True, settle_seconds=10, now=landed + 3600)
    assert [f.name for f in found] == summary.signal_files


def test_files_carry_the_documented_mess(sample):
    root, _ = sample
    signals = root / "signals"
    part1 = (signals / "website_events_part1.csv").read_bytes()
    assert part1.startswith(b"\xef\xbb\xbf")
    assert b"Mozilla/5.0\n(X11" in part1
    assert not (signals / "website_events_part2.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    part4 = (signals / "website_events_part4.csv").read_bytes()
    assert part4.count(b"\r\n") == part4.count(b"\n")
    header = part1.decode("utf-8-sig").splitlines()[0]
    assert (
        header
        == " Event_ID,Occurred At,SOURCE,event_type,Email,account_domain,properties,user_agent"
    )
    assert (signals / "empty_upload.csv").read_bytes() == b""
    corrupt = (signals / "corrupt_upload.csv").read_bytes()
    assert len(corrupt) == 4096 and b"\x00" in corrupt
    with open(signals / "crm export, Q3|final.csv", newline="") as handle:
        crm = list(csv.DictReader(handle))
    assert crm and all(row["event_id"] == "" for row in crm)
    with gzip.open(signals / "product_events_a.jsonl.gz", "rt") as handle:
        assert all(line.startswith("{") for line in handle)


def test_website_csv_has_a_quoted_newline(sample):
    root, _ = sample
    path = root / "signals" / "website_events_part1.csv"
    with open(path, newline="", encoding="utf-8-sig") as handle:
        fields = [field for row in csv.reader(handle) for field in row]
    assert any("\n" in field for field in fields)


def test_firmographics_file(sample):
    root, summary = sample
    with open(root / FIRMOGRAPHICS, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == ["domain", "company_name", "industry", "employee_count", "country"]
    assert len(rows) == summary.accounts
    assert all(int(r["employee_count"]) > 0 for r in rows)


def test_every_event_is_staged_and_the_extras_are_as_documented(sample):
    root, summary = sample
    signals = root / "signals"
    con = connect(":memory:")
    staged: dict[str, list[tuple]] = {}
    rejected: dict[str, str] = {}
    try:
        for name in summary.signal_files:
            try:
                stage_signal_file(con, signals / name)
            except FileRejected as error:
                rejected[name] = error.reason
                continue
            staged[name] = con.execute(
                "SELECT event_id, occurred_at, source, event_type, email, account_domain, "
                "properties, parse_error FROM signal_stage ORDER BY source_line"
            ).fetchall()
    finally:
        con.close()
    assert rejected.keys() == {"empty_upload.csv", "corrupt_upload.csv"}
    assert rejected["empty_upload.csv"] == "empty file"
    assert "binary" in rejected["corrupt_upload.csv"]
    assert all(row[-1] is None for rows in staged.values() for row in rows), "no parse errors"

    website = [row for n in range(1, 5) for row in staged[f"website_events_part{n}.csv"]]
    invalid = [row for row in website if row[0].startswith("bad-")]
    assert len(invalid) == 40
    product_a = {row[0] for row in staged["product_events_a.jsonl.gz"]}
    product_b = {row[0] for row in staged["product_events_b.jsonl.gz"]}
    assert 0 < len(product_a & product_b) <= 500, "re-sent events across files"
    crm = staged["crm export, Q3|final.csv"]
    assert len(crm) - len(set(crm)) == 25, "within-file repeats"
    assert (
        len(website)
        - len(invalid)
        + len(product_a | product_b)
        + len(staged["email_events.parquet"])
        + len(set(crm))
        == summary.events
    )


def test_same_seed_and_now_give_byte_identical_files(tmp_path, monkeypatch):
    """Two runs at different wall-clock times, as in two CI jobs."""
    wall_clock = {"now": 1_000_000_000.0}
    monkeypatch.setattr(gzip, "time", types.SimpleNamespace(time=lambda: wall_clock["now"]))
    generate(tmp_path / "a")
    wall_clock["now"] += 60
    generate(tmp_path / "b")
    for path in sorted((tmp_path / "a").rglob("*.gz")):
        twin = tmp_path / "b" / path.relative_to(tmp_path / "a")
        assert path.read_bytes() == twin.read_bytes(), path.name


def test_now_defaults_to_the_current_time(tmp_path):
    before = dt.datetime.now(dt.UTC).timestamp()
    generate_sample_data(tmp_path, events=200)
    after = dt.datetime.now(dt.UTC).timestamp()
    mtime = (tmp_path / "signals" / "website_events_part1.csv").stat().st_mtime
    assert before - 3600 - 1 <= mtime <= after - 3600
