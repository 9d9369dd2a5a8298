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
        "scores/scores_lead_score_models",
        "scores/scores_lead_score_model_weights",
        "reports/reports_daily_pipeline_report",
        "reports/reports_file_accounting",
        "reference/reference_event_types",
        "reference/reference_event_type_spellings",
        "reference/reference_jurisdictions",
        "delivery/delivery_portfolio_records",
    } <= keys
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert ("clean/clean_signals", "row_accounting") in checks
    assert ("clean/clean_signals", "event_key_unique") in checks
    assert ("scores/scores_lead_scores", "key_unique") in checks
    assert ("scores/scores_lead_score_models", "enough_outcomes") in checks
    assert ("scores/scores_lead_score_models", "beats_rules") in checks
    assert ("delivery/delivery_portfolio_records", "records_accounted") in checks
    materializable = [k for k in graph.get_all_asset_keys() if graph.get(k).is_materializable]
    for key in materializable:
        assert any(c.asset_key == key for c in graph.asset_check_keys), f"{key} has no check"
        node = graph.get(key)
        assert node.owners and node.kinds and node.group_name in DOMAINS, key
        assert node.description


def test_every_warehouse_step_is_in_its_domains_pool_and_network_steps_in_none():
    definitions = defs()
    graph = definitions.resolve_asset_graph()
    network_steps = set()
    for assets_def in graph.assets_defs:
        # Observations (the reference sets) read files, never the warehouse.
        if assets_def.is_executable and assets_def.is_materializable:
            node = graph.get(next(iter(assets_def.keys)))
            if node.tags.get("layer") == "staging":  # waits on the network, writes files
                network_steps |= {key.to_user_string() for key in assets_def.keys}
                assert assets_def.op.pool is None, assets_def.keys
            else:
                assert assets_def.op.pool == warehouse_pool(node.group_name), assets_def.keys
    assert "content/content_fetch_results" in network_steps


def test_jobs_schedules_and_sensors_exist_and_run_by_default():
    definitions = defs()
    for job in [
        "signal_file_ingest",
        "firmographics_refresh",
        "nightly_lead_scoring",
        "weekly_lead_score_model_training",
    ]:
        assert definitions.resolve_job_def(job)
    for name in ["signal_files_sensor", "reference_file_sensor"]:
        sensor = definitions.resolve_sensor_def(name)
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    for name in [
        "nightly_lead_scoring_schedule",
        "weekly_account_health_schedule",
        "weekly_lead_score_model_schedule",
    ]:
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
