"""Settings read from environment variables, with the documented defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_LANDING_DIR = "data/landing"
DEFAULT_WAREHOUSE = "data/warehouse"
DEFAULT_REPORTS_DIR = "data/reports"
DEFAULT_SETTLE_SECONDS = 10.0
# DuckDB spills to disk beyond this; keeps a 10-million-row run under 4 GiB of RSS.
DEFAULT_DUCKDB_MEMORY_LIMIT = "3GB"
# Signal files that land together are loaded by one run over their range of partitions.
DEFAULT_MAX_FILES_PER_RUN = 100
DEFAULT_UI_URL = "http://127.0.0.1:3000"


def _landing_folder(*parts: str) -> property:
    return property(lambda self: self.landing_root.joinpath(*parts))


class LandingFolders:
    """The landing area's layout, one folder per kind of input, below ``landing_root``."""

    @property
    def landing_root(self) -> Path:
        raise NotImplementedError

    signals_dir = _landing_folder("signals")
    firmographics_dir = _landing_folder("firmographics")
    # Third-party intent: an intent provider's exports (account domain, topic, score, date).
    intent_dir = _landing_folder("intent")
    portfolio_dir = _landing_folder("portfolio")
    portfolio_firm_records_dir = _landing_folder("portfolio", "firm_records")
    portfolio_office_dir = _landing_folder("portfolio", "office")
    # Content ingestion: URL lists (.txt, .csv), one batch each.
    url_batches_dir = _landing_folder("url_batches")


@dataclass(frozen=True)
class Settings(LandingFolders):
    landing_dir: Path
    warehouse: Path
    reports_dir: Path
    settle_seconds: float
    ducklake_catalog: str | None
    ducklake_data_path: str | None
    duckdb_memory_limit: str
    duckdb_threads: int | None
    max_files_per_run: int

    @property
    def landing_root(self) -> Path:
        return self.landing_dir


def load_settings(env: dict[str, str] | None = None) -> Settings:
    env = dict(os.environ) if env is None else env
    return Settings(
        landing_dir=Path(env.get("BATCH_PLATFORM_LANDING_DIR") or DEFAULT_LANDING_DIR),
        warehouse=Path(env.get("BATCH_PLATFORM_WAREHOUSE") or DEFAULT_WAREHOUSE),
        reports_dir=Path(env.get("BATCH_PLATFORM_REPORTS_DIR") or DEFAULT_REPORTS_DIR),
        settle_seconds=float(env.get("BATCH_PLATFORM_SETTLE_SECONDS") or DEFAULT_SETTLE_SECONDS),
        ducklake_catalog=env.get("BATCH_PLATFORM_DUCKLAKE_CATALOG") or None,
        ducklake_data_path=env.get("BATCH_PLATFORM_DUCKLAKE_DATA_PATH") or None,
        duckdb_memory_limit=env.get("BATCH_PLATFORM_DUCKDB_MEMORY_LIMIT")
        or DEFAULT_DUCKDB_MEMORY_LIMIT,
        duckdb_threads=_positive_int(env, "BATCH_PLATFORM_DUCKDB_THREADS"),
        max_files_per_run=_positive_int(env, "BATCH_PLATFORM_MAX_FILES_PER_RUN")
        or DEFAULT_MAX_FILES_PER_RUN,
    )


def _positive_int(env: dict[str, str], name: str) -> int | None:
    value = env.get(name)
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a positive integer, not {value!r}") from None
    if number < 1:
        raise ValueError(f"{name} must be a positive integer, not {value!r}")
    return number


def ui_url(env: dict[str, str] | None = None) -> str:
    """The Dagster UI's base URL ($BATCH_PLATFORM_UI_URL), for links in webhooks and reports."""
    env = dict(os.environ) if env is None else env
    return (env.get("BATCH_PLATFORM_UI_URL") or DEFAULT_UI_URL).rstrip("/")
