"""Unit tests for ``batch_platform.lib.landing``: which landed files are complete."""

from __future__ import annotations

import gc
import json
import os
import threading
import time
from pathlib import Path

import pytest

from batch_platform.defs.signals.logic.signal_file_format import file_format
from batch_platform.lib.keys import partition_key_for
from batch_platform.lib.landing import (
    DEFAULT_SETTLE_SECONDS,
    DONE_SUFFIX,
    IN_PROGRESS_SUFFIXES,
    LandedFile,
    LandingWatch,
    find_landed_file,
    find_landed_files,
    garbage_collection_paused,
    scan_landing_dir,
)

NOW = 1_700_000_000.0


def accept_all(name: str) -> bool:
    return True


def land(directory: Path, name: str, age: float = 3600.0, content: bytes = b"data") -> Path:
    """Write ``name`` as if last modified ``age`` seconds before ``NOW``."""
    path = directory / name
    path.write_bytes(content)
    os.utime(path, (NOW - age, NOW - age))
    return path


def names(files: list[LandedFile]) -> list[str]:
    return [f.name for f in files]


def scan(directory: Path, settle: float = DEFAULT_SETTLE_SECONDS, accepts=accept_all):
    return scan_landing_dir(directory, accepts, settle_seconds=settle, now=NOW)


@pytest.mark.parametrize(
    ("age", "settle", "complete"),
    [
        (0.0, 10.0, False),
        (9.9, 10.0, False),
        (10.0, 10.0, True),
        (10.1, 10.0, True),
        (3600.0, 10.0, True),
        (59.0, 60.0, False),
        (61.0, 60.0, True),
        (0.0, 0.0, True),
        (-5.0, 10.0, False),  # modified "in the future" (clock skew): not settled
    ],
)
def test_settle_time(tmp_path, age, settle, complete):
    land(tmp_path, "a.csv", age=age)
    assert names(scan(tmp_path, settle=settle)) == (["a.csv"] if complete else [])


def test_settle_time_uses_the_current_clock_by_default(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"x")
    five_seconds_ago = time.time() - 5
    os.utime(path, (five_seconds_ago, five_seconds_ago))
    assert scan_landing_dir(tmp_path, accept_all, settle_seconds=3600) == []
    assert names(scan_landing_dir(tmp_path, accept_all, settle_seconds=1)) == ["a.csv"]


def test_done_marker_completes_a_fresh_file(tmp_path):
    land(tmp_path, "fresh.csv", age=0)
    land(tmp_path, "other.csv", age=0)
    land(tmp_path, "fresh.csv" + DONE_SUFFIX, age=0, content=b"")
    assert names(scan(tmp_path, settle=600)) == ["fresh.csv"]


def test_done_markers_are_never_listed_themselves(tmp_path):
    land(tmp_path, "a.csv")
    land(tmp_path, "a.csv.done")
    land(tmp_path, "orphan.csv.done")  # a marker without its file
    assert names(scan(tmp_path)) == ["a.csv"]


@pytest.mark.parametrize(
    "name",
    [
        ".hidden.csv",
        ".a.csv.swp",
        *(f"upload.csv{suffix}" for suffix in IN_PROGRESS_SUFFIXES),
    ],
)
def test_hidden_and_in_progress_files_are_ignored(tmp_path, name):
    land(tmp_path, name, age=86_400)
    land(tmp_path, name + DONE_SUFFIX)  # not even a marker makes them complete
    assert scan(tmp_path) == []


@pytest.mark.parametrize("suffix", [".part", ".tmp"])
def test_in_progress_file_is_picked_up_once_renamed(tmp_path, suffix):
    partial = land(tmp_path, "upload.csv" + suffix)
    assert scan(tmp_path) == []
    partial.rename(tmp_path / "upload.csv")
    assert names(scan(tmp_path)) == ["upload.csv"]


def test_accepts_filters_names(tmp_path):
    for name in ("a.csv", "b.jsonl.gz", "c.parquet", "notes.txt", "README"):
        land(tmp_path, name)
    found = scan(tmp_path, accepts=lambda n: file_format(n) is not None)
    assert sorted(names(found)) == ["a.csv", "b.jsonl.gz", "c.parquet"]


def test_subdirectories_are_ignored(tmp_path):
    (tmp_path / "nested.csv").mkdir()
    (tmp_path / "sub").mkdir()
    land(tmp_path / "sub", "deep.csv")
    land(tmp_path, "top.csv")
    assert names(scan(tmp_path)) == ["top.csv"]


