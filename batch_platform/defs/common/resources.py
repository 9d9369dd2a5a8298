"""Resources: the DuckDB warehouse and the landing area, configured from environment variables."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from batch_platform.lib.settings import LandingFolders, load_settings
from batch_platform.lib.staging import StagingArea
from batch_platform.lib.warehouse import LakeInvalidated, connect


def warehouse_pool(domain: str) -> str:
    """The pool a domain's warehouse writes queue on (dagster.yaml: one run at a time each).

    The lake lets any number of processes write; what conflicts is two runs replacing rows of
    the same tables, and a domain's runs are what share tables. Runs of different domains write
    in parallel, and a conflicting commit that slips through is retried whole (``atomically``).
    """
    return f"warehouse_{domain}"


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse: DuckLake, its catalog in SQLite locally and in Postgres in production.

    Unset fields come from the environment at run time: $BATCH_PLATFORM_WAREHOUSE (the lake's
    directory: ``catalog.sqlite`` and ``data/``, default ``data/warehouse``), and in production
    $BATCH_PLATFORM_DUCKLAKE_CATALOG (a libpq connection string; a secret, so it is read only
    from the environment and never shown in the UI) and $BATCH_PLATFORM_DUCKLAKE_DATA_PATH.
    DuckDB's memory limit and threads: $BATCH_PLATFORM_DUCKDB_MEMORY_LIMIT (default 3GB; DuckDB
    spills to disk beyond it) and $BATCH_PLATFORM_DUCKDB_THREADS (default: one per core).
    """

    database: str | None = None
    ducklake_data_path: str | None = None
    memory_limit: str | None = None
    threads: int | None = None

    @property
    def path(self) -> Path:
        return Path(self.database) if self.database else load_settings().warehouse

    def open(
        self, *, read_only: bool = False, snapshot: int | None = None
    ) -> duckdb.DuckDBPyConnection:
        settings = load_settings()
        return connect(
            self.path,
            postgres_catalog=settings.ducklake_catalog,
            data_path=self.ducklake_data_path or settings.ducklake_data_path,
            memory_limit=self.memory_limit or settings.duckdb_memory_limit,
            threads=self.threads or settings.duckdb_threads,
            read_only=read_only,
            snapshot=snapshot,
        )

    def staging(self, domain: str, partition_key: str) -> StagingArea:
        """Where a network-bound step of ``domain`` stages a partition's results as files
        (``<warehouse dir>/staging/<domain>/<partition>/``) for the write step to fold in."""
        return StagingArea(self.path / "staging", domain, partition_key)

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection for one step. Should DuckDB invalidate it inside a write (a rare
        DuckLake internal error, nothing committed), the step is retried on a fresh one."""
        con = self.open()
        try:
            yield con
        except LakeInvalidated as error:
            raise dg.RetryRequested(max_retries=2, seconds_to_wait=1.0) from error
        finally:
            try:
                con.close()
            except duckdb.Error:
                pass  # an invalidated connection: nothing left to release


class LandingResource(dg.ConfigurableResource, LandingFolders):
    """Where files land and reports go. Defaults to $BATCH_PLATFORM_LANDING_DIR / _REPORTS_DIR."""

    landing_dir: str | None = None
    reports_dir: str | None = None
    settle_seconds: float | None = None
    max_files_per_run: int | None = None

    @property
    def settle_after(self) -> float:
        """Seconds a file must stay unchanged before it counts as complete (without .done)."""
        if self.settle_seconds is not None:
            return self.settle_seconds
        return load_settings().settle_seconds

    @property
    def files_per_run(self) -> int:
        """Signal files that land together and are loaded by one run, at most."""
        return self.max_files_per_run or load_settings().max_files_per_run

    @property
    def reports_path(self) -> Path:
        return Path(self.reports_dir) if self.reports_dir else load_settings().reports_dir

    @property
    def landing_root(self) -> Path:
        return Path(self.landing_dir) if self.landing_dir else load_settings().landing_dir


@dg.definitions
def resources() -> dg.Definitions:
    return dg.Definitions(
        resources={"duckdb": WarehouseResource(), "landing": LandingResource()},
        executor=dg.in_process_executor,
    )
