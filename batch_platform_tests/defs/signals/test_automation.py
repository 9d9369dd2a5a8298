"""The sensor and the schedules, evaluated against a temporary landing directory."""

import datetime as dt
import os
import time
from zoneinfo import ZoneInfo

import dagster as dg

from batch_platform.definitions import defs
from batch_platform.defs.common.resources import LandingResource
from batch_platform.defs.signals.logic.signal_batches import (
    file_keys,
    is_batch_key,
    manifest_path,
)
from batch_platform.defs.signals.schedules import (
    nightly_lead_scoring_schedule,
    week_partition_for,
    weekly_account_health_schedule,
)
from batch_platform.defs.signals.sensors import signal_files_sensor
from batch_platform.lib.keys import partition_key_for

NY = ZoneInfo("America/New_York")


def tick(platform, cursor=None):
    context = dg.build_sensor_context(
        instance=platform.instance, cursor=cursor, resources=platform.resources
    )
    result = signal_files_sensor(context)
    if isinstance(result, dg.SensorResult):
        for request in result.dynamic_partitions_requests or []:
            platform.instance.add_dynamic_partitions(
                request.partitions_def_name, list(request.partition_keys)
            )
    return result


def requested_keys(platform, result) -> list[str]:
    """The files' keys the result's ingest runs cover: a file's partition, a landing batch's
    files (from its manifest), or a range of new file partitions."""
    order = platform.instance.get_dynamic_partitions("signal_files")
    keys: list[str] = []
    for request in result.run_requests:
        if request.job_name != "signal_file_ingest":
            continue
        if request.partition_key and is_batch_key(request.partition_key):
            files = file_keys(platform.signals_dir, [request.partition_key])
            assert int(request.tags["batch_platform/files"]) == len(files)
            keys += files
            continue
        if request.partition_key:
            keys.append(request.partition_key)
            continue
        start = order.index(request.tags["dagster/asset_partition_range_start"])
        end = order.index(request.tags["dagster/asset_partition_range_end"])
        assert int(request.tags["batch_platform/files"]) == end - start + 1
        keys += order[start : end + 1]
    return keys


def land_old(platform, name, content="x"):
    path = platform.write_signal_file(name, content)
    old = time.time() - 3600
    os.utime(path, (old, old))
    return path


def test_new_files_become_partitions_and_runs_once(platform):
    for name in ["a.csv", "b.jsonl.gz", "odd, name|1.csv"]:
        land_old(platform, name)
    first = tick(platform)
    keys = requested_keys(platform, first)
    assert keys == [partition_key_for(n) for n in ["a.csv", "b.jsonl.gz", "odd, name|1.csv"]]
    # Files that landed together are one partition (a landing batch) and one run.
    [request] = first.run_requests
    assert request.job_name == "signal_file_ingest"
    assert request.partition_key.startswith("batch~3-files~a.csv~")
    assert platform.instance.get_dynamic_partitions("signal_files") == [request.partition_key]
    assert manifest_path(platform.signals_dir, request.partition_key).is_file()
    assert request.tags["batch_platform/source_file"] == "a.csv … odd, name|1.csv"
    second = tick(platform, first.cursor)
    assert isinstance(second, dg.SkipReason)


def test_a_single_new_file_is_a_single_partition_run(platform):
    land_old(platform, "odd, name|1.csv")
    [request] = tick(platform).run_requests
    assert request.partition_key == partition_key_for("odd, name|1.csv")
    assert request.tags["batch_platform/source_file"] == "odd, name|1.csv"


def test_batches_are_bounded_by_files_and_bytes(platform, monkeypatch):
    from batch_platform.defs.signals import sensors

    monkeypatch.setenv("BATCH_PLATFORM_MAX_FILES_PER_RUN", "4")
    monkeypatch.setattr(sensors, "MAX_BYTES_PER_RUN", 25)
    for n in range(10):
        land_old(platform, f"f{n}.csv", "x" * (24 if n == 6 else 1))
    result = tick(platform)
    sizes = [int(r.tags.get("batch_platform/files", 1)) for r in result.run_requests]
    assert sizes == [4, 2, 2, 2]  # f6 (24 bytes) would push a batch over 25 bytes
    assert requested_keys(platform, result) == [f"f{n}.csv" for n in range(10)]


