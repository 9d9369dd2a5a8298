"""Bad firm records and bad office data: clear reasons, nothing lost, the rest processed."""

from __future__ import annotations

import pytest

from batch_platform.defs.portfolio.assets.firm_records import portfolio_firm_records
from batch_platform.defs.portfolio.assets.office_snapshot import office_snapshot
from batch_platform_tests.defs.portfolio.conftest import ASSETS, MONTH

HEADER = (
    "registration_id,jurisdiction,mark,owner,status,filing_date,registration_date,"
    "next_renewal_date,classes\n"
)


def _write(portfolio, folder: str, name: str, text: str):
    path = portfolio.landing / "portfolio" / folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def test_invalid_firm_rows_are_quarantined_with_every_reason_and_the_rest_processed(portfolio):
    _write(
        portfolio,
        "firm_records",
        "a.csv",
        HEADER
        + "TM-1,US,ALPHA,Acme,registered,2015-01-01,2016-01-01,2026-12-01,9\n"
        + "TM-2,Atlantis,BETA,Acme,registered,2015-01-01,2016-01-01,2030-01-01,9\n"
        + "TM-3,DE,GAMMA,Acme,eingetragen,31.02.2019,2020-01-01,01.01.2030,9\n"
        + ",FR,DELTA,Acme,enregistrée,2015-01-01,2016-01-01,2030-01-01,9\n"
        + "TM-1,US,ALPHA AGAIN,Acme,registered,2015-01-01,2016-01-01,2026-12-01,9\n"
        + "TM-4,US,EPSILON,Acme,zombie,someday,2016-01-01,2030-01-01,99\n"
        + "TM-5,US,ZETA,Acme,registered,2015-01-01\n",
    )
    _write(portfolio, "firm_records", "b.csv", "registration_id,jurisdiction\nTM-9,US\n")
    _write(
        portfolio,
        "office",
        "office.jsonl",
        '{"registration_id": "TM-1", "jurisdiction": "US", "owner": "Acme", '
        '"status": "Registered", "next_renewal_date": "12/01/2026", "as_of": "11/01/2026"}\n'
        "{broken\n",
    )
    result = portfolio.sweep(MONTH)
    assert result.success
    assert all(c.passed for c in result.get_asset_check_evaluations())
    assert portfolio.query("SELECT registration_id FROM portfolio.firm_records") == [("TM-1",)]
    reasons = dict(
        ((f, n), reason)
        for f, n, reason in portfolio.query(
            "SELECT source_file, source_line, reason FROM quarantine.portfolio_firm_rows"
        )
    )
    assert reasons == {
        ("a.csv", 2): "jurisdiction 'Atlantis' is not a two-letter office code (WIPO ST.3)",
        ("a.csv", 3): "filing_date '31.02.2019' is not a date in ISO or the DE format",
        ("a.csv", 4): "registration_id is missing",
        ("a.csv", 5): "duplicate registration_id (first at a.csv line 1)",
        ("a.csv", 6): "status 'zombie' is not in the US vocabulary; filing_date 'someday' is "
        "not a date in ISO or the US format; classes: '99' is not a Nice class (1-45)",
        ("a.csv", 7): "row has 6 fields, header has 9",
        ("b.csv", 1): "file has no column mark, owner, status, filing_date, registration_date, "
        "next_renewal_date, classes",
    }
    assert portfolio.query(
        "SELECT registration_id, days_until, date_source FROM portfolio.renewals_due"
    ) == [("TM-1", 30, "office")]
    assert portfolio.query(
        "SELECT registrations, fetched, failed, quarantined_rows FROM "
        "reports.portfolio_health_report"
    ) == [(1, 1, 0, 7)]


def test_bad_office_data_fails_that_registration_with_the_reason(portfolio):
    _write(
        portfolio,
        "firm_records",
        "firm.csv",
        HEADER
        + "TM-1,DE,ALPHA,Acme,registered,2015-01-01,2016-01-01,2030-01-01,9\n"
        + "TM-2,DE,BETA,Acme,registered,2015-01-01,2016-01-01,2030-01-01,9\n"
        + "TM-3,DE,GAMMA,Acme,registered,2015-01-01,2016-01-01,2030-01-01,9\n",
    )
    _write(
        portfolio,
        "office",
        "de.csv",
        HEADER.strip() + ",as_of\n"
        "TM-1,DE,ALPHA,Acme,eingetragen,01.01.2015,01.01.2016,01.01.2030,9,01.11.2026\n"
        "TM-2,DE,BETA,Acme,verschollen,01.01.2015,01.01.2016,31.13.2030,9,01.11.2026\n"
        "TM-3,DE,GAMMA,Acme,eingetragen,01.01.2015,01.01.2016,01.01.2030,9,01.10.2026\n",
    )
    result = portfolio.sweep(MONTH, assets=[portfolio_firm_records, office_snapshot])
    assert result.success
    rows = portfolio.query(
        "SELECT registration_id, fetch_state, error FROM portfolio.office_snapshot "
        "ORDER BY registration_id"
    )
    assert rows == [
        ("TM-1", "succeeded", None),
        (
            "TM-2",
            "failed",
            "office data: status 'verschollen' is not in the DE vocabulary; next_renewal_date "
            "'31.13.2030' is not a date in ISO or the DE format",
        ),
        ("TM-3", "failed", "not in any office snapshot with as_of in 2026-11"),
    ]
    # The month's report still builds, and says which registrations failed.
    assert portfolio.sweep(MONTH, assets=ASSETS[3:]).success
    report = (portfolio.reports_dir / "portfolio_health_2026-11.md").read_text()
    assert "3 registrations: 0 status changes, 0 renewals due, 0 mismatches, 2 fetch failures" in (
        report
    )
    assert "verschollen" in report


def test_no_firm_record_files_is_a_clear_error(portfolio):
    with pytest.raises(
        FileNotFoundError, match=r"no firm-record files \(\.csv\) in .*firm_records"
    ):
        portfolio.sweep(MONTH, assets=[portfolio_firm_records])
