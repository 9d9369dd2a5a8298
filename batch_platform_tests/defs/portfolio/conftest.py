"""A throwaway portfolio platform: landing dirs, a warehouse file and an ephemeral instance."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from batch_platform.defs.common.resources import LandingResource, WarehouseResource
from batch_platform.defs.portfolio.assets.firm_records import portfolio_firm_records
from batch_platform.defs.portfolio.assets.office_snapshot import office_snapshot
from batch_platform.defs.portfolio.assets.report import portfolio_health_report
from batch_platform.defs.portfolio.assets.sweep import (
    baseline,
    mismatches,
    renewals_due,
    status_changes,
)
from batch_platform.defs.portfolio.resources import OfficeDataResource

ASSETS = [
    portfolio_firm_records,
    office_snapshot,
    baseline,
    status_changes,
    renewals_due,
    mismatches,
    portfolio_health_report,
]
MONTH = dt.date(2026, 11, 1)


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
