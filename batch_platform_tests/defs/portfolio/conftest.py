"""A throwaway portfolio platform: landing dirs, a warehouse file and an ephemeral instance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from batch_platform.defs.common.resources import LandingResource, WarehouseResource
from batch_platform.defs.portfolio.assets.firm_records import portfolio_firm_records
from batch_platform.defs.portfolio.assets.office_api_responses import office_api_responses
from batch_platform.defs.portfolio.assets.office_snapshot import office_snapshot
from batch_platform.defs.portfolio.assets.report import portfolio_health_report
from batch_platform.defs.portfolio.assets.sweep import (
    baseline,
    mismatches,
    renewals_due,
    status_changes,
)
from batch_platform.defs.portfolio.logic.registration_records import OFFICE_COLUMNS, read_records
from batch_platform.defs.portfolio.logic.sample_portfolio import generate_portfolio_sample
from batch_platform.defs.portfolio.resources import OfficeDataResource

ASSETS = [
    portfolio_firm_records,
    office_api_responses,
    office_snapshot,
    baseline,
    status_changes,
    renewals_due,
    mismatches,
    portfolio_health_report,
]
MONTH = dt.date(2026, 11, 1)
OFFICE_API_KEY = "office-test-key"


class PortfolioPlatform:
    def __init__(self, root: Path):
        self.root = root
        self.landing = root / "landing"
        self.reports_dir = root / "reports"
        self.warehouse = root / "warehouse"
        self.lake = root / "lake"
        self.instance = dg.DagsterInstance.ephemeral()
        self.office = OfficeDataResource(source="snapshot")
        self.landing.mkdir(parents=True)

    @property
    def resources(self) -> dict:
        return {
            "duckdb": WarehouseResource(database=str(self.warehouse)),
            "landing": LandingResource(
                landing_dir=str(self.landing), reports_dir=str(self.reports_dir), settle_seconds=0
            ),
            "portfolio_office": self.office,
        }

    def sweep(self, month: dt.date, assets=None, run_config=None) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            assets or ASSETS,
            partition_key=month.isoformat(),
            resources=self.resources,
            instance=self.instance,
            run_config=run_config,
        )

    def query(self, sql: str, params=None) -> list[tuple]:
        with self.resources["duckdb"].get_connection() as con:
            return con.execute(sql, params).fetchall()

    def office_states(self, month: dt.date) -> dict[str, tuple]:
        """registration_id → (fetch_state, attempts, error, retryable) of the month's rows."""
        return {
            r[0]: r[1:]
            for r in self.query(
                "SELECT registration_id, fetch_state, attempts, error, retryable "
                "FROM portfolio.office_snapshot WHERE month = ?",
                [month],
            )
        }

    def staging(self, month: dt.date):
        """The month's staging area, where the office API responses wait for the write step."""
        return self.resources["duckdb"].staging("portfolio", month.isoformat())


@pytest.fixture
def portfolio(tmp_path: Path) -> Iterator[PortfolioPlatform]:
    platform = PortfolioPlatform(tmp_path)
    yield platform
    platform.instance.dispose()


@pytest.fixture(params=["sqlite_catalog", "postgres_catalog"])
def any_portfolio(request, tmp_path: Path) -> Iterator[PortfolioPlatform]:
    """The same test on the embedded lake (SQLite catalog) and on Postgres."""
    if request.param == "postgres_catalog":
        request.getfixturevalue("lake_catalog")
    platform = PortfolioPlatform(tmp_path)
    yield platform
    platform.instance.dispose()


@pytest.fixture
def office_sample(portfolio, monkeypatch):
    """60 registrations in 6 jurisdictions whose office records only an office API serves:
    (sample, records by registration_id); the API key is exported."""
    sample = generate_portfolio_sample(
        portfolio.landing,
        MONTH,
        registrations=60,
        jurisdiction_count=6,
        renewals_due=5,
        status_changes=1,
        mismatches=3,
        invalid_rows=False,
    )
    records = {
        r.values["registration_id"]: r.values
        for path in sample.office_files
        if f"{MONTH:%Y-%m}" in path.name
        for r in read_records(path, OFFICE_COLUMNS)
    }
    for path in sample.office_files:
        path.unlink()  # the API is the only office source in these tests
    monkeypatch.setenv("BATCH_PLATFORM_OFFICE_API_KEY", OFFICE_API_KEY)
    return sample, records


def use_office_api(portfolio: PortfolioPlatform, monkeypatch, url: str, rate: float) -> None:
    """Office data from the API at ``url``, ``rate`` requests per minute per jurisdiction."""
    # The API URL comes from the environment only (run config must not redirect the key).
    monkeypatch.setenv("BATCH_PLATFORM_OFFICE_API_URL", url)
    portfolio.office = OfficeDataResource(
        source="api",
        requests_per_minute=rate,
        concurrency=4,
        retry_attempts=3,
        retry_base_seconds=0.05,
        timeout_seconds=5,
    )
