"""A lake with a table written day by day, one commit per day, as nightly runs write it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.defs.lake.assets.cleaned_files import cleaned_files
from batch_platform.defs.lake.assets.compacted_files import compacted_files
from batch_platform.defs.lake.assets.expired_snapshots import expired_snapshots
from batch_platform.lib.warehouse import atomically, write_partition

TABLE = "clean.daily_account_usage"
FIRST_DAY = dt.date(2026, 1, 1)
ROWS_PER_DAY = 5
UPKEEP_ASSETS = [compacted_files, expired_snapshots, cleaned_files]


def write_day(con: duckdb.DuckDBPyConnection, day: dt.date, scale: int = 1) -> int:
    """One day of usage (five accounts), replacing the day: one commit."""
    return write_partition(
        con,
        TABLE,
        {"usage_date": day},
        "SELECT $day::DATE AS usage_date, 'account-' || i || '.example' AS account_domain, "
        "i * $scale AS product_events, 1 AS active_users, 2 AS logins, 3 AS features_used "
        f"FROM range({ROWS_PER_DAY}) AS t(i)",
        {"day": day, "scale": scale},
    )


@dataclass
class Lake:
    root: Path
    resource: WarehouseResource

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def connect(self, **kwargs) -> duckdb.DuckDBPyConnection:
        return self.resource.open(**kwargs)

    def stored_parquet(self) -> set[str]:
        return {str(p) for p in self.data_dir.rglob("*.parquet")}

    def rows(self, con: duckdb.DuckDBPyConnection) -> list[tuple]:
        return con.execute(f"SELECT * FROM {TABLE} ORDER BY ALL").fetchall()

    def snapshot_ids(self, con: duckdb.DuckDBPyConnection) -> list[int]:
        # fetchall: a result left half-read keeps the SQLite catalog locked for every writer.
        rows = con.execute("SELECT snapshot_id FROM ducklake_snapshots(current_database())")
        return [row[0] for row in rows.fetchall()]

    def table_files(self, con: duckdb.DuckDBPyConnection) -> list[str]:
        return [
            row[0]
            for row in con.execute(
                "SELECT data_file FROM ducklake_list_files(current_database(), "
                "'daily_account_usage', schema => 'clean')"
            ).fetchall()
        ]

    def upkeep(self, **kwargs) -> dg.ExecuteInProcessResult:
        return dg.materialize(UPKEEP_ASSETS, resources={"duckdb": self.resource}, **kwargs)


@pytest.fixture(params=["sqlite_catalog", "postgres_catalog"])
def any_lake(request, tmp_path: Path, monkeypatch) -> Iterator[Lake]:
    """An empty lake on the embedded SQLite catalog, and on a Postgres catalog (production)."""
    for name in [
        "BATCH_PLATFORM_DUCKLAKE_CATALOG",
        "BATCH_PLATFORM_DUCKLAKE_DATA_PATH",
        "BATCH_PLATFORM_LAKE_SNAPSHOT_RETENTION_DAYS",
        "BATCH_PLATFORM_LAKE_CLEANUP_MARGIN_HOURS",
        "BATCH_PLATFORM_LAKE_SMALL_FILE_MB",
        "BATCH_PLATFORM_LAKE_MAX_SMALL_FILES",
    ]:
        monkeypatch.delenv(name, raising=False)
    if request.param == "postgres_catalog":
        request.getfixturevalue("lake_catalog")
    root = tmp_path / "w"
    yield Lake(root, WarehouseResource(database=str(root)))


@pytest.fixture
def lake(tmp_path: Path, monkeypatch) -> Lake:
    """The embedded lake only."""
    for name in ["BATCH_PLATFORM_DUCKLAKE_CATALOG", "BATCH_PLATFORM_DUCKLAKE_DATA_PATH"]:
        monkeypatch.delenv(name, raising=False)
    root = tmp_path / "w"
    return Lake(root, WarehouseResource(database=str(root)))


def write_month(lake: Lake, days: int = 30) -> duckdb.DuckDBPyConnection:
    """``days`` days, each its own commit and Parquet file; then one day replaced whole (its
    first file is referenced only by older snapshots) and two rows of another deleted (a delete
    file)."""
    con = lake.connect()
    for offset in range(days):
        write_day(con, FIRST_DAY + dt.timedelta(days=offset))
    write_day(con, FIRST_DAY, scale=10)
    atomically(
        con,
        lambda: con.execute(
            f"DELETE FROM {TABLE} WHERE usage_date = $day AND product_events < 2",
            {"day": FIRST_DAY + dt.timedelta(days=4)},
        ),
    )
    return con
