"""Rollups, lead scores, account health and the report, on hand-made signals."""

import datetime as dt

import dagster as dg
import pytest

from batch_platform.defs.signals.assets.firmographics import firmographics
from batch_platform.defs.signals.assets.reports import daily_pipeline_report
from batch_platform.defs.signals.assets.rollups import daily_account_usage, web_sessions
from batch_platform.defs.signals.assets.scores import account_health, lead_scores
from batch_platform_tests.conftest import Platform

HEADER = "event_id,occurred_at,source,event_type,email,account_domain,properties\n"
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def land(platform, name, rows):
    platform.write_signal_file(name, HEADER + "".join(r + "\n" for r in rows))
    platform.ingest(name)


def materialize(platform, assets, partition_key=None, tags=None):
    result = dg.materialize(
        assets,
        partition_key=partition_key,
        tags=tags,
        resources=platform.resources,
        instance=platform.instance,
    )
    assert result.success
    failed = [e for e in result.get_asset_check_evaluations() if not e.passed]
    return result, failed


@pytest.fixture
def firmographics_landed(platform):
    (platform.firmographics_dir / "old.csv").write_text(
        "domain,company_name,industry,employee_count,country\nacme.io,Acme,retail,10,FR\n"
    )
    (platform.firmographics_dir / "new.csv").write_text(
        "Domain, Company Name ,INDUSTRY,employee_count,country\n"
        'WWW.ACME.IO,Acme Corp,Software,"1,500",us\n'
    )
    import os

    os.utime(platform.firmographics_dir / "old.csv", (1_000_000, 1_000_000))
    _, failed = materialize(platform, [firmographics])
    assert not failed


def test_latest_firmographics_file_wins(platform, firmographics_landed):
    assert platform.query("SELECT * EXCLUDE (source_line) FROM clean.firmographics") == [
        ("acme.io", "Acme Corp", "Software", 1500, "US", "new.csv")
    ]


def test_lead_score_decays_with_age_and_adds_fit(platform, firmographics_landed):
    # As of 2026-01-31 (New York), the day ends 2026-02-01 05:00 UTC.
    land(
        platform,
        "s.csv",
        [
            "d1,2026-01-02T05:00:00Z,website,demo_request,ann@acme.io,,",  # 30 days old: 15 pts
            "p1,2026-02-01T04:00:00Z,website,page_view,ann@acme.io,,",  # 1 hour old: ~1 pt
            "x1,2026-02-01T06:00:00Z,website,demo_request,ann@acme.io,,",  # after the day
            "b1,2026-01-31T05:00:00Z,email,email_bounce,bob@gmail.com,,",  # 1 day: -9.77
        ],
    )
    _, failed = materialize(platform, [lead_scores], partition_key="2026-01-31")
    assert [f.check_name for f in failed] == ["data_not_late"] or not failed
    rows = platform.query(
        "SELECT email, behaviour_score, fit_score, score, tier, is_mql, events_in_lookback "
        "FROM scores.lead_scores WHERE as_of_date = '2026-01-31' ORDER BY email"
    )
    ann_behaviour = round(30 * 0.5 + 1 * 0.5 ** ((1 / 24) / 30), 2)
    assert rows == [
        ("ann@acme.io", ann_behaviour, 40.0, round(ann_behaviour + 40, 2), "B", True, 2),
        ("bob@gmail.com", round(-10 * 0.5 ** (1 / 30), 2), 0.0, 0.0, "D", False, 1),
    ]


def test_previous_score_and_late_events_on_rescoring(platform):
    land(platform, "a.csv", ["1,2026-01-10T15:00:00Z,website,demo_request,ann@x.io,,"])
    materialize(platform, [lead_scores], tags={RANGE_START: "2026-01-10", RANGE_END: "2026-01-11"})
    before = platform.query(
        "SELECT as_of_date, score, previous_score FROM scores.lead_scores ORDER BY 1"
    )
    assert before[1][2] == before[0][1]  # the 11th's previous score is the 10th's score
    # An event for the 11th arrives late; rescoring the 11th picks it up.
    land(platform, "late.csv", ["2,2026-01-11T15:00:00Z,website,trial_signup,ann@x.io,,"])
    materialize(platform, [lead_scores], partition_key="2026-01-11")
    after = platform.query(
        "SELECT score, score_change FROM scores.lead_scores WHERE as_of_date = '2026-01-11'"
    )
    assert after[0][0] > before[1][1] + 24
    assert after[0][1] == pytest.approx(after[0][0] - before[0][1], abs=0.01)