def test_one_run_per_file_when_configured(platform, monkeypatch):
    monkeypatch.setenv("BATCH_PLATFORM_MAX_FILES_PER_RUN", "1")
    for n in range(3):
        land_old(platform, f"f{n}.csv")
    result = tick(platform)
    assert [r.partition_key for r in result.run_requests] == ["f0.csv", "f1.csv", "f2.csv"]


def test_rewritten_file_is_requested_again_for_the_same_partition(platform):
    path = land_old(platform, "a.csv")
    first = tick(platform)
    path.write_text("new content")
    os.utime(path, (time.time() - 60, time.time() - 60))
    second = tick(platform, first.cursor)
    assert requested_keys(platform, second) == ["a.csv"]
    assert second.run_requests[0].run_key != first.run_requests[0].run_key
    assert not second.dynamic_partitions_requests


def test_incomplete_files_wait_for_settle_time_or_done_marker(platform):
    platform.resources["landing"] = LandingResource(
        landing_dir=str(platform.landing), settle_seconds=300
    )
    platform.write_signal_file("fresh.csv", "x")
    platform.write_signal_file("upload.csv.part", "x")
    assert isinstance(tick(platform), dg.SkipReason)
    platform.write_signal_file("fresh.csv.done", "")
    assert requested_keys(platform, tick(platform)) == ["fresh.csv"]


def test_firmographics_files_request_a_refresh(platform):
    path = platform.firmographics_dir / "firms.csv"
    path.write_text("domain\n")
    os.utime(path, (time.time() - 3600,) * 2)
    result = tick(platform)
    assert [r.job_name for r in result.run_requests] == ["firmographics_refresh"]
    assert isinstance(tick(platform, result.cursor), dg.SkipReason)


def test_many_files_are_spread_over_ticks_without_repeats(platform):
    for n in range(1200):
        land_old(platform, f"f{n:04d}.csv")
    seen, cursor = [], None
    for _ in range(3):
        result = tick(platform, cursor)
        if isinstance(result, dg.SkipReason):
            break
        seen += requested_keys(platform, result)
        cursor = result.cursor
    assert len(seen) == len(set(seen)) == 1200


def test_nightly_schedule_scores_the_day_just_ended_in_new_york():
    schedule = defs().resolve_schedule_def("nightly_lead_scoring_schedule")
    assert schedule.cron_schedule == "0 2 * * *"
    assert schedule.execution_timezone == "America/New_York"
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 3, 9, 2, 0, tzinfo=NY)
    )
    assert nightly_lead_scoring_schedule(context).partition_key == "2026-03-08"


def test_weekly_schedule_scores_the_week_ending_on_sunday():
    sunday_night = dt.datetime(2026, 3, 15, 22, 0, tzinfo=NY)
    assert week_partition_for(sunday_night) == "2026-03-09"
    context = dg.build_schedule_context(scheduled_execution_time=sunday_night)
    request = weekly_account_health_schedule(context)
    assert request.partition_key == "2026-03-09"


def _land_three(platform):
    header = "event_id,occurred_at,source,event_type,email,account_domain,properties\n"
    land_old(platform, "r1.csv", header + "e1,2026-01-05T10:00:00Z,website,page_view,a@x.io,,\n")
    land_old(platform, "r2.csv", header + "e1,2026-01-05T10:00:00Z,website,page_view,a@x.io,,\n"
             "e2,2026-01-05T10:01:00Z,website,page_view,b@x.io,,\n")  # fmt: skip
    land_old(platform, "r3.csv", b"\x00\x01binary")


