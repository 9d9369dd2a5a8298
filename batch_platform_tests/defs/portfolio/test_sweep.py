"""The monthly sweep over the generated sample finds exactly the planted anomalies."""

from __future__ import annotations

import hashlib
from collections import Counter

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
    summary, *client_lines = report.metadata["summary"].value.splitlines()
    assert summary == (
        "3,000 registrations: 12 status changes, 45 renewals due, 3 mismatches, 0 fetch failures"
    )
    path = portfolio.reports_dir / "portfolio_health_2026-11.md"
    text = path.read_text()
    assert summary in text
    _assert_split_per_client(portfolio, sample, report, client_lines)
    for registration_id in [*sample.status_changes, *sample.renewals_due, *sample.mismatches]:
        assert registration_id in text
    assert portfolio.query(
        "SELECT registrations, fetched, failed, status_changes, renewals_due, mismatches, "
        "quarantined_rows FROM reports.portfolio_health_report WHERE month = ?",
        [MONTH],
    ) == [(3000, 3000, 0, 12, 45, 3, 5)]


def _assert_split_per_client(portfolio, sample, report, client_lines: list[str]) -> None:
    """Every finding carries its registration's client; the summary, the metadata and a report
    per client count them per client."""
    assert len(set(sample.clients.values())) == 50
    for table in ("portfolio.status_changes", "portfolio.renewals_due", "portfolio.mismatches"):
        rows = portfolio.query(
            f"SELECT registration_id, client FROM {table} WHERE month = ?", [MONTH]
        )
        assert rows and all(client == sample.clients[rid] for rid, client in rows)
    expected: dict[str, Counter] = {}
    for kind, ids in (
        ("status_changes", sample.status_changes),
        ("renewals_due", sample.renewals_due),
        ("mismatches", sample.mismatches),
    ):
        for rid in ids:
            expected.setdefault(sample.clients[rid], Counter())[kind] += 1
    counts = report.metadata["per_client_counts"].value
    assert len(counts) == 50
    assert sum(c["registrations"] for c in counts.values()) == 3000
    for client, found in counts.items():
        wanted = expected.get(client, Counter())
        assert (found["status_changes"], found["renewals_due"], found["mismatches"]) == (
            wanted["status_changes"], wanted["renewals_due"], wanted["mismatches"],
        )  # fmt: skip
    assert len(client_lines) == len(expected) + 1
    assert client_lines[-1] == f"{50 - len(expected)} clients with nothing to report"
    for line in client_lines[:-1]:
        client = line.split(":")[0]
        assert f"{expected[client]['status_changes']} status change" in line
    folder = portfolio.reports_dir / "portfolio_health_2026-11"
    assert len(list(folder.glob("*.md"))) == 50
    busy = next(iter(expected))
    text = (folder / f"{busy}.md").read_text()
    assert text.startswith(f"# Portfolio health check 2026-11: {busy}")
    mine = {rid for rid, client in sample.clients.items() if client == busy}
    theirs = set(sample.status_changes) | set(sample.renewals_due) | set(sample.mismatches)
    assert all(rid in text for rid in theirs & mine)
    assert not any(rid in text for rid in theirs - mine)


def test_rerunning_a_month_leaves_identical_tables(portfolio):
    sample = generate_portfolio_sample(portfolio.landing, MONTH, registrations=400)
    portfolio.sweep(sample.previous_month)
    portfolio.sweep(MONTH)
    before = _portfolio_digest(portfolio)
    assert portfolio.sweep(MONTH).success
    assert _portfolio_digest(portfolio) == before
