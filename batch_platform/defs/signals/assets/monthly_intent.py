"""The monthly intent report: accounts with rising research activity by topic."""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
from pydantic import Field

from batch_platform.defs.common.checks import check_spec, count_check
from batch_platform.defs.common.metadata import table_metadata
from batch_platform.defs.common.resources import WAREHOUSE_POOL, LandingResource, WarehouseResource
from batch_platform.defs.signals.assets.rollups import ALL_FILES
from batch_platform.defs.signals.partitions import intent_months
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import atomically, replace_partition

MONTHLY_INTENT = dg.AssetKey(["reports", "reports_monthly_intent"])
load_sql = SqlFolder.of_domain(__file__)
TOP_ROWS = 25


class IntentSettings(dg.Config):
    """When an account's research on a topic counts as rising."""

    min_views: int = Field(default=3, ge=1, description="Page views in the month at least")
    rise_factor: float = Field(default=1.5, ge=1, description="Times the previous month's views")


def month_bounds(month_start: dt.date, timezone: str) -> dict[str, dt.datetime]:
    """The month and the one before, as naive UTC instants (local midnights)."""
    zone = ZoneInfo(timezone)
    previous = (month_start - dt.timedelta(days=1)).replace(day=1)
    following = (month_start + dt.timedelta(days=32)).replace(day=1)

    def utc(day: dt.date) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time(), tzinfo=zone)
        return local.astimezone(dt.UTC).replace(tzinfo=None)

    return {"previous_start": utc(previous), "start": utc(month_start), "end": utc(following)}


def intent_markdown(con, month: str) -> str:
    rows = con.execute(
        "SELECT account_domain, topic, page_views, previous_page_views, contacts, trend "
        "FROM reports.monthly_intent WHERE month_start = $month AND trend IN ('rising', 'new') "
        "ORDER BY page_views - previous_page_views DESC, account_domain, topic LIMIT $top",
        {"month": month, "top": TOP_ROWS},
    ).fetchall()
    by_topic = con.execute(
        "SELECT topic, count(*) FROM reports.monthly_intent "
        "WHERE month_start = $month AND trend IN ('rising', 'new') "
        "GROUP BY topic ORDER BY 2 DESC, 1",
        {"month": month},
    ).fetchall()
    lines = [f"# Rising research activity, month of {month}", ""]
    if not rows:
        return "\n".join([*lines, "No account's research activity rose this month.", ""])
    lines += ["| topic | accounts rising |", "|---|---:|"]
    lines += [f"| {topic} | {n:,} |" for topic, n in by_topic]
    lines += ["", "| account | topic | views | previous month | contacts | trend |",
              "|---|---|---:|---:|---:|---|"]  # fmt: skip
    lines += [f"| {a} | {t} | {v:,} | {p:,} | {c:,} | {trend} |" for a, t, v, p, c, trend in rows]
    return "\n".join(lines) + "\n"


@dg.asset(
    key=MONTHLY_INTENT,
    deps=[ALL_FILES],
    partitions_def=intent_months,
    group_name="delivery",
    kinds={"duckdb", "markdown"},
    owners=["team:data-platform"],
    tags={"layer": "reports"},
    pool=WAREHOUSE_POOL,
    check_specs=[
        check_spec(MONTHLY_INTENT, "key_unique", "One row per (month, account, topic)."),
        check_spec(MONTHLY_INTENT, "trend_consistent", "Rising and new rows meet min_views."),
    ],
)
def monthly_intent(
    context: dg.AssetExecutionContext,
    duckdb: WarehouseResource,
    landing: LandingResource,
    config: IntentSettings,
):
    """Accounts with rising research activity by topic, per month (America/New_York).

    From page views in clean.signals (the viewed path's first segment is the topic, e.g.
    pricing, docs, integrations, blog/<post>): views and contacts per account and topic this
    month against the month before; 'rising' at min_views or more and rise_factor times the
    previous month, 'new' when there were none. Also written to <reports>/intent_report_<month>.md.
    Key: (month_start, account_domain, topic).
    """
    month = context.partition_key
    window = intent_months.time_window_for_partition_key(month)
    bounds = month_bounds(window.start.date(), intent_months.timezone)
    params = {"month_start": month, "min_views": config.min_views,
              "rise_factor": config.rise_factor, **bounds}  # fmt: skip
    with duckdb.get_connection() as con:
        rows = atomically(
            con,
            lambda: replace_partition(
                con,
                "reports.monthly_intent",
                {"month_start": month},
                load_sql("select_monthly_intent"),
                params,
            ),
        )
        trends = dict(
            con.execute(
                "SELECT trend, count(*) FROM reports.monthly_intent WHERE month_start = $m "
                "GROUP BY 1",
                {"m": month},
            ).fetchall()
        )
        markdown = intent_markdown(con, month)
        path = landing.reports_path / f"intent_report_{month[:7]}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(markdown, encoding="utf-8")
        rising = trends.get("rising", 0) + trends.get("new", 0)
        context.log.info(f"{month[:7]}: {rows:,} account-topic rows, {rising:,} rising or new")
        accounts = con.execute(
            "SELECT count(DISTINCT account_domain) FROM reports.monthly_intent "
            "WHERE month_start = $m AND trend IN ('rising', 'new')",
            {"m": month},
        ).fetchone()[0]
        where = "month_start = $m"
        yield dg.MaterializeResult(
            metadata=table_metadata(con, "reports.monthly_intent", where, {"m": month})
            | {f"trend_{k}": int(v) for k, v in trends.items()}
            | {
                "summary": dg.MetadataValue.text(
                    f"{month[:7]}: {accounts:,} accounts with rising research on "
                    f"{rising:,} account-topics"
                ),
                "report": dg.MetadataValue.md(markdown),
                "path": dg.MetadataValue.path(str(path)),
            }
        )
        yield count_check(
            con,
            asset_key=MONTHLY_INTENT,
            check_name="key_unique",
            sql="SELECT count(*) FROM (SELECT 1 FROM reports.monthly_intent WHERE month_start = $m "
            "GROUP BY account_domain, topic HAVING count(*) > 1)",
            params={"m": month},
            what="repeated (account, topic) rows",
        )
        yield count_check(
            con,
            asset_key=MONTHLY_INTENT,
            check_name="trend_consistent",
            sql="SELECT count(*) FROM reports.monthly_intent WHERE month_start = $m "
            "AND trend IN ('rising', 'new') AND page_views < $min",
            params={"m": month, "min": config.min_views},
            what="rising rows under min_views",
        )
