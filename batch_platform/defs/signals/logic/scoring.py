"""Scores of the signals domain: nightly lead scores (the rules with time decay, or the approved
lead-score model), weekly account health."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import numpy as np
import pyarrow as pa

from batch_platform.defs.signals.logic.lead_score_features import (
    example_columns,
    feature_matrix,
    stage_scoring_examples,
)
from batch_platform.defs.signals.logic.lead_score_model import LeadScoreModel, model_scores_table
from batch_platform.defs.signals.logic.utc_window import Window, write_window_partition
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import stage_rows, write_partition

load_sql = SqlFolder.of_domain(__file__)


@dataclass(frozen=True)
class LeadScoringConfig:
    weights: dict[str, float]
    half_life_days: float
    lookback_days: int
    mql_threshold: float
    fit_industries: list[str]
    fit_countries: list[str]


def stage_rule_inputs(con: duckdb.DuckDBPyConnection, config: LeadScoringConfig) -> None:
    """The temp tables the rules' SQL joins: points per event type, target industries and
    countries (the lead-score model's fit features read the last two too)."""
    stage_rows(
        con,
        "score_weights",
        {"event_type": list(config.weights), "points": [float(v) for v in config.weights.values()]},
    )
    stage_fit_targets(con, config.fit_industries, config.fit_countries)


def stage_fit_targets(
    con: duckdb.DuckDBPyConnection, industries: list[str], countries: list[str]
) -> None:
    """Temp tables fit_industries and fit_countries: the targets fit is measured against."""
    industries = [i.lower() for i in industries]
    countries = [c.upper() for c in countries]
    stage_rows(con, "fit_industries", {"industry": pa.array(industries, pa.string())})
    stage_rows(con, "fit_countries", {"country": pa.array(countries, pa.string())})


def stage_rule_scores(
    con: duckdb.DuckDBPyConnection, end: dt.datetime, config: LeadScoringConfig
) -> None:
    """Temp table ``rule_lead_scores``: the rules' score of every contact with an event in the
    lookback before ``end``. Needs :func:`stage_rule_inputs`."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rule_lead_scores AS " + load_sql("select_rule_lead_scores"),
        {
            "as_of_end": end,
            "lookback_days": config.lookback_days,
            "half_life_days": config.half_life_days,
        },
    )


def stage_model_scores(
    con: duckdb.DuckDBPyConnection, window: Window, model: LeadScoreModel | None
) -> int:
    """Temp table ``model_lead_scores``: the model's probability and reasons for every contact
    the rules scored (none without a model); returns how many it scored."""
    emails: list[str] = []
    probabilities = np.zeros(0)
    reasons: list[str] = []
    if model is not None:
        stage_scoring_examples(con, window.day, window.end)
        targets = model.settings
        stage_fit_targets(con, targets["target_industries"], targets["target_countries"])
        emails = example_columns(con, "email")["email"].tolist()
        values = feature_matrix(con, model.event_types, model.feature_settings).values
        probabilities = model.probabilities(values)
        reasons = model.reasons(values)
    stage_rows(con, "model_lead_scores", model_scores_table(emails, probabilities, reasons))
    return len(emails)


def score_leads(
    con: duckdb.DuckDBPyConnection,
    window: Window,
    config: LeadScoringConfig,
    model: LeadScoreModel | None = None,
) -> int:
    """Replace the lead scores as of the window's day: the approved ``model``'s where given,
    else the rules'; returns how many contacts were scored."""
    stage_rule_inputs(con, config)
    stage_rule_scores(con, window.end, config)
    stage_model_scores(con, window, model)
    return write_partition(
        con,
        "scores.lead_scores",
        {"as_of_date": window.day},
        load_sql("select_lead_scores"),
        {
            "as_of_date": window.day,
            "previous_date": window.day - dt.timedelta(days=1),
            "mql_threshold": config.mql_threshold,
            "model_version": model.model_version if model else None,
        },
    )


def score_account_health(con: duckdb.DuckDBPyConnection, window: Window) -> int:
    """Replace the account health of the week starting on the window's day."""
    return write_window_partition(
        con, "scores.account_health", "week_start", load_sql("select_account_health"), window
    )
