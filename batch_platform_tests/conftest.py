"""Shared fixtures: a temporary warehouse, landing area and Dagster instance per test."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from batch_platform.defs.common.resources import LandingResource, WarehouseResource
from batch_platform.lib.keys import partition_key_for
from batch_platform.lib.warehouse import TABLES
from batch_platform_tests.support.postgres import PostgresCluster, start_cluster
from batch_platform_tests.support.priority import lower_worker_priority
from batch_platform_tests.support.scheduling import DevServersApart


class Platform:
    """A throwaway platform: landing dirs, a warehouse (DuckLake on SQLite, or on Postgres when
    the ``lake_catalog`` fixture exported a catalog), an ephemeral instance."""

    def __init__(self, root: Path):
        self.root = root
        self.landing = root / "landing"
        self.signals_dir = self.landing / "signals"
        self.firmographics_dir = self.landing / "firmographics"
        self.reports_dir = root / "reports"
        self.warehouse = root / "warehouse"
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
        from batch_platform.defs.signals.assets.clean_signals import clean_signals
        from batch_platform.defs.signals.assets.raw_signals import raw_signals

        key = partition_key_for(name)
        self.instance.add_dynamic_partitions("signal_files", [key])
        return dg.materialize(
            assets or [raw_signals, clean_signals],
            partition_key=key,
            resources=self.resources,
            instance=self.instance,
        )

    def query(self, sql: str, params=None) -> list[tuple]:
        with self.resources["duckdb"].get_connection() as con:
            return con.execute(sql, params).fetchall()

    def snapshot(self) -> dict[str, str]:
        """A digest of every table's full, ordered contents."""
        con = self.resources["duckdb"].open()
        try:
            digests = {}
            for table in TABLES:
                rows = con.execute(f"SELECT * FROM {table} ORDER BY ALL").fetchall()
                digests[table] = hashlib.sha256(repr(rows).encode()).hexdigest()
            return digests
        finally:
            con.close()


def require_or_skip(reason: str) -> None:
    """On CI a missing real component fails the run; elsewhere the test is skipped."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"{reason} (CI must run this test, not skip it)")
    pytest.skip(reason)


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[PostgresCluster]:
    try:
        cluster = start_cluster()
    except (FileNotFoundError, RuntimeError) as error:
        require_or_skip(f"no PostgreSQL server available: {error}")
    yield cluster
    cluster.stop()


@pytest.fixture
def lake_catalog(postgres_cluster, monkeypatch) -> str:
    """A fresh Postgres database as the DuckLake catalog, exported as the platform expects."""
    name = f"lake_{uuid.uuid4().hex[:12]}"
    postgres_cluster.create_database(name)
    catalog = postgres_cluster.conninfo(name)
    monkeypatch.setenv("BATCH_PLATFORM_DUCKLAKE_CATALOG", catalog)
    return catalog


@pytest.fixture
def platform(tmp_path: Path) -> Iterator[Platform]:
    platform = Platform(tmp_path)
    yield platform
    platform.instance.dispose()


@pytest.fixture(params=["sqlite_catalog", "postgres_catalog"])
def any_platform(request, tmp_path: Path) -> Iterator[Platform]:
    """The same test on the embedded lake (SQLite catalog) and on the production catalog
    (Postgres)."""
    if request.param == "postgres_catalog":
        request.getfixturevalue("lake_catalog")
    platform = Platform(tmp_path)
    yield platform
    platform.instance.dispose()


def pytest_configure(config: pytest.Config) -> None:
    """pytest-xdist workers yield the CPU to the processes end-to-end tests time
    (support/priority.py)."""
    if hasattr(config, "workerinput"):
        lower_worker_priority()


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadgroup`` with the end-to-end modules first, never more than two at once, and
    one of them always alone (support/scheduling.py)."""
    if config.getvalue("dist") == "loadgroup":
        return DevServersApart(config, log)
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Modules that keep to one worker (``xdist_group``: a `dg dev`, a corpus served once) run
    first, the many short tests after them: with ``--dist loadgroup`` the short ones then fill
    the workers' ends instead of one worker finishing a long module alone."""
    if hasattr(config, "workerinput") and config.getvalue("loadgroup"):
        _name_xdist_groups(items)
    items.sort(key=lambda item: item.get_closest_marker("xdist_group") is None)


def _name_xdist_groups(items: list[pytest.Item]) -> None:
    """What pytest-xdist 3.8 means to do for ``--dist loadgroup``: a test's id ends in
    ``@<group>``, by which the scheduler keeps a group on one worker. Its own hook sets
    ``item._nodeid``, which pytest 9 no longer reads (an item's id is ``item._id``), so every
    group was spread over the workers: a module's `dg dev` started on each of them, and a test
    could run on a server that the module's earlier tests had never prepared."""
    from _pytest.nodeid import coerce_node_id

    for item in items:
        names = {
            str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
            for mark in item.iter_markers("xdist_group")
        }
        suffix = "@" + "_".join(sorted(names))
        if names and not item.nodeid.endswith(suffix):
            item._id = coerce_node_id(item.nodeid + suffix)
