"""Resources: the DuckDB warehouse and the landing area, configured from environment variables."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from batch_platform.lib.settings import WAREHOUSE_MODES, LandingFolders, load_settings
from batch_platform.lib.warehouse import WarehouseError, connect, connect_lake

# Every asset and check that opens the DuckDB file runs in this pool; dagster.yaml limits it to 1.
WAREHOUSE_POOL = "duckdb_warehouse"


class WarehouseResource(dg.ConfigurableResource):
    """The warehouse: a DuckDB file (default) or DuckLake on a Postgres catalog.

    Unset fields come from the environment at run time: $BATCH_PLATFORM_WAREHOUSE_MODE
    (``file`` or ``ducklake``), $BATCH_PLATFORM_WAREHOUSE (the file), and for DuckLake
    $BATCH_PLATFORM_DUCKLAKE_CATALOG (a libpq connection string; a secret, so it is read only
    from the environment and never shown in the UI) and $BATCH_PLATFORM_DUCKLAKE_DATA_PATH.
    DuckDB's memory limit and threads: $BATCH_PLATFORM_DUCKDB_MEMORY_LIMIT (default 3GB; DuckDB
    spills to disk beyond it) and $BATCH_PLATFORM_DUCKDB_THREADS (default: one per core).
    """

    database: str | None = None
    mode: str | None = None
    ducklake_data_path: str | None = None
    memory_limit: str | None = None
    threads: int | None = None

    @property
    def path(self) -> Path:
        return Path(self.database) if self.database else load_settings().warehouse

    @property
    def resolved_mode(self) -> str:
        mode = (self.mode or load_settings().warehouse_mode).lower()
        if mode not in WAREHOUSE_MODES:
            raise WarehouseError(
                f"unknown warehouse mode {mode!r}: expected one of {', '.join(WAREHOUSE_MODES)}"
            )
        return mode

    def open(self) -> duckdb.DuckDBPyConnection:
        settings = load_settings()
        memory_limit = self.memory_limit or settings.duckdb_memory_limit
        threads = self.threads or settings.duckdb_threads
        if self.resolved_mode == "file":
            return connect(self.path, memory_limit=memory_limit, threads=threads)
        if not settings.ducklake_catalog:
            raise WarehouseError("DuckLake mode needs $BATCH_PLATFORM_DUCKLAKE_CATALOG")
        return connect_lake(
            settings.ducklake_catalog,
            self.ducklake_data_path or settings.ducklake_data_path,
            memory_limit=memory_limit,
            threads=threads,
        )

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = self.open()
        try:
            yield con
        finally:
            con.close()


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
