"""The monthly intent report of the signals domain: accounts with rising research activity by
topic, from the page views in clean.signals and a provider's third-party intent in
clean.intent_signals."""

import datetime as dt
from zoneinfo import ZoneInfo

import dagster as dg
from pydantic import Field

from batch_platform.defs.common.checks import (
    KeyUniqueCheck,
    check_spec,
    count_check,
)
from batch_platform.defs.common.metadata import stored_asset, table_metadata
from batch_platform.defs.common.resources import LandingResource, WarehouseResource
from batch_platform.defs.signals.assets.intent_signals import ALL_INTENT_FILES
from batch_platform.defs.signals.assets.rollups import ALL_FILES
from batch_platform.defs.signals.partitions import intent_months
from batch_platform.lib.markdown import markdown_table
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import scalar, write_partition

MONTHLY_INTENT = dg.AssetKey(["reports", "reports_monthly_intent"])
load_sql = SqlFolder.of_domain(__file__)
INTENT_KEY_UNIQUE = KeyUniqueCheck(
    MONTHLY_INTENT,
    "reports.monthly_intent",
    ("month_start", "account_domain", "topic"),
    "One row per (month, account, topic).",
    where="month_start = $month_start",
)
TOP_ROWS = 25


class IntentSettings(dg.Config):
    """When an account's research on a topic counts as rising."""

    min_views: int = Field(default=3, ge=1, description="Page views in the month at least")
    min_intent_score: float = Field(
        default=60, ge=0, le=100, description="A provider's intent score (0-100) at least"
    )
    rise_factor: float = Field(default=1.5, ge=1, description="Times the previous month's views")


def intent_month_bounds_utc(month_start: dt.date, timezone: str) -> dict[str, dt.datetime]:
    """The month and the one before, as naive UTC instants (local midnights)."""
    zone = ZoneInfo(timezone)
    previous = (month_start - dt.timedelta(days=1)).replace(day=1)
    following = (month_start + dt.timedelta(days=32)).replace(day=1)

    def utc(day: dt.date) -> dt.datetime:
        local = dt.datetime.combine(day, dt.time(), tzinfo=zone)
        return local.astimezone(dt.UTC).replace(tzinfo=None)

    return {
        "previous_start": utc(previous),
        "start": utc(month_start),
        "end": utc(following),
        "previous_month_start": previous,
        "next_month_start": following,
    }


def intent_markdown(con, month: str) -> str:
    """The month's report: rising accounts per topic, then the account-topics that rose most."""
    rows = con.execute(
        load_sql("select_rising_intent"), {"month": month, "top": TOP_ROWS}
    ).fetchall()
    by_topic = con.execute(load_sql("select_rising_intent_by_topic"), {"month": month}).fetchall()
    lines = [f"# Rising research activity, month of {month}", ""]
    if not rows:
        return "\n".join([*lines, "No account's research activity rose this month.", ""])
    topics = markdown_table(
        ["topic", "accounts rising"],
        [(topic, f"{n:,}") for topic, n in by_topic],
        right_aligned=["accounts rising"],
    )
    movers = markdown_table(
        ["account", "topic", "views", "previous month", "contacts", "intent score",
         "previous score", "trend"],
        [
            (a, t, f"{v:,}", f"{p:,}", f"{c:,}", _score(score), _score(before), trend)
            for a, t, v, p, c, score, before, trend in rows
        ],
        right_aligned=["views", "previous month", "contacts", "intent score", "previous score"],
    )  # fmt: skip
    return "\n".join([*lines, topics, "", movers]) + "\n"


def _score(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


@dg.asset(
    key=MONTHLY_INTENT,
    deps=[ALL_FILES, ALL_INTENT_FILES],
    partitions_def=intent_months,
    **stored_asset("signals", "reports", kinds=("duckdb", "markdown")),
    check_specs=[
        INTENT_KEY_UNIQUE.spec(),
        check_spec(
            MONTHLY_INTENT,
            "trend_consistent",
            "Rising and new rows meet min_views or min_intent_score.",
        ),
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
    previous month, 'new' when there were none. From a provider's intent in clean.intent_signals
    (its own topics): the month's highest score against the month before's, the same rules with
    min_intent_score. Also written to <reports>/intent_report_<month>.md.
    Key: (month_start, account_domain, topic).
    """
    month = context.partition_key
    window = intent_months.time_window_for_partition_key(month)
    bounds = intent_month_bounds_utc(window.start.date(), intent_months.timezone)
    params = {"month_start": month, "min_views": config.min_views,
              "min_intent_score": config.min_intent_score, "rise_factor": config.rise_factor,
              **bounds}  # fmt: skip
    with duckdb.get_connection() as con:
        rows = write_partition(
            con,
            "reports.monthly_intent",
            {"month_start": month},
            load_sql("select_monthly_intent"),
            params,
        )
        trends = dict(con.execute(load_sql("select_intent_trends"), {"m": month}).fetchall())
        markdown = intent_markdown(con, month)
        path = landing.reports_path / f"intent_report_{month[:7]}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(markdown, encoding="utf-8")
        rising = trends.get("rising", 0) + trends.get("new", 0)
        context.log.info(f"{month[:7]}: {rows:,} account-topic rows, {rising:,} rising or new")
        accounts = scalar(con, load_sql("select_rising_intent_accounts"), {"m": month})
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
        yield INTENT_KEY_UNIQUE.evaluate(con, {"month_start": month})
        yield count_check(
            con,
            asset_key=MONTHLY_INTENT,
            check_name="trend_consistent",
            sql="SELECT count(*) FROM reports.monthly_intent WHERE month_start = $m "
            "AND trend IN ('rising', 'new') AND page_views < $min "
            "AND coalesce(intent_score, 0) < $min_score",
            params={"m": month, "min": config.min_views, "min_score": config.min_intent_score},
            what="rising rows under min_views and min_intent_score",
        )
