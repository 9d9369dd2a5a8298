"""Daily rollups of cleaned signals: web sessions and product usage per account."""

from collections.abc import Callable
from typing import Any

import dagster as dg

from batch_platform.defs.common.checks import KeyUniqueCheck, check_spec
from batch_platform.defs.common.metadata import table_metadata
from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.defs.signals.assets._common import CLEAN_SIGNALS, over_time, warehouse_table
from batch_platform.defs.signals.assets._windows import windows_of_run
from batch_platform.defs.signals.logic.daily_rollups import (
    build_daily_account_usage,
    build_web_sessions,
)
from batch_platform.defs.signals.logic.utc_window import Window
from batch_platform.defs.signals.partitions import daily_partitions
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import scalar

WEB_SESSIONS = dg.AssetKey(["clean", "clean_web_sessions"])
DAILY_USAGE = dg.AssetKey(["clean", "clean_daily_account_usage"])
ALL_FILES = dg.AssetDep(CLEAN_SIGNALS, partition_mapping=dg.AllPartitionMapping())
load_sql = SqlFolder.of_domain(__file__)
SESSION_ID_UNIQUE = KeyUniqueCheck(
    WEB_SESSIONS, "clean.web_sessions", ("session_id",), "One row per session.",
    name="session_id_unique",
)  # fmt: skip
DAILY_USAGE_KEY_UNIQUE = KeyUniqueCheck(
    DAILY_USAGE,
    "clean.daily_account_usage",
    ("usage_date", "account_domain"),
    "One row per (usage_date, account_domain).",
)


def build_days(
    context: dg.AssetExecutionContext,
    con,
    build: Callable[[Any, Window], int],
    table: str,
    date_column: str,
    unit: str,
) -> tuple[list[Window], dg.MaterializeResult]:
    """Build every day of the run with ``build`` (rows counted as ``unit`` in the log); return
    the run's windows and the table's metadata."""
    windows = windows_of_run(context, daily_partitions)
    total = sum(build(con, window) for window in windows)
    context.log.info(f"{total:,} {unit} over {len(windows)} day(s)")
    days = {"first": windows[0].day, "last": windows[-1].day}
    where = f"{date_column} BETWEEN $first AND $last"
    return windows, dg.MaterializeResult(metadata=table_metadata(con, table, where, days))


@dg.asset(
    key=WEB_SESSIONS,
    deps=[ALL_FILES],
    **over_time(daily_partitions),
    **warehouse_table("clean"),
    check_specs=[
        SESSION_ID_UNIQUE.spec(),
        check_spec(
            WEB_SESSIONS,
            "page_views_accounted",
            "Page views in sessions equal page views in clean.signals for the day.",
        ),
    ],
)
def web_sessions(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """Page views rolled into sessions that end after 30 minutes of inactivity. Key: session_id.

    Days are the partition's days in America/New_York; a session crossing midnight is split.
    """
    with duckdb.get_connection() as con:
        windows, result = build_days(
            context, con, build_web_sessions, "clean.web_sessions", "session_date", "sessions"
        )
        yield result
        yield SESSION_ID_UNIQUE.evaluate(con)
        mismatched = sum(
            int(
                scalar(
                    con,
                    load_sql("check_page_views_accounted"),
                    {"day": w.day, "start": w.start, "end": w.end},
                )
            )
            for w in windows
        )
        yield dg.AssetCheckResult(
            check_name="page_views_accounted",
            passed=mismatched == 0,
            description=f"{mismatched} page views missing from or extra in sessions",
            metadata={"failing_rows": mismatched},
        )


@dg.asset(
    key=DAILY_USAGE,
    deps=[ALL_FILES],
    **over_time(daily_partitions),
    **warehouse_table("clean"),
    check_specs=[DAILY_USAGE_KEY_UNIQUE.spec()],
)
def daily_account_usage(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """Product events per account per day. Key: (usage_date, account_domain)."""
    with duckdb.get_connection() as con:
        _, result = build_days(
            context,
            con,
            build_daily_account_usage,
            "clean.daily_account_usage",
            "usage_date",
            "account-days",
        )
        yield result
        yield DAILY_USAGE_KEY_UNIQUE.evaluate(con)
