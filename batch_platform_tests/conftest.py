"""Shared fixtures: a temporary warehouse, landing area and Dagster instance per test."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from batch_platform.defs.common.resources import LandingResource, WarehouseResource
from batch_platform.lib.keys import partition_key_for
from batch_platform.lib.warehouse import TABLES, connect


class Platform:
    """A throwaway platform: landing dirs, a warehouse file and an ephemeral instance."""

    def __init__(self, root: Path):
        self.root = root
        self.landing = root / "landing"
        self.signals_dir = self.landing / "signals"
        self.firmographics_dir = self.landing / "firmographics"
        self.reports_dir = root / "reports"
        self.warehouse = root / "warehouse.duckdb"
        for directory in (self.signals_dir, self.firmographics_dir):
            directory.mkdir(parents=True)
        self.instance = dg.DagsterInstance.ephemeral()
        self.resources = {
            "duckdb": WarehouseResource(database=str(self.warehouse)),
            "landing": LandingResource(
                landing_dir=str(self.landing), reports_dir=str(self.reports_dir), settle_seconds=0
            ),
        }

    def write_signal_file(self, name: str, content: str | bytes) -> Path:
        path = self.signals_dir / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
        return path

    def ingest(self, name: str, assets=None) -> dg.ExecuteInProcessResult:
        """Materialize raw + clean for one landed file, as the sensor's run would."""
        from batch_platform.defs.signals.assets.ingest import clean_signals, raw_signals

        key = partition_key_for(name)
        self.instance.add_dynamic_partitions("signal_files", [key])
        return dg.materialize(
            assets or [raw_signals, clean_signals],
            partition_key=key,
            resources=self.resources,
            instance=self.instance,
        )

    def query(self, sql: str, params=None) -> list[tuple]:
        con = connect(self.warehouse, read_only=True)
        try:
            return con.execute(sql, params).fetchall()
        finally:
            con.close()

    def snapshot(self) -> dict[str, str]:
        """A digest of every table's full, ordered contents."""
        con = duckdb.connect(str(self.warehouse), read_only=True)
        try:
            digests = {}
            for table in TABLES:
                rows = con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
                digests[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
            return digests
        finally:
            con.close()


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    platform = Platform(tmp_path)
    yield platform
    platform.instance.dispose()
