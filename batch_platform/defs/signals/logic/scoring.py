"""Scores of the signals domain: nightly lead scores with time decay, weekly account health."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb

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


def score_leads(con: duckdb.DuckDBPyConnection, window: Window, config: LeadScoringConfig) -> int:
    """Replace the lead scores as of the window's day; returns how many contacts were scored."""
    stage_rows(
        con,
        "score_weights",
        {"event_type": list(config.weights), "points": [float(v) for v in config.weights.values()]},
    )
    stage_rows(con, "fit_industries", {"industry": [i.lower() for i in config.fit_industries]})
    stage_rows(con, "fit_countries", {"country": [c.upper() for c in config.fit_countries]})
    return write_partition(
        con,
        "scores.lead_scores",
        {"as_of_date": window.day},
        load_sql("select_lead_scores"),
        {
            "as_of_date": window.day,
            "as_of_end": window.end,
            "previous_date": window.day - dt.timedelta(days=1),
            "lookback_days": config.lookback_days,
            "half_life_days": config.half_life_days,
            "mql_threshold": config.mql_threshold,
        },
    )


def score_account_health(con: duckdb.DuckDBPyConnection, window: Window) -> int:
    """Replace the account health of the week starting on the window's day."""
    return write_window_partition(
        con, "scores.account_health", "week_start", load_sql("select_account_health"), window
    )
