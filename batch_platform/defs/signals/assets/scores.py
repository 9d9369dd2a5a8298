"""Scores: nightly lead scores with time decay, weekly account health."""

import datetime as dt

import dagster as dg
from pydantic import Field

from batch_platform.defs.common.checks import (
    KeyUniqueCheck,
    RowCountCheck,
    check_spec,
)
from batch_platform.defs.common.metadata import table_metadata
from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.defs.signals.assets._common import FIRMOGRAPHICS, over_time, warehouse_table
from batch_platform.defs.signals.assets._windows import windows_of_run
from batch_platform.defs.signals.assets.rollups import ALL_FILES
from batch_platform.defs.signals.logic.lead_score_weights import DEFAULT_WEIGHTS
from batch_platform.defs.signals.logic.scoring import (
    LeadScoringConfig,
    score_account_health,
    score_leads,
)
from batch_platform.defs.signals.partitions import daily_partitions, weekly_partitions
from batch_platform.lib.sql_files import SqlFolder

LEAD_SCORES = dg.AssetKey(["scores", "scores_lead_scores"])
ACCOUNT_HEALTH = dg.AssetKey(["scores", "scores_account_health"])
load_sql = SqlFolder.of_domain(__file__)
LEAD_SCORES_KEY_UNIQUE = KeyUniqueCheck(
    LEAD_SCORES,
    "scores.lead_scores",
    ("as_of_date", "email"),
    "One row per (as_of_date, email).",
    where="as_of_date BETWEEN $first AND $last",
    blocking=True,
)
ACCOUNT_HEALTH_KEY_UNIQUE = KeyUniqueCheck(
    ACCOUNT_HEALTH,
    "scores.account_health",
    ("week_start", "account_domain"),
    "One row per (week_start, account).",
    where="week_start BETWEEN $first AND $last",
    blocking=True,
)
LEAD_SCORES_EMAIL_SET = RowCountCheck(
    LEAD_SCORES,
    "no_null_keys",
    "as_of_date and email are set.",
    load_sql("check_lead_scores_email_set"),
    "scores without an email",
    blocking=True,
)
LEAD_SCORES_VALID = RowCountCheck(
    LEAD_SCORES,
    "score_valid",
    "Scores are ≥ 0; tier and MQL flag agree.",
    load_sql("check_lead_scores_valid"),
    "scores out of range or with a wrong tier or MQL flag",
)
ACCOUNT_HEALTH_IN_RANGE = RowCountCheck(
    ACCOUNT_HEALTH,
    "components_in_range",
    "Each component 0–25, total 0–100.",
    load_sql("check_account_health_in_range"),
    "accounts with a component out of range",
)


class LeadScoringSettings(dg.Config):
    """Lead scoring weights and decay; change them in the launchpad or run config."""

    weights: dict[str, float] = Field(default=DEFAULT_WEIGHTS, description="Points per event type")
    half_life_days: float = Field(default=30.0, description="Days after which points halve")
    lookback_days: int = Field(default=90, description="Events older than this are ignored")
    mql_threshold: float = Field(default=50.0, description="Score at which a lead is an MQL")
    fit_industries: list[str] = Field(
        default=["software", "financial services", "healthcare"],
        description="Industries worth 10 fit points",
    )
    fit_countries: list[str] = Field(
        default=["US", "GB", "CA", "DE"], description="Countries worth 10 fit points"
    )


def _late_data_check(con, windows, asset_key: dg.AssetKey) -> dg.AssetCheckResult:
    """Warn when the newest event before the window's end is more than 48 hours old."""
    end = min(windows[-1].end, dt.datetime.now(dt.UTC).replace(tzinfo=None))
    newest = con.execute(
        "SELECT max(occurred_at) FROM clean.signals WHERE occurred_at < $end", {"end": end}
    ).fetchone()[0]
    delay = (end - newest) if newest else None
    late = delay is None or delay > dt.timedelta(hours=48)
    hours = round(delay.total_seconds() / 3600, 1) if delay else None
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name="data_not_late",
        passed=not late,
        severity=dg.AssetCheckSeverity.WARN,
        description=(
            f"data is late: the newest event is {hours} hours before the end of the period"
            if late
            else f"newest event {hours} hours before the end of the period"
        ),
        metadata={"newest_event_at": str(newest), "delay_hours": hours},
    )