def _ingest(platform, request) -> dg.ExecuteInProcessResult:
    from batch_platform.defs.signals.assets.clean_signals import clean_signals
    from batch_platform.defs.signals.assets.raw_signals import raw_signals

    return dg.materialize(
        [raw_signals, clean_signals],
        instance=platform.instance,
        resources=platform.resources,
        partition_key=request.partition_key,
        tags={k: v for k, v in request.tags.items() if k != "dagster/partition"},
        raise_on_error=False,
    )


def _assert_three_files_loaded(platform, result, materialized_partitions):
    assert result.success
    checks = result.get_asset_check_evaluations()
    assert checks and all(c.passed for c in checks)
    accounting = next(c for c in checks if c.check_name == "row_accounting")
    assert accounting.metadata["partitions_checked"].value == 3
    materialized = {
        (m.asset_key.to_user_string(), m.partition)
        for m in result.get_asset_materialization_events()
        for m in [m.event_specific_data.materialization]
    }
    assert {("clean/clean_signals", k) for k in materialized_partitions} == {
        m for m in materialized if m[0] == "clean/clean_signals"
    }
    # In the warehouse every file is its own partition, whatever Dagster's partition.
    assert platform.query(
        "SELECT source_file, source_line, scope, duplicate_of_file FROM clean.signal_duplicates"
    ) == [("r2.csv", 1, "across_files", "r1.csv")]
    assert platform.query("SELECT source_file FROM quarantine.signal_files") == [("r3.csv",)]
    assert platform.query("SELECT partition_key, data_rows FROM raw.signal_files ORDER BY 1") == [
        ("r1.csv", 1),
        ("r2.csv", 2),
        ("r3.csv", 0),
    ]


def test_a_landing_batch_loads_each_file_in_order_with_checks_over_all(platform):
    _land_three(platform)
    [request] = tick(platform).run_requests
    result = _ingest(platform, request)
    _assert_three_files_loaded(platform, result, [request.partition_key])
    # Twelve Dagster events of the six assets, not twelve per file.
    events = platform.instance.get_records_for_run(
        result.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION
    ).records
    assert len(events) == 6
    # A batch materialized again (from the UI) loads the same files again: nothing doubles.
    before = platform.snapshot()
    assert _ingest(platform, request).success
    assert platform.snapshot() == before


def test_a_batch_without_its_manifest_fails_with_where_it_looked(platform):
    _land_three(platform)
    [request] = tick(platform).run_requests
    manifest_path(platform.signals_dir, request.partition_key).unlink()
    result = _ingest(platform, request)
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    message = failure.step_failure_data.error.message
    assert "has no manifest" in message and ".batches" in message


def test_without_a_writable_manifest_folder_files_get_a_partition_each_and_one_run(
    platform, monkeypatch
):
    from batch_platform.defs.signals import sensors

    def read_only(*args):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(sensors, "write_manifest", read_only)
    _land_three(platform)
    [request] = tick(platform).run_requests
    assert request.partition_key is None
    assert platform.instance.get_dynamic_partitions("signal_files") == [
        "r1.csv",
        "r2.csv",
        "r3.csv",
    ]
    result = _ingest(platform, request)
    _assert_three_files_loaded(platform, result, ["r1.csv", "r2.csv", "r3.csv"])


def test_a_tick_reads_the_settings_a_few_times_not_once_per_file(platform, monkeypatch):
    """A tick over many waiting files read the environment for every file (50,000 files: 6 of
    the tick's 8 seconds); now once a tick for the files per run."""
    from batch_platform.defs.common import resources

    for number in range(300):
        land_old(platform, f"many_{number:03d}.csv")
    reads = []
    real = resources.load_settings

    def counted():
        reads.append(1)
        return real()

    monkeypatch.setattr(resources, "load_settings", counted)
    result = tick(platform)
    assert len(requested_keys(platform, result)) == 300
    assert len(reads) <= 5