def test_symlink_pointing_outside_is_ignored(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    secret = land(tmp_path, "secret.csv")
    (landing / "link.csv").symlink_to(secret)
    (landing / "relative.csv").symlink_to(Path("..") / "secret.csv")
    assert scan(landing) == []


def test_symlink_pointing_inside_is_followed(tmp_path):
    land(tmp_path, "real.csv", age=100)
    (tmp_path / "alias.csv").symlink_to(tmp_path / "real.csv")
    found = {f.name: f for f in scan(tmp_path)}
    assert set(found) == {"real.csv", "alias.csv"}
    assert found["alias.csv"].size == found["real.csv"].size


def test_a_fifo_is_listed_so_that_its_run_can_refuse_it(tmp_path):
    os.mkfifo(tmp_path / "pipe.csv")
    (tmp_path / "pipe.csv.done").touch()
    (tmp_path / "folder.csv").mkdir()
    assert names(scan(tmp_path)) == ["pipe.csv"]
    assert find_landed_files(tmp_path, [partition_key_for("pipe.csv")]) == {
        "pipe.csv": tmp_path / "pipe.csv"
    }


def test_broken_symlink_is_ignored(tmp_path):
    (tmp_path / "dangling.csv").symlink_to(tmp_path / "missing.csv")
    land(tmp_path, "ok.csv")
    assert names(scan(tmp_path)) == ["ok.csv"]


def test_landing_dir_reached_through_a_symlink(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    land(real, "a.csv")
    (tmp_path / "alias").symlink_to(real, target_is_directory=True)
    assert names(scan(tmp_path / "alias")) == ["a.csv"]


def test_oldest_first_with_name_as_tie_breaker(tmp_path):
    land(tmp_path, "newest.csv", age=100)
    land(tmp_path, "oldest.csv", age=5000)
    land(tmp_path, "b-middle.csv", age=1000)
    land(tmp_path, "a-middle.csv", age=1000)
    assert names(scan(tmp_path)) == ["oldest.csv", "a-middle.csv", "b-middle.csv", "newest.csv"]


def test_missing_directory_gives_nothing(tmp_path):
    assert scan(tmp_path / "does-not-exist") == []


def test_a_file_instead_of_a_directory_gives_nothing(tmp_path):
    assert scan(land(tmp_path, "not-a-dir")) == []


def test_landed_file_fields(tmp_path):
    name = "crm export, Q3|final.csv"
    path = tmp_path / name
    path.write_bytes(b"12345")
    mtime_ns = int(NOW - 3600) * 1_000_000_000 + 123_456_789
    os.utime(path, ns=(mtime_ns, mtime_ns))
    [landed] = scan(tmp_path)
    assert landed == LandedFile(
        directory=tmp_path,
        name=name,
        size=5,
        mtime_ns=mtime_ns,
        ctime_ns=path.stat().st_ctime_ns,
    )
    assert landed.path == path and landed.partition_key == partition_key_for(name)
    assert landed.fingerprint == f"5:{mtime_ns}"


def test_fingerprint_changes_when_the_file_is_rewritten(tmp_path):
    path = land(tmp_path, "a.csv", age=600, content=b"one")
    [before] = scan(tmp_path)
    path.write_bytes(b"three")
    os.utime(path, (NOW - 300, NOW - 300))
    [after] = scan(tmp_path)
    assert before.partition_key == after.partition_key
    assert before.fingerprint != after.fingerprint


# ---------------------------------------------------------------- find_landed_file
def test_find_landed_file_by_partition_key(tmp_path):
    for name in ("a.csv", "crm export, Q3|final.csv", "café.jsonl"):
        land(tmp_path, name)
    for name in ("a.csv", "crm export, Q3|final.csv", "café.jsonl"):
        assert find_landed_file(tmp_path, partition_key_for(name)) == tmp_path / name


def test_find_landed_file_distinguishes_names_that_sanitise_alike(tmp_path):
    land(tmp_path, "a b.csv")
    land(tmp_path, "a,b.csv")
    land(tmp_path, "a_b.csv")
    for name in ("a b.csv", "a,b.csv", "a_b.csv"):
        assert find_landed_file(tmp_path, partition_key_for(name)) == tmp_path / name


def test_find_landed_file_unknown_key(tmp_path):
    land(tmp_path, "a.csv")
    assert find_landed_file(tmp_path, "b.csv") is None
    assert find_landed_file(tmp_path, partition_key_for("a b.csv")) is None


def test_find_landed_file_ignores_directories(tmp_path):
    (tmp_path / "a.csv").mkdir()
    assert find_landed_file(tmp_path, "a.csv") is None


def test_find_landed_file_missing_directory(tmp_path):
    assert find_landed_file(tmp_path / "missing", "a.csv") is None


def test_scan_and_find_agree(tmp_path):
    for n, name in enumerate(["x.csv", "y z.jsonl", "ü.parquet"]):
        land(tmp_path, name, age=100 + n)
    for landed in scan(tmp_path):
        assert find_landed_file(tmp_path, landed.partition_key) == landed.path


def watch_ticks(directory, cursor=None, settle=0.0, request=lambda f: True):
    watch = LandingWatch(cursor)
    changed = watch.scan("files", directory, settle_seconds=settle)
    requested = [f for f in changed if request(f)]
    for landed in requested:
        watch.requested("files", landed)
    return [f.name for f in requested], watch.cursor()


def test_the_watch_requests_each_file_once_and_a_rewrite_again(tmp_path):
    land(tmp_path, "a.csv", age=600)
    first, cursor = watch_ticks(tmp_path)
    assert first == ["a.csv"]
    assert watch_ticks(tmp_path, cursor)[0] == []
    land(tmp_path, "a.csv", age=300, content=b"rewritten")
    land(tmp_path, "b.csv", age=300)
    again, cursor = watch_ticks(tmp_path, cursor)
    assert sorted(again) == ["a.csv", "b.csv"]


def test_the_watch_state_stays_small_once_files_are_history(tmp_path, monkeypatch):
    import batch_platform.lib.landing as landing_module

    for number in range(200):
        land(tmp_path, f"old_{number:03d}.csv", age=600)
    requested, cursor = watch_ticks(tmp_path)
    assert len(requested) == 200
    # Once the newest handled file is older than the margin, only files after it are kept.
    monkeypatch.setattr(landing_module, "WATCH_MARGIN_NS", 0)
    land(tmp_path, "new.csv", age=600)
    requested, cursor = watch_ticks(tmp_path, cursor)
    assert requested == ["new.csv"]
    state = json.loads(cursor)["folders"]["files"]
    assert len(state["recent"]) <= 1 and len(cursor) < 300
    assert watch_ticks(tmp_path, cursor)[0] == []


def test_a_file_still_landing_or_not_requested_is_never_passed_over(tmp_path):
    land(tmp_path, "done.csv", age=600)
    busy = tmp_path / "busy.csv"
    busy.write_bytes(b"half")  # fresh, no marker: not complete with a settle time
    requested, cursor = watch_ticks(tmp_path, settle=30)
    assert requested == ["done.csv"]
    land(tmp_path, "later.csv", age=600)
    (tmp_path / "busy.csv.done").touch()  # the marker comes; its data file did not change
    requested, cursor = watch_ticks(tmp_path, cursor, settle=30)
    assert sorted(requested) == ["busy.csv", "later.csv"]
    # A tick that stops at its run limit leaves the rest for the next one.
    for name in ("x.csv", "y.csv"):
        land(tmp_path, name, age=600)
    requested, cursor = watch_ticks(tmp_path, cursor, request=lambda f: f.name == "x.csv")
    assert requested == ["x.csv"]
    assert watch_ticks(tmp_path, cursor)[0] == ["y.csv"]


def test_the_cursor_of_earlier_versions_is_read_once(tmp_path):
    land(tmp_path, "known.csv", age=600)
    land(tmp_path, "unknown.csv", age=600)
    known = scan(tmp_path)[0 if scan(tmp_path)[0].name == "known.csv" else 1]
    legacy = json.dumps({f"signals/{known.partition_key}": known.fingerprint})
    watch = LandingWatch(legacy)
    changed = watch.scan(
        "signals", tmp_path, settle_seconds=0, legacy_key=lambda f: f"signals/{f.partition_key}"
    )
    assert [f.name for f in changed] == ["unknown.csv"]


def test_files_the_watch_knows_unchanged_are_not_built_or_sorted(tmp_path, monkeypatch):
    """A tick over many recently requested files does one stat each: only the new and the
    rewritten files become ``LandedFile`` objects (benchmarks/overhead.py measures 50,000)."""
    import batch_platform.lib.landing as landing_module

    for number in range(300):
        land(tmp_path, f"known_{number:03d}.csv", age=600)
    requested, cursor = watch_ticks(tmp_path)
    assert len(requested) == 300
    land(tmp_path, "known_007.csv", age=300, content=b"rewritten")
    land(tmp_path, "new.csv", age=300)
    built = []
    real_landed_file = landing_module.LandedFile

    def counting_landed_file(**fields):
        built.append(fields["name"])
        return real_landed_file(**fields)

    monkeypatch.setattr(landing_module, "LandedFile", counting_landed_file)
    requested, cursor = watch_ticks(tmp_path, cursor)
    assert sorted(requested) == sorted(built) == ["known_007.csv", "new.csv"]
    # Every file is still remembered (all changed within the margin), and none is asked for again.
    assert len(json.loads(cursor)["folders"]["files"]["recent"]) == 301
    assert watch_ticks(tmp_path, cursor)[0] == []


def test_garbage_collection_is_paused_for_nested_and_concurrent_blocks():
    assert gc.isenabled()
    inside, release = threading.Event(), threading.Event()

    def other_tick():
        with garbage_collection_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=other_tick)
    with garbage_collection_paused():
        assert not gc.isenabled()
        thread.start()
        inside.wait(5)
        with garbage_collection_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert not gc.isenabled(), "another tick is still in its block"
    release.set()
    thread.join(5)
    assert gc.isenabled()
    with pytest.raises(ValueError), garbage_collection_paused():
        raise ValueError("a failing tick")
    assert gc.isenabled()


def test_a_block_started_with_the_collector_off_leaves_it_off():
    gc.disable()
    try:
        with garbage_collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