@dg.asset(
    key=LEAD_SCORES,
    deps=[ALL_FILES, FIRMOGRAPHICS],
    **over_time(daily_partitions),
    **warehouse_table("scores"),
    freshness_policy=dg.FreshnessPolicy.time_window(
        fail_window=dt.timedelta(hours=30), warn_window=dt.timedelta(hours=26)
    ),
    check_specs=[
        LEAD_SCORES_KEY_UNIQUE.spec(),
        LEAD_SCORES_EMAIL_SET.spec(),
        LEAD_SCORES_VALID.spec(),
        check_spec(LEAD_SCORES, "data_not_late", "Warns when the newest event is > 48 h old."),
    ],
)
def lead_scores(
    context: dg.AssetExecutionContext, duckdb: WarehouseResource, config: LeadScoringSettings
):
    """Lead score per contact as of the end of the day (America/New_York).

    score = max(0, behaviour + fit). Behaviour: points per event × 0.5^(age / half-life) over the
    lookback. Fit: employee band (5–20) + target industry (10) + target country (10). Tier A ≥ 75,
    B ≥ MQL threshold, C ≥ 25, else D. previous_score is the day before's. Key: (as_of_date, email).
    Rescoring a day picks up every event for it that has arrived since.
    """
    # The run config's fields are the scoring's parameters, one for one.
    scoring = LeadScoringConfig(**config.model_dump())
    windows = windows_of_run(context, daily_partitions)
    with duckdb.get_connection() as con:
        for window in windows:
            rows = score_leads(con, window, scoring)
            context.log.info(f"{window.day}: {rows:,} contacts scored")
        days = {"first": windows[0].day, "last": windows[-1].day}
        where = "as_of_date BETWEEN $first AND $last"
        mqls = con.execute(
            f"SELECT count(*) FILTER (WHERE is_mql) FROM scores.lead_scores WHERE {where}", days
        ).fetchone()[0]
        yield dg.MaterializeResult(
            metadata=table_metadata(con, "scores.lead_scores", where, days) | {"mqls": int(mqls)}
        )
        yield LEAD_SCORES_KEY_UNIQUE.evaluate(con, days)
        yield LEAD_SCORES_EMAIL_SET.evaluate(con, days)
        yield LEAD_SCORES_VALID.evaluate(con, days | {"threshold": config.mql_threshold})
        yield _late_data_check(con, windows, LEAD_SCORES)


@dg.asset(
    key=ACCOUNT_HEALTH,
    deps=[ALL_FILES],
    **over_time(weekly_partitions),
    **warehouse_table("scores"),
    freshness_policy=dg.FreshnessPolicy.time_window(fail_window=dt.timedelta(days=8)),
    check_specs=[
        ACCOUNT_HEALTH_KEY_UNIQUE.spec(),
        ACCOUNT_HEALTH_IN_RANGE.spec(),
        check_spec(ACCOUNT_HEALTH, "data_not_late", "Warns when the newest event is > 48 h old."),
    ],
)
def account_health(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """Weekly health per account (weeks Monday–Sunday, America/New_York), 0–100 in four parts.

    usage trend (product events this week vs the prior four weeks' weekly mean), engagement
    (website and email activity this week, log-scaled), CRM activity (meetings and opportunities
    up, support tickets down, last 28 days) and recency (days since the last event). Bands:
    at_risk < 40 ≤ neutral < 70 ≤ healthy. Key: (week_start, account_domain).
    """
    windows = windows_of_run(context, weekly_partitions)
    with duckdb.get_connection() as con:
        for window in windows:
            rows = score_account_health(con, window)
            context.log.info(f"week of {window.day}: {rows:,} accounts")
        weeks = {"first": windows[0].day, "last": windows[-1].day}
        where = "week_start BETWEEN $first AND $last"
        bands = dict(
            con.execute(
                f"SELECT band, count(*) FROM scores.account_health WHERE {where} GROUP BY 1", weeks
            ).fetchall()
        )
        yield dg.MaterializeResult(
            metadata=table_metadata(con, "scores.account_health", where, weeks)
            | {f"band_{band}": int(n) for band, n in bands.items()}
        )
        yield ACCOUNT_HEALTH_KEY_UNIQUE.evaluate(con, weeks)
        yield ACCOUNT_HEALTH_IN_RANGE.evaluate(con, weeks)
        yield _late_data_check(con, windows, ACCOUNT_HEALTH)
