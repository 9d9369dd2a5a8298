"""Upkeep on a real lake: fewer files, the same rows, old snapshots and their files gone, the
checks passing, and readers unaffected."""

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time

import dagster as dg

from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.defs.lake.assets._common import (
    CLEANED_FILES,
    COMPACTED_FILES,
    EXPIRED_SNAPSHOTS,
)
from batch_platform.lib.warehouse import write_partition
from batch_platform_tests.defs.lake.concurrent_writer import REPLACED_SCALE
from batch_platform_tests.defs.lake.conftest import (
    FIRST_DAY,
    ROWS_PER_DAY,
    TABLE,
    Lake,
    write_day,
    write_month,
)


def metadata(result, key):
    (event,) = [e for e in result.get_asset_materialization_events() if e.asset_key == key]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def checks(result) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def test_upkeep_merges_expires_and_deletes_without_changing_rows(any_lake, monkeypatch):
    lake = any_lake
    con = write_month(lake)
    rows = lake.rows(con)
    assert len(rows) == 30 * ROWS_PER_DAY - 2
    files_before = lake.table_files(con)
    assert len(files_before) == 30
    stored_before = lake.stored_parquet()
    # The replaced day's first file (only snapshots before the replacement read it) and the
    # delete file of the day that lost two rows.
    assert len(stored_before - set(files_before)) == 2
    last_write = lake.snapshot_ids(con)[-1]
    con.close()
    reader = lake.connect(read_only=True)
    assert lake.rows(reader) == rows

    monkeypatch.setenv("BATCH_PLATFORM_LAKE_SNAPSHOT_RETENTION_DAYS", "0")
    monkeypatch.setenv("BATCH_PLATFORM_LAKE_CLEANUP_MARGIN_HOURS", "0")
    time.sleep(0.01)  # every snapshot so far is older than the run's cutoff
    result = lake.upkeep()

    assert result.success
    assert checks(result) == {
        "small_files_within_limit": True,
        "snapshots_within_retention": True,
        "referenced_files_exist": True,
    }
    con = lake.connect()
    assert lake.rows(con) == rows
    # A connection opened before upkeep reads the same rows, from the new files.
    assert lake.rows(reader) == rows
    files_after = lake.table_files(con)
    assert len(files_after) == 1
    compacted = metadata(result, COMPACTED_FILES)
    assert compacted["tables_compacted"] == 1
    assert (compacted["files_before"], compacted["files_after"]) == (30, 1)
    assert "| clean.daily_account_usage | 30 | 1 |" in compacted["compacted"]

    # Only the latest snapshot is left (compaction's own commits included).
    (latest,) = lake.snapshot_ids(con)
    assert latest > last_write
    expired = metadata(result, EXPIRED_SNAPSHOTS)
    assert expired["snapshots_expired"] == latest
    assert expired["snapshots_live"] == 1

    # On disk only the file the latest snapshot reads: the merged-away files, the replaced
    # day's first file and the delete file are gone.
    assert lake.stored_parquet() == set(files_after)
    cleaned = metadata(result, CLEANED_FILES)
    assert cleaned["unreferenced_files_deleted"] == len(stored_before) + 1  # + rewritten file
    assert cleaned["orphaned_files_deleted"] == 0
    assert cleaned["bytes_freed"] > 0
    assert cleaned["files_stored"] == 1
    con.close()
    reader.close()


def test_the_safety_margin_keeps_files_a_reader_may_still_scan(lake):
    con = write_month(lake, days=12)
    rows = lake.rows(con)
    first_snapshot = lake.snapshot_ids(con)[0]
    stored_before = lake.stored_parquet()
    stray_old = lake.data_dir / "clean" / "daily_account_usage" / "never-committed-old.parquet"
    stray_new = stray_old.with_name("never-committed-new.parquet")
    for stray in (stray_old, stray_new):
        stray.write_bytes(b"PAR1")
    two_days_ago = time.time() - 2 * 86_400
    os.utime(stray_old, (two_days_ago, two_days_ago))

    result = lake.upkeep()  # the default retention (7 days) and margin (24 hours)

    assert result.success and all(checks(result).values())
    assert lake.rows(con) == rows
    assert len(lake.table_files(con)) == 1
    # Nothing is old enough: no snapshot expires, the merged-away files wait for the margin,
    # only the orphan written two days ago goes.
    assert metadata(result, EXPIRED_SNAPSHOTS)["snapshots_expired"] == 0
    assert lake.snapshot_ids(con)[0] == first_snapshot
    cleaned = metadata(result, CLEANED_FILES)
    assert cleaned["unreferenced_files_deleted"] == 0
    assert cleaned["orphaned_files_deleted"] == 1
    assert cleaned["bytes_freed"] == 4
    assert cleaned["files_waiting_for_margin"] == 13  # 11 merged, 1 rewritten, 1 delete file
    assert not stray_old.exists() and stray_new.exists()
    assert stored_before <= lake.stored_parquet()
    con.close()


