"""Daily rollups of clean.signals: web sessions and product usage per account."""

from __future__ import annotations

import duckdb

from batch_platform.defs.signals.logic.utc_window import Window, write_window_partition
from batch_platform.lib.sql_files import SqlFolder

load_sql = SqlFolder.of_domain(__file__)


def build_web_sessions(con: duckdb.DuckDBPyConnection, window: Window) -> int:
    """Replace the day's sessions; returns how many there are."""
    return write_window_partition(
        con, "clean.web_sessions", "session_date", load_sql("select_web_sessions"), window
    )


def build_daily_account_usage(con: duckdb.DuckDBPyConnection, window: Window) -> int:
    """Replace the day's product usage per account; returns how many account-days there are."""
    return write_window_partition(
        con,
        "clean.daily_account_usage",
        "usage_date",
        load_sql("select_daily_account_usage"),
        window,
    )
