"""The monthly intent report on page views ingested through the signals pipeline."""

import datetime as dt

import dagster as dg
import pytest

from batch_platform.definitions import defs
from batch_platform.defs.signals.assets.monthly_intent import (
    intent_month_bounds_utc,
    monthly_intent,
)
from batch_platform.defs.signals.schedules import (
    monthly_intent_schedule,
    previous_month_partition_for,
)

HEADER = "event_id,occurred_at,source,event_type,email,account_domain,properties\n"


def view(n: int, when: str, email: str, path: str) -> str:
    return f'v{n},{when},website,page_view,{email},,"{{""path"": ""{path}""}}"'


def test_rising_new_steady_and_falling_topics(platform):
    rows = []
    jan, feb = "2026-01-15T15:00:00Z", "2026-02-10T15:00:00Z"
    events = (
        [(jan, "ann@acme.io", "/pricing")]
        + [(feb, "ann@acme.io", "/pricing")] * 2 + [(feb, "bo@acme.io", "/pricing?plan=pro")] * 2
        + [(feb, "ann@acme.io", "/blog/batch-etl")] * 3
        + [(feb, "ann@acme.io", "/docs")] * 2
        + [(jan, "cy@globex.io", "https://www.example.com/integrations/")] * 6
        + [(feb, "cy@globex.io", "/integrations")] * 2
        + [(feb, "fan@gmail.com", "/pricing")] * 5  # free mail: no account
        + [("2026-03-01T06:00:00Z", "ann@acme.io", "/about")] * 4  # March in New York
    )  # fmt: skip
    rows = [view(n, when, email, path) for n, (when, email, path) in enumerate(events)]
    platform.write_signal_file("views.csv", HEADER + "\n".join(rows) + "\n")
    platform.ingest("views.csv")
    result = dg.materialize(
        [monthly_intent], partition_key="2026-02-01", resources=platform.resources,
        instance=platform.instance,
    )  # fmt: skip
    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
    assert platform.query(
        "SELECT account_domain, topic, page_views, contacts, previous_page_views, change_ratio, "
        "trend FROM reports.monthly_intent WHERE month_start = '2026-02-01' ORDER BY 1, 2"
    ) == [
        ("acme.io", "blog/batch-etl", 3, 1, 0, None, "new"),
        ("acme.io", "docs", 2, 1, 0, None, "steady"),
        ("acme.io", "pricing", 4, 2, 1, 4.0, "rising"),
        ("globex.io", "integrations", 2, 1, 6, 0.333, "falling"),
    ]
    metadata = result.asset_materializations_for_node("reports__reports_monthly_intent")[0].metadata
    assert (
        metadata["summary"].value == "2026-02: 1 accounts with rising research on 2 account-topics"
    )
    report = (platform.reports_dir / "intent_report_2026-02.md").read_text()
    assert "| acme.io | pricing | 4 | 1 | 2 |  |  | rising |" in report
    assert "| blog/batch-etl | 1 |" in report


def test_intent_month_bounds_are_new_york_midnights_in_utc():
    import datetime as dt

    bounds = intent_month_bounds_utc(dt.date(2026, 3, 1), "America/New_York")
    assert bounds == {
        "previous_start": dt.datetime(2026, 2, 1, 5),
        "start": dt.datetime(2026, 3, 1, 5),
        "end": dt.datetime(2026, 4, 1, 4),  # daylight saving time began on 8 March
        "previous_month_start": dt.date(2026, 2, 1),
        "next_month_start": dt.date(2026, 4, 1),
    }


def test_monthly_schedule_runs_by_default_with_a_run_limit():
    definitions = defs()
    schedule = definitions.resolve_schedule_def("monthly_intent_schedule")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert definitions.resolve_job_def("monthly_intent_report").tags["dagster/max_runtime"]


@pytest.mark.parametrize(
    ("run_time", "month"),
    [
        (dt.datetime(2026, 3, 1, 4), "2026-02-01"),
        (dt.datetime(2026, 1, 1, 4), "2025-12-01"),
        (dt.datetime(2024, 3, 1, 4), "2024-02-01"),
    ],
)
def test_monthly_schedule_reports_the_month_just_ended(run_time, month):
    assert previous_month_partition_for(run_time) == month
    context = dg.build_schedule_context(scheduled_execution_time=run_time)
    assert monthly_intent_schedule(context).partition_key == month
