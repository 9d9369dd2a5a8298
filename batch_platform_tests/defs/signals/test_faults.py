"""Faults a batch system must survive: killed writers, vanished files, full disks, many files."""

import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time

import dagster as dg
import duckdb
import pytest

from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.defs.signals.assets.raw_signals import raw_signals
from batch_platform.lib.warehouse import WarehouseError, connect
from batch_platform_tests.conftest import Platform, require_or_skip
from batch_platform_tests.defs.signals.test_automation import land_old, requested_keys, tick

HEADER = "event_id,occurred_at,source,event_type,email,account_domain,properties\n"
# Loads and cleans one file. With a third argument, the process stops at that point of the load
# (after staging the file, or right after replacing the named table, inside its still-open
# transaction), says so on stdout and waits there for the test to kill it.
INGEST = """
import sys
from pathlib import Path
from batch_platform.defs.signals.logic import raw_signal_load, signal_cleaning
from batch_platform.lib.warehouse import connect

PAUSE_AT = sys.argv[3] if len(sys.argv) > 3 else None


def pausing(function, point_of):
    def wrapper(*args, **kwargs):
        result = function(*args, **kwargs)
        if point_of(args) == PAUSE_AT:
            print("paused at", PAUSE_AT, flush=True)
            sys.stdin.readline()
        return result
    return wrapper


raw_signal_load.stage_signal_file = pausing(raw_signal_load.stage_signal_file, lambda a: "staged")
for module in (raw_signal_load, signal_cleaning):
    module.write_partition = pausing(module.write_partition, lambda a: a[1])
con = connect(sys.argv[1])
print("connected", flush=True)
raw_signal_load.load_signal_file(con, Path(sys.argv[2]), "big.csv", "big.csv")
signal_cleaning.clean_signal_partition(con, "big.csv")
print("done", flush=True)
"""


def write_big_file(path, rows: int) -> None:
    con = duckdb.connect()
    con.execute(
        "COPY (SELECT 'e' || i AS event_id, '2026-01-01T00:00:00Z' AS occurred_at, "
        "'website' AS source, 'page_view' AS event_type, 'u' || (i % 5000) || '@x.io' AS email, "
        "'' AS account_domain, '' AS properties FROM range($rows) t(i)) TO "
        "'" + str(path) + "' (HEADER)",
        {"rows": rows},
    )
    con.close()


def failed_raw_load(platform, key: str) -> str:
    """Materialize raw/raw_signals for ``key``, expect failure, return the failure's full text."""
    platform.instance.add_dynamic_partitions("signal_files", [key])
    result = dg.materialize(
        [raw_signals],
        partition_key=key,
        resources=platform.resources,
        instance=platform.instance,
        raise_on_error=False,
    )
    assert not result.success
    error, parts = result.get_step_failure_events()[0].step_failure_data.error, []
    while error is not None:
        parts.append(error.message)
        error = error.cause
    return "\n".join(parts)


def partition_counts(warehouse) -> tuple[int, int, int, int]:
    con = connect(warehouse, read_only=True)
    try:
        return con.execute(
            "SELECT (SELECT count(*) FROM raw.signals WHERE partition_key = 'big.csv'), "
            "(SELECT count(*) FROM clean.signals WHERE partition_key = 'big.csv'), "
            "(SELECT count(*) FROM clean.signal_duplicates WHERE partition_key = 'big.csv'), "
            "(SELECT count(*) FROM quarantine.signal_rows WHERE partition_key = 'big.csv')"
        ).fetchone()
    finally:
        con.close()


ROWS = 300_000


@pytest.fixture(scope="module")
def loaded_warehouse(tmp_path_factory):
    """A warehouse with one complete load of a large file, and that file."""
    root = tmp_path_factory.mktemp("killed")
    big, warehouse = root / "big.csv", root / "w"
    write_big_file(big, ROWS)
    subprocess.run([sys.executable, "-c", INGEST, str(warehouse), str(big)], check=True)
    assert partition_counts(warehouse) == (ROWS, ROWS, 0, 0)
    return big, warehouse


# Where the reload is killed: staged but nothing written; in the raw transaction after its first
# and after its last table; in the clean transaction (raw committed) after its first and last.
KILL_POINTS = [
    "staged",
    "raw.signals",
    "quarantine.signal_files",
    "clean.signals",
    "quarantine.signal_rows",
]


