"""The monthly sweep over the generated sample finds exactly the planted anomalies."""

from __future__ import annotations

import hashlib

from batch_platform.defs.portfolio.assets._common import HEALTH_REPORT
from batch_platform.defs.portfolio.logic.sample_portfolio import generate_portfolio_sample
from batch_platform.lib.warehouse import TABLES
from batch_platform_tests.defs.portfolio.conftest import MONTH


def _ids(portfolio, table: str, month) -> set[str]:
    return {
        r[0]
        for r in portfolio.query(f"SELECT registration_id FROM {table} WHERE month = ?", [month])
    }


def _portfolio_digest(portfolio) -> dict[str, str]:
    tables = [t for t in TABLES if "portfolio" in t]
    return {
        t: hashlib.sha256(
            repr(portfolio.query(f"SELECT * EXCLUDE (fetched_at) FROM {t} ORDER BY ALL")
                 if t == "portfolio.office_snapshot"
                 else portfolio.query(f"SELECT * FROM {t} ORDER BY ALL")).encode()
        ).hexdigest()
        for t in tables
    }  # fmt: skip


def test_sample_sweep_finds_exactly_the_planted_anomalies(any_portfolio):
    portfolio = any_portfolio
    sample = generate_portfolio_sample(portfolio.landing, MONTH)
    assert sample.registrations == 3000 and sample.jurisdictions == 80
    assert (len(sample.status_changes), len(sample.renewals_due), len(sample.mismatches)) == (
        12,
        45,
        3,
    )
    assert portfolio.sweep(sample.previous_month).success
    result = portfolio.sweep(MONTH)
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())

    changes = {
        r[0]: (r[1], r[2])
        for r in portfolio.query(
            "SELECT registration_id, previous_status, current_status FROM "
            "portfolio.status_changes WHERE month = ?",
            [MONTH],
        )
    }
    assert changes == sample.status_changes
    assert _ids(portfolio, "portfolio.renewals_due", MONTH) == set(sample.renewals_due)
    from_firm = {
        r[0]
        for r in portfolio.query(
            "SELECT registration_id FROM portfolio.renewals_due WHERE month = ? "
            "AND date_source = 'firm_records'",
            [MONTH],
        )
    }
    assert from_firm == set(sample.renewals_from_firm_records)
    found = {
        r[0]: tuple(r[1])
        for r in portfolio.query(
            "SELECT registration_id, differing_fields FROM portfolio.mismatches WHERE month = ?",
            [MONTH],
        )
    }
    assert found == sample.mismatches
    quarantined = dict(
        portfolio.query(
            "SELECT source_line, reason FROM quarantine.portfolio_firm_rows WHERE month = ?",
            [MONTH],
        )
    )
    assert set(quarantined) == set(sample.quarantined)
    for line, fragment in sample.quarantined.items():
        assert fragment in quarantined[line]

    (report,) = [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.materialization.asset_key == HEALTH_REPORT
    ]
    summary = report.metadata["summary"].value
    assert summary == (
        "3,000 registrations: 12 status changes, 45 renewals due, 3 mismatches, 0 fetch failures"
    )
    path = portfolio.reports_dir / "portfolio_health_2026-11.md"
    text = path.read_text()
    assert summary in text
    for registration_id in [*sample.status_changes, *sample.renewals_due, *sample.mismatches]:
        assert registration_id in text
    assert portfolio.query(
        "SELECT registrations, fetched, failed, status_changes, renewals_due, mismatches, "
        "quarantined_rows FROM reports.portfolio_health_report WHERE month = ?",
        [MONTH],
    ) == [(3000, 3000, 0, 12, 45, 3, 5)]


def test_rerunning_a_month_leaves_identical_tables(portfolio):
    sample = generate_portfolio_sample(portfolio.landing, MONTH, registrations=400)
    portfolio.sweep(sample.previous_month)
    portfolio.sweep(MONTH)
    before = _portfolio_digest(portfolio)
    assert portfolio.sweep(MONTH).success
    assert _portfolio_digest(portfolio) == before