def test_a_missing_referenced_file_fails_the_check(lake):
    con = lake.connect()
    write_day(con, FIRST_DAY)  # one file: nothing to compact, so nothing reads it before the check
    (victim,) = lake.table_files(con)
    con.close()
    os.remove(victim)

    result = lake.upkeep(raise_on_error=False)

    evaluation = {e.check_name: e for e in result.get_asset_check_evaluations()}
    missing = evaluation["referenced_files_exist"]
    assert not missing.passed
    assert missing.severity == dg.AssetCheckSeverity.ERROR
    assert missing.metadata["missing_files"].value == victim
    assert missing.metadata["files_missing"].value == 1


def test_upkeep_runs_while_another_process_writes_the_same_table(any_lake, monkeypatch, tmp_path):
    lake = any_lake
    days = 20
    con = write_month(lake, days=days)
    con.close()
    monkeypatch.setenv("BATCH_PLATFORM_LAKE_SNAPSHOT_RETENTION_DAYS", "0")
    stop = tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-m", "batch_platform_tests.defs.lake.concurrent_writer",
         str(lake.root), str(stop), str(days)],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert writer.stdout.readline().strip() == "started"
        started = time.time()
        result = lake.upkeep()
        finished = time.time()
    finally:
        stop.touch()
        output, _ = writer.communicate(timeout=120)
    assert writer.returncode == 0
    wrote = json.loads(output)
    # It was writing during upkeep: a pair of commits began or ended within it, or waited
    # through it (on a loaded machine one commit may take longer than the whole upkeep).
    assert any(began < finished and ended > started for began, ended in wrote["times"])

    # The writer's commits land between expiry and its check, so the retention check (a
    # warning) may see a snapshot taken before the cutoff; every other check must pass.
    outcome = checks(result)
    outcome.pop("snapshots_within_retention")
    assert result.success and all(outcome.values()), outcome
    replaced = {dt.date.fromisoformat(day) for day in wrote["replaced"]}
    expected = []
    for offset in range(days + len(wrote["added"])):
        day = FIRST_DAY + dt.timedelta(days=offset)
        scale = REPLACED_SCALE if day in replaced else (10 if offset == 0 else 1)
        for i in range(ROWS_PER_DAY):
            if offset == 4 and scale == 1 and i < 2:
                continue  # the two rows write_month deleted
            expected.append((day, f"account-{i}.example", i * scale, 1, 2, 3))
    con = lake.connect()
    assert lake.rows(con) == sorted(expected)
    con.close()


def test_a_copied_lake_is_kept_up_where_it_now_is(lake, tmp_path, monkeypatch):
    con = write_month(lake, days=5)
    rows = lake.rows(con)
    con.close()
    original = lake.stored_parquet()
    moved = Lake(tmp_path / "moved", WarehouseResource(database=str(tmp_path / "moved")))
    shutil.copytree(lake.root, moved.root)  # its catalog still records the original data path
    monkeypatch.setenv("BATCH_PLATFORM_LAKE_SNAPSHOT_RETENTION_DAYS", "0")
    monkeypatch.setenv("BATCH_PLATFORM_LAKE_CLEANUP_MARGIN_HOURS", "0")
    time.sleep(0.01)

    result = moved.upkeep()

    assert result.success and all(checks(result).values())
    con = moved.connect()
    assert moved.rows(con) == rows
    assert moved.stored_parquet() == set(moved.table_files(con))
    assert metadata(result, CLEANED_FILES)["files_stored"] == 1
    assert lake.stored_parquet() == original
    con.close()


def test_merging_commits_one_merged_file_at_a_time_until_none_is_left_to_merge(lake):
    con = lake.connect()
    for offset in range(30):  # 2,000 rows a day that do not compress away: ~70 KB a file
        day = FIRST_DAY + dt.timedelta(days=offset)
        write_partition(
            con, TABLE, {"usage_date": day},
            "SELECT $day::DATE AS usage_date, md5(i || '-' || $day) AS account_domain, "
            "i AS product_events, 1 AS active_users, 2 AS logins, 3 AS features_used "
            "FROM range(2000) AS t(i)",
            {"day": day},
        )  # fmt: skip
    rows = lake.rows(con)
    # Merged files of at most 250 KB: a few days each, so the table needs several merges.
    con.execute("CALL ducklake_set_option(current_database(), 'target_file_size', '250KB')")
    snapshots_before = len(lake.snapshot_ids(con))

    result = lake.upkeep()

    assert result.success and all(checks(result).values())
    assert lake.rows(con) == rows
    merged = lake.table_files(con)
    assert 3 < len(merged) < 30
    compacted = metadata(result, COMPACTED_FILES)
    assert (compacted["files_before"], compacted["files_after"]) == (30, len(merged))
    # A commit per merged file.
    assert len(lake.snapshot_ids(con)) - snapshots_before >= len(merged)
    # Nothing is left that a merge without a limit would still merge.
    con.execute(
        "CALL ducklake_merge_adjacent_files(current_database(), 'daily_account_usage', "
        "schema => 'clean')"
    ).fetchall()
    assert sorted(lake.table_files(con)) == sorted(merged)
    # Run again: nothing changes, and no table counts as compacted.
    again = lake.upkeep()
    assert metadata(again, COMPACTED_FILES)["tables_compacted"] == 0
    assert sorted(lake.table_files(con)) == sorted(merged)
    con.close()
