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
from batch_platform.defs.reference.keys import EVENT_TYPES, FIT_TARGETS
from batch_platform.defs.signals.assets._common import (
    FIRMOGRAPHICS,
    LEAD_SCORE_MODELS,
    over_time,
    warehouse_table,
)
from batch_platform.defs.signals.assets._windows import windows_of_run
from batch_platform.defs.signals.assets.intent_signals import ALL_INTENT_FILES
from batch_platform.defs.signals.assets.rollups import ALL_FILES
from batch_platform.defs.signals.logic.lead_score_model import approved_model
from batch_platform.defs.signals.logic.scoring import (
    LeadScoringConfig,
    score_account_health,
    score_leads,
)
from batch_platform.defs.signals.logic.signal_reference import SignalReference, signal_reference
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
    "Scores are ≥ 0; tier and MQL flag agree; a model's score is its probability in percent.",
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
    """Lead scoring decay and thresholds; change them in the launchpad or run config. Points per
    event type and the fit targets come from the reference data (signals.event_types,
    target_industries, target_countries); what is set here overrides them for one run."""

    weights: dict[str, float] = Field(
        default_factory=dict,
        description="Points per event type for this run, over the reference data's",
    )
    half_life_days: float = Field(default=30.0, description="Days after which points halve")
    lookback_days: int = Field(default=90, description="Events older than this are ignored")
    mql_threshold: float = Field(default=50.0, description="Score at which a lead is an MQL")
    fit_industries: list[str] | None = Field(
        default=None,
        description="Industries worth 10 fit points (default: the reference data's)",
    )
    fit_countries: list[str] | None = Field(
        default=None, description="Countries worth 10 fit points (default: the reference data's)"
    )
    use_model: bool = Field(
        default=True,
        description="Score with the latest approved lead-score model trained up to the day, "
        "when there is one; false: the rules",
    )

    def scoring(self, reference: SignalReference) -> LeadScoringConfig:
        """The run's scoring: the reference data with this run's overrides."""
        return LeadScoringConfig(
            weights={**reference.weights, **self.weights},
            half_life_days=self.half_life_days,
            lookback_days=self.lookback_days,
            mql_threshold=self.mql_threshold,
            fit_industries=list(
                reference.target_industries if self.fit_industries is None else self.fit_industries
            ),
            fit_countries=list(
                reference.target_countries if self.fit_countries is None else self.fit_countries
            ),
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
    deps=[ALL_FILES, FIRMOGRAPHICS, EVENT_TYPES, FIT_TARGETS, LEAD_SCORE_MODELS],
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

    With an approved lead-score model trained up to the day (scores/scores_lead_score_models):
    score = 100 × the model's probability of a won deal within its horizon, reasons = the three
    drivers that raised it most. Otherwise (before outcomes exist, or no model beat the rules)
    the rules: score = max(0, behaviour + fit); behaviour: points per event × 0.5^(age /
    half-life) over the lookback; fit: employee band (5–20) + target industry (10) + target
    country (10); reasons = the event types (and fit) with the most points. rule_score is kept
    either way; score_model_version says which ('rules' or the model's version). Tier A ≥ 75,
    B ≥ MQL threshold, C ≥ 25, else D. previous_score is the day before's. Key: (as_of_date,
    email). Rescoring a day picks up every event for it that has arrived since.
    """
    reference = signal_reference()
    scoring = config.scoring(reference)
    windows = windows_of_run(context, daily_partitions)
    used: dict[str, str] = {}
    with duckdb.get_connection() as con:
        for window in windows:
            model = approved_model(con, window.day) if config.use_model else None
            rows = score_leads(con, window, scoring, model)
            used[window.day.isoformat()] = model.model_version if model else "rules"
            context.log.info(
                f"{window.day}: {rows:,} contacts scored by "
                + (f"model {model.model_version}" if model else "the rules")
            )
        days = {"first": windows[0].day, "last": windows[-1].day}
        where = "as_of_date BETWEEN $first AND $last"
        mqls = con.execute(
            f"SELECT count(*) FILTER (WHERE is_mql) FROM scores.lead_scores WHERE {where}", days
        ).fetchone()[0]
        models = sorted(set(used.values()))
        yield dg.MaterializeResult(
            metadata=table_metadata(con, "scores.lead_scores", where, days)
            | {
                "mqls": int(mqls),
                "reference_versions": reference.versions(),
                "score_model": ", ".join(models),
                "score_model_reason": _score_model_reason(models, config.use_model),
            }
        )
        yield LEAD_SCORES_KEY_UNIQUE.evaluate(con, days)
        yield LEAD_SCORES_EMAIL_SET.evaluate(con, days)
        yield LEAD_SCORES_VALID.evaluate(con, days | {"threshold": config.mql_threshold})
        yield _late_data_check(con, windows, LEAD_SCORES)


def _score_model_reason(models: list[str], use_model: bool) -> str:
    if not use_model:
        return "the rules: use_model is off for this run"
    if models == ["rules"]:
        return (
            "the rules: no approved lead-score model trained up to the day (none trained yet, "
            "too few outcomes, or none beat the rules; see scores/scores_lead_score_models)"
        )
    return "the latest approved lead-score model trained up to each day"


@dg.asset(
    key=ACCOUNT_HEALTH,
    deps=[ALL_FILES, ALL_INTENT_FILES],
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
    (website and email activity this week, log-scaled, plus up to 10 points for a provider's
    third-party intent score over the 28 days to the week's end), CRM activity (meetings and
    opportunities up, support tickets down, last 28 days) and recency (days since the last
    event). Bands:
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
