"""The lake domain's assets, checks, job and schedule, as the code location loads them."""

import datetime as dt

import dagster as dg

from batch_platform.definitions import defs
from batch_platform.defs.common.resources import warehouse_pool
from batch_platform.defs.lake.schedules import weekly_lake_upkeep_schedule

KEYS = ["lake/lake_compacted_files", "lake/lake_expired_snapshots", "lake/lake_cleaned_files"]


def test_assets_checks_and_order():
    graph = defs().resolve_asset_graph()
    for key in KEYS:
        node = graph.get(dg.AssetKey.from_user_string(key))
        assert node.group_name == "lake"
        assert node.kinds == {"ducklake"}
        assert node.owners and node.description
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert {
        ("lake/lake_compacted_files", "small_files_within_limit"),
        ("lake/lake_expired_snapshots", "snapshots_within_retention"),
        ("lake/lake_cleaned_files", "referenced_files_exist"),
    } <= checks
    # compact -> expire -> clean up
    expired = graph.get(dg.AssetKey.from_user_string(KEYS[1]))
    cleaned = graph.get(dg.AssetKey.from_user_string(KEYS[2]))
    assert expired.parent_keys == {dg.AssetKey.from_user_string(KEYS[0])}
    assert cleaned.parent_keys == {dg.AssetKey.from_user_string(KEYS[1])}


def test_upkeep_runs_in_its_own_pool():
    for assets_def in defs().resolve_asset_graph().assets_defs:
        if assets_def.group_names_by_key.get(next(iter(assets_def.keys))) == "lake":
            assert assets_def.op.pool == warehouse_pool("lake")


def test_job_and_weekly_schedule():
    definitions = defs()
    job = definitions.resolve_job_def("lake_upkeep")
    assert job.tags["dagster/max_runtime"] == str(4 * 3600)
    selected = {key.to_user_string() for key in job.asset_layer.selected_asset_keys}
    assert selected == set(KEYS)
    schedule = definitions.resolve_schedule_def("weekly_lake_upkeep_schedule")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.execution_timezone == "UTC"
    assert schedule.job_name == "lake_upkeep"


def test_the_schedule_fires_sunday_at_three_utc():
    context = dg.build_schedule_context(
        scheduled_execution_time=dt.datetime(2026, 11, 8, 3, tzinfo=dt.UTC)
    )
    (request,) = weekly_lake_upkeep_schedule.evaluate_tick(context).run_requests
    assert request.tags["dagster/max_runtime"] == str(4 * 3600)
    assert weekly_lake_upkeep_schedule.cron_schedule == "0 3 * * 0"  # Sunday 03:00
