"""A real lake (SQLite catalog, Parquet data) in tmp_path, named by the environment."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from batch_platform.lib.warehouse import atomically, connect, current_snapshot

USAGE = "clean.daily_account_usage"
FIRST_DAY = dt.date(2026, 1, 1)


@dataclass
class CliLake:
    path: Path
    snapshots: list[int] = field(default_factory=list)

    def add_usage(self, days: int, start: dt.date = FIRST_DAY, domain: str = "acme.io") -> int:
        """``days`` rows of daily usage, one commit; returns the snapshot it made."""
        con = connect(self.path)
        try:
            atomically(
                con,
                lambda: con.execute(
                    f"INSERT INTO {USAGE} SELECT $start + i::INTEGER, $domain, i, i * 2, i * 3, 1 "
                    "FROM range($days) AS t(i)",
                    {"start": start, "domain": domain, "days": days},
                ),
            )
            snapshot = current_snapshot(con)
        finally:
            con.close()
        assert snapshot is not None
        self.snapshots.append(snapshot)
        return snapshot

    def query(self, sql: str) -> list[tuple]:
        con = connect(self.path, read_only=True)
        try:
            return con.execute(sql).fetchall()
        finally:
            con.close()


def hold_write_transaction(warehouse: str, started, release, seconds: float = 60.0) -> None:
    """Another process: a write transaction left open until ``release`` is set (at most
    ``seconds``), then committed. The test decides when it ends, so a slow reader on a loaded
    machine cannot outlast it; a reader that waited for it would wait the whole minute."""
    con = connect(warehouse)
    con.execute("BEGIN TRANSACTION")
    con.execute(
        f"INSERT INTO {USAGE} SELECT DATE '2027-01-01' + i::INTEGER, 'writer.io', i, i, i, i "
        "FROM range(100000) AS t(i)"
    )
    started.set()
    release.wait(seconds)
    con.execute("COMMIT")


@pytest.fixture
def lake(tmp_path, monkeypatch) -> CliLake:
    """An embedded lake at tmp_path/warehouse, which $BATCH_PLATFORM_WAREHOUSE names."""
    path = tmp_path / "warehouse"
    for name in ("BATCH_PLATFORM_DUCKLAKE_CATALOG", "BATCH_PLATFORM_DUCKLAKE_DATA_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BATCH_PLATFORM_WAREHOUSE", str(path))
    connect(path).close()
    return CliLake(path)