def test_sessions_split_after_30_minutes_and_usage_rolls_up(platform):
    land(
        platform,
        "web.csv",
        [
            "1,2026-01-10T15:00:00Z,website,page_view,ann@x.io,,",
            '2,2026-01-10T15:20:00Z,website,page_view,ann@x.io,,{"path": "/pricing"}',
            "3,2026-01-10T15:49:00Z,website,page_view,ann@x.io,,",
            "4,2026-01-10T16:20:00Z,website,page_view,ann@x.io,,",
            "5,2026-01-10T15:00:00Z,product,login,ann@x.io,,",
            "6,2026-01-10T15:05:00Z,product,feature_used,bob@x.io,,",
        ],
    )
    _, failed = materialize(
        platform, [web_sessions, daily_account_usage], partition_key="2026-01-10"
    )
    assert not failed
    assert platform.query(
        "SELECT page_views, pricing_page_views FROM clean.web_sessions ORDER BY started_at"
    ) == [(3, 1), (1, 0)]
    assert platform.query("SELECT * FROM clean.daily_account_usage") == [
        (dt.date(2026, 1, 10), "x.io", 2, 2, 1, 1)
    ]


def test_account_health_components_and_bands(platform):
    rows = [f"p{n},2026-01-1{n % 6}T15:00:00Z,product,login,u{n}@busy.io,," for n in range(30)]
    rows += [f"e{n},2026-01-1{n % 6}T15:00:00Z,email,email_click,u{n}@busy.io,," for n in range(30)]
    rows += ["m1,2026-01-14T15:00:00Z,crm,meeting_booked,u1@busy.io,,"]
    rows += ["q1,2025-12-01T15:00:00Z,product,login,a@quiet.io,,"]
    land(platform, "acct.csv", rows)
    _, failed = materialize(platform, [account_health], partition_key="2026-01-12")
    health = {
        r[0]: r[1:]
        for r in platform.query(
            "SELECT account_domain, health_score, band, recency_score FROM scores.account_health"
        )
    }
    assert health["busy.io"][1] in ("neutral", "healthy") and health["busy.io"][2] == 25
    assert health["quiet.io"] == (10.0, "at_risk", 0)
    assert not [f for f in failed if f.check_name != "data_not_late"]


def test_pipeline_report_is_written_and_balances(platform):
    land(platform, "r.csv", ["1,2026-01-10T15:00:00Z,website,demo_request,ann@x.io,,", "bad,,,,,,"])
    _, failed = materialize(
        platform,
        [web_sessions, daily_account_usage, lead_scores, daily_pipeline_report],
        partition_key="2026-01-10",
    )
    assert not failed
    report = platform.reports_dir / "pipeline_report_2026-01-10.md"
    text = report.read_text()
    assert "| rows_in | 2 |" in text and "| rows_quarantined | 1 |" in text
    assert "![rows and scores](pipeline_report_2026-01-10.png)" in text
    assert report.with_suffix(".png").read_bytes().startswith(b"\x89PNG")
    assert platform.query(
        "SELECT rows_in, rows_cleaned, rows_quarantined, contacts_scored "
        "FROM reports.daily_pipeline_report"
    ) == [(2, 1, 1, 1)]


def test_daily_assets_run_on_ducklake(tmp_path, lake_catalog):
    platform = Platform(tmp_path)
    land(
        platform,
        "lake.csv",
        [
            "1,2026-01-10T15:00:00Z,website,demo_request,ann@x.io,,",
            "2,2026-01-10T15:10:00Z,website,page_view,ann@x.io,,",
            "3,2026-01-10T15:20:00Z,product,login,bob@x.io,,",
        ],
    )
    _, failed = materialize(
        platform,
        [web_sessions, daily_account_usage, lead_scores, daily_pipeline_report],
        partition_key="2026-01-10",
    )
    assert not failed
    _, failed = materialize(platform, [account_health], partition_key="2026-01-05")
    assert [f.check_name for f in failed] in ([], ["data_not_late"])
    assert platform.query(
        "SELECT email, events_in_lookback FROM scores.lead_scores ORDER BY 1"
    ) == [
        ("ann@x.io", 2),
        ("bob@x.io", 1),
    ]
    assert platform.query("SELECT rows_in, rows_cleaned FROM reports.daily_pipeline_report") == [
        (3, 3)
    ]
