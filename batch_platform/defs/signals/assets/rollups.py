"""Daily rollups of cleaned signals: web sessions and product usage per account."""

import dagster as dg

from batch_platform.defs.common.checks import check_spec, count_check
from batch_platform.defs.common.metadata import table_metadata
from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.defs.signals.assets._common import over_time, warehouse_table
from batch_platform.defs.signals.assets._windows import windows_of_run
from batch_platform.defs.signals.assets.ingest import CLEAN_SIGNALS
from batch_platform.defs.signals.logic.transforms import (
    build_daily_account_usage,
    build_web_sessions,
)
from batch_platform.defs.signals.partitions import daily_partitions

WEB_SESSIONS = dg.AssetKey(["clean", "clean_web_sessions"])
DAILY_USAGE = dg.AssetKey(["clean", "clean_daily_account_usage"])
ALL_FILES = dg.AssetDep(CLEAN_SIGNALS, partition_mapping=dg.AllPartitionMapping())


@dg.asset(
    key=WEB_SESSIONS,
    deps=[ALL_FILES],
    **over_time(daily_partitions),
    **warehouse_table("clean"),
    check_specs=[
        check_spec(WEB_SESSIONS, "session_id_unique", "One row per session."),
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
    windows = windows_of_run(context, daily_partitions)
    with duckdb.get_connection() as con:
        total = sum(build_web_sessions(con, w) for w in windows)
        context.log.info(f"{total:,} sessions over {len(windows)} day(s)")
        days = {"first": windows[0].day, "last": windows[-1].day}
        where = "session_date BETWEEN $first AND $last"
        yield dg.MaterializeResult(metadata=table_metadata(con, "clean.web_sessions", where, days))
        yield count_check(
            con,
            asset_key=WEB_SESSIONS,
            check_name="session_id_unique",
            sql="SELECT count(*) - count(DISTINCT session_id) FROM clean.web_sessions",
            what="repeated session ids",
        )
        mismatched = 0
        for w in windows:
            mismatched += int(
                con.execute(
                    "SELECT abs((SELECT coalesce(sum(page_views), 0) FROM clean.web_sessions "
                    "WHERE session_date = $day) - (SELECT count(*) FROM clean.signals "
                    "WHERE source = 'website' AND event_type IN ('page_view', 'pricing_page_view') "
                    "AND occurred_at >= $start AND occurred_at < $end))",
                    {"day": w.day, "start": w.start, "end": w.end},
                ).fetchone()[0]
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
    check_specs=[
        check_spec(DAILY_USAGE, "key_unique", "One row per (usage_date, account_domain)."),
    ],
)
def daily_account_usage(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """Product events per account per day. Key: (usage_date, account_domain)."""
    windows = windows_of_run(context, daily_partitions)
    with duckdb.get_connection() as con:
        total = sum(build_daily_account_usage(con, w) for w in windows)
        context.log.info(f"{total:,} account-days over {len(windows)} day(s)")
        days = {"first": windows[0].day, "last": windows[-1].day}
        where = "usage_date BETWEEN $first AND $last"
        yield dg.MaterializeResult(
            metadata=table_metadata(con, "clean.daily_account_usage", where, days)
        )
        yield count_check(
            con,
            asset_key=DAILY_USAGE,
            check_name="key_unique",
            sql="SELECT count(*) FROM (SELECT 1 FROM clean.daily_account_usage "
            "GROUP BY usage_date, account_domain HAVING count(*) > 1)",
            what="repeated (usage_date, account_domain) keys",
        )