@pytest.mark.parametrize("kill_at", KILL_POINTS)
def test_sigkill_mid_write_leaves_no_partial_partition(tmp_path, loaded_warehouse, kill_at):
    big, original = loaded_warehouse
    warehouse = tmp_path / "w"
    shutil.copytree(original, warehouse)
    process = subprocess.Popen(
        [sys.executable, "-c", INGEST, str(warehouse), str(big), kill_at],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    wait_for_line(process, f"paused at {kill_at}")
    process.send_signal(signal.SIGKILL)
    process.wait()
    # Whatever the moment, every table holds the whole old partition or the whole new one.
    assert partition_counts(warehouse) == (ROWS, ROWS, 0, 0)
    subprocess.run([sys.executable, "-c", INGEST, str(warehouse), str(big)], check=True)
    assert table_digest(warehouse) == table_digest(original)


def wait_for_line(process: subprocess.Popen, expected: str) -> None:
    """Read the process's output up to ``expected`` (DuckDB's progress bar writes there too)."""
    for line in process.stdout:
        if line.strip() == expected:
            return
    pytest.fail(f"the process ended (exit code {process.wait()}) before printing {expected!r}")


def table_digest(warehouse) -> str:
    """One digest of the ordered contents of the tables a file load writes."""
    con = connect(warehouse, read_only=True)
    try:
        digest = hashlib.sha256()
        for table in ["raw.signals", "raw.signal_files", "clean.signals"]:
            for row in con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall():
                digest.update(repr(row).encode())
        return digest.hexdigest()
    finally:
        con.close()


def test_file_deleted_before_its_run_fails_with_a_clear_message(platform):
    path = platform.write_signal_file("gone.csv", HEADER)
    path.unlink()
    failure = failed_raw_load(platform, "gone.csv")
    assert "no file in" in failure and "gone.csv" in failure and "moved or deleted" in failure


def test_partially_written_then_renamed_file_is_taken_once_complete(platform):
    part = platform.signals_dir / "late.csv.part"
    part.write_text(HEADER)
    assert isinstance(tick(platform), dg.SkipReason)
    part.rename(platform.signals_dir / "late.csv")
    first = tick(platform)
    assert requested_keys(platform, first) == ["late.csv"]
    assert isinstance(tick(platform, first.cursor), dg.SkipReason)


def test_five_thousand_small_files_none_missed_none_doubled(platform):
    for n in range(5000):
        land_old(platform, f"small_{n:05d}.csv", HEADER)
    requested, cursor, ticks = [], None, []
    while True:
        started = time.perf_counter()
        result = tick(platform, cursor)
        ticks.append(time.perf_counter() - started)
        if isinstance(result, dg.SkipReason):
            break
        assert len(result.run_requests) <= 500
        requested += requested_keys(platform, result)
        cursor = result.cursor
    assert len(requested) == len(set(requested)) == 5000
    print(f"ticks over 5,000 files: {len(ticks)}, slowest {max(ticks):.2f} s")


def test_full_disk_gives_a_clear_error_naming_the_path(tmp_path):
    mount_point = tmp_path / "small_disk"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)], capture_output=True
    )
    if mounted.returncode != 0:
        require_or_skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        platform = Platform(tmp_path / "p")
        platform.resources["duckdb"] = WarehouseResource(database=str(mount_point / "w"))
        # Values that do not compress: the lake writes Parquet, which shrinks repeated text.
        rows = "".join(
            f"{hashlib.sha256(str(i).encode()).hexdigest()},2026-01-01,website,page_view,"
            f"u{hashlib.md5(str(i).encode()).hexdigest()}@x.io,,\n"
            for i in range(60_000)
        )
        platform.write_signal_file("big.csv", HEADER + rows)
        message = failed_raw_load(platform, "big.csv")
        assert (
            "cannot write the warehouse" in message
            and "No space left on device" in message
            and str(mount_point) in message
        )
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def test_unwritable_warehouse_path_names_the_path(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(WarehouseError, match=str(blocker)):
        connect(blocker / "w")
    if os.geteuid() != 0:
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o500)
        with pytest.raises(WarehouseError, match=str(locked)):
            connect(locked / "w")
