"""The sensor and the schedules, evaluated against a temporary landing directory."""

import datetime as dt
import os
import time
from zoneinfo import ZoneInfo

import dagster as dg

from batch_platform.definitions import defs
from batch_platform.defs.common.resources import LandingResource
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


def land_old(platform, name, content="x"):
    path = platform.write_signal_file(name, content)
    old = time.time() - 3600
    os.utime(path, (old, old))
    return path


def test_new_files_become_partitions_and_runs_once(platform):
    for name in ["a.csv", "b.jsonl.gz", "odd, name|1.csv"]:
        land_old(platform, name)
    first = tick(platform)
    keys = [r.partition_key for r in first.run_requests]
    assert keys == [partition_key_for(n) for n in ["a.csv", "b.jsonl.gz", "odd, name|1.csv"]]
    assert set(platform.instance.get_dynamic_partitions("signal_files")) == set(keys)
    assert {r.job_name for r in first.run_requests} == {"signal_file_ingest"}
    assert first.run_requests[2].tags["batch_platform/source_file"] == "odd, name|1.csv"
    second = tick(platform, first.cursor)
    assert isinstance(second, dg.SkipReason)


def test_rewritten_file_is_requested_again_for_the_same_partition(platform):
    path = land_old(platform, "a.csv")
    first = tick(platform)
    path.write_text("new content")
    os.utime(path, (time.time() - 60, time.time() - 60))
    second = tick(platform, first.cursor)
    assert [r.partition_key for r in second.run_requests] == ["a.csv"]
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
    assert [r.partition_key for r in tick(platform).run_requests] == ["fresh.csv"]


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
        seen += [r.partition_key for r in result.run_requests]
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
