"""The whole project loads, and the expected definitions exist."""

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg

from batch_platform.definitions import defs
from batch_platform.defs.common.resources import warehouse_pool

ROOT = Path(__file__).resolve().parents[1]
# Asset groups are the domain folders under batch_platform/defs.
DOMAINS = {p.name for p in (ROOT / "batch_platform" / "defs").iterdir() if p.is_dir()} - {
    "common",
    "__pycache__",
}


def test_definitions_load_with_expected_assets_and_checks():
    definitions = defs()
    graph = definitions.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {
        "landing/landing_signal_files",
        "landing/landing_firmographics_files",
        "raw/raw_signals",
        "raw/raw_signal_files",
        "quarantine/quarantine_signal_files",
        "clean/clean_firmographics",
        "clean/clean_signals",
        "clean/clean_signal_duplicates",
        "quarantine/quarantine_signal_rows",
        "clean/clean_web_sessions",
        "clean/clean_daily_account_usage",
        "scores/scores_lead_scores",
        "scores/scores_account_health",
        "reports/reports_daily_pipeline_report",
        "reports/reports_file_accounting",
    } <= keys
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert ("clean/clean_signals", "row_accounting") in checks
    assert ("clean/clean_signals", "event_key_unique") in checks
    assert ("scores/scores_lead_scores", "key_unique") in checks
    materializable = [k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable]
    for key in materializable:
        assert any(c.asset_key == key for c in graph.asset_check_keys), f"{key} has no check"
        node = graph.get(key)
        assert node.owners and node.kinds and node.group_name in DOMAINS, key
        assert node.description


def test_every_warehouse_step_is_in_its_domains_pool():
    definitions = defs()
    graph = definitions.resolve_asset_graph()
    for assets_def in graph.assets_defs:
        if assets_def.is_executable:
            group = graph.get(next(iter(assets_def.keys))).group_name
            assert assets_def.op.pool == warehouse_pool(group), assets_def.keys


def test_jobs_schedules_and_sensors_exist_and_run_by_default():
    definitions = defs()
    for job in ["signal_file_ingest", "firmographics_refresh", "nightly_lead_scoring"]:
        assert definitions.resolve_job_def(job)
    sensor = definitions.resolve_sensor_def("signal_files_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    for name in ["nightly_lead_scoring_schedule", "weekly_account_health_schedule"]:
        schedule = definitions.resolve_schedule_def(name)
        assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
        assert schedule.execution_timezone == "America/New_York"


def test_dg_check_defs_passes():
    env = {**os.environ, "VIRTUAL_ENV": str(Path(sys.executable).parents[1])}
    dg_bin = Path(sys.executable).with_name("dg")
    result = subprocess.run(
        [str(dg_bin), "check", "defs"], cwd=ROOT, env=env, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All definitions loaded successfully" in result.stdout + result.stderr
