"""The portfolio demo step: generated sample, two monthly runs, the summary line."""

from __future__ import annotations

import datetime as dt

import dagster as dg

from batch_platform.definitions import defs
from batch_platform.demo.portfolio import run_portfolio_demo
from batch_platform.lib.settings import load_settings


def test_demo_step_sweeps_two_months_and_reports_the_planted_counts(tmp_path, monkeypatch):
    env = {
        "BATCH_PLATFORM_LANDING_DIR": str(tmp_path / "landing"),
        "BATCH_PLATFORM_WAREHOUSE": str(tmp_path / "warehouse"),
        "BATCH_PLATFORM_REPORTS_DIR": str(tmp_path / "reports"),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    said: list[str] = []
    with dg.instance_for_test() as instance:
        demo = run_portfolio_demo(
            defs(), instance, load_settings(env), True, said.append, today=dt.date(2026, 11, 23)
        )
    assert [r.success for r in demo.results] == [True, True]
    assert all(c.passed for r in demo.results for c in r.get_asset_check_evaluations())
    assert said[0].startswith("generated 3,000 registrations in 80 jurisdictions")
    assert demo.lines[0] == (
        "portfolio 2026-11: 3,000 registrations: 12 status changes, 45 renewals due, "
        "3 mismatches, 0 fetch failures"
    )
    assert (tmp_path / "reports" / "portfolio_health_2026-11.md").is_file()
