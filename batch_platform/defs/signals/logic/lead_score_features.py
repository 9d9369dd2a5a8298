"""The lead-score model's examples, features and labels, aggregated by DuckDB over clean.signals.

An example is a contact on a scoring date (as of the end of that day). Its features see only the
events before that moment, never an outcome: per event type the decayed count over the lookback
and the counts in a short and a long recent window; fit from firmographics; the breadth of its
account's buying committee. Its label is whether a deal was won in the horizon after the date.
SQL aggregates (millions of events become one row per example and event type); numpy lays the
result out as the per-example matrix the model fits on. No Dagster here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from zoneinfo import ZoneInfo

import duckdb
import numpy as np

from batch_platform.defs.signals.logic.signal_reference import UNMAPPED
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import stage_rows

load_sql = SqlFolder.of_domain(__file__)

# CRM outcomes: what the model learns to predict, so never one of its features.
DEAL_WON = "deal_won"
DEAL_LOST = "deal_lost"
OUTCOME_EVENT_TYPES = (DEAL_WON, DEAL_LOST)
# Fit and buying-committee features, each its own driver (the name reasons give).
CONTEXT_FEATURES = (
    "fit_employees",
    "fit_known_company",
    "fit_target_industry",
    "fit_target_country",
    "fit_business_email",
    "buying_committee",
)
EXAMPLES_TABLE = "model_examples"


@dataclass(frozen=True)
class FeatureSettings:
    """How features are measured; stored with each model, which is scored the same way."""

    lookback_days: int = 90
    half_life_days: float = 30.0
    short_window_days: int = 7
    long_window_days: int = 30

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class ScoringDate:
    day: dt.date
    end: dt.datetime  # the end of the day in the business's time zone, as naive UTC
    is_holdout: bool


@dataclass(frozen=True)
class FeatureMatrix:
    """One row per example (in example_id order), one column per feature."""

    values: np.ndarray
    names: list[str]
    drivers: list[str]

    @property
    def examples(self) -> int:
        return self.values.shape[0]


@dataclass(frozen=True)
class Labels:
    converted: np.ndarray  # bool per example
    won_amount: np.ndarray
    lost: np.ndarray


def day_end(day: dt.date, timezone: str) -> dt.datetime:
    """Midnight after ``day`` in ``timezone``, as naive UTC (how clean.signals stores time)."""
    local = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZoneInfo(timezone))
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def candidate_event_types(weights: Sequence[str]) -> list[str]:
    """The event types a model may learn from: every canonical type but outcomes and unmapped."""
    return sorted(t for t in weights if t not in OUTCOME_EVENT_TYPES and t != UNMAPPED)


def event_feature_names(event_type: str, settings: FeatureSettings) -> list[str]:
    return [
        f"{event_type}_decayed",
        f"{event_type}_last_{settings.short_window_days}d",
        f"{event_type}_last_{settings.long_window_days}d",
    ]


def stage_training_examples(
    con: duckdb.DuckDBPyConnection,
    dates: Sequence[ScoringDate],
    interval_days: int,
    account_outcomes: bool,
) -> None:
    """Temp table ``model_examples``: the contacts active in the interval before each date."""
    stage_rows(
        con,
        "scoring_dates",
        {
            "scoring_date": [d.day for d in dates],
            "scoring_end": [d.end for d in dates],
            "is_holdout": [d.is_holdout for d in dates],
        },
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {EXAMPLES_TABLE} AS "
        + load_sql("select_lead_score_training_examples"),
        {
            "interval_days": interval_days,
            "account_outcomes": account_outcomes,
            "won_type": DEAL_WON,
            "outcome_types": list(OUTCOME_EVENT_TYPES),
        },
    )


def stage_scoring_examples(con: duckdb.DuckDBPyConnection, day: dt.date, end: dt.datetime) -> None:
    """Temp table ``model_examples``: the contacts the rules scored on ``day``."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {EXAMPLES_TABLE} AS "
        + load_sql("select_lead_score_scoring_examples"),
        {"as_of_date": day, "as_of_end": end},
    )


def example_columns(con: duckdb.DuckDBPyConnection, columns: str) -> dict[str, np.ndarray]:
    """Columns of the staged examples, in example_id order."""
    return con.execute(f"SELECT {columns} FROM {EXAMPLES_TABLE} ORDER BY example_id").fetchnumpy()


def feature_matrix(
    con: duckdb.DuckDBPyConnection,
    event_types: Sequence[str],
    settings: FeatureSettings,
) -> FeatureMatrix:
    """The features of the staged examples; needs the temp tables fit_industries/fit_countries.

    Event features are log(1 + value), so that a contact with hundreds of page views does not
    outweigh everything else; three per event type of ``event_types``, then the context.
    """
    examples = int(con.execute(f"SELECT count(*) FROM {EXAMPLES_TABLE}").fetchone()[0])
    names: list[str] = []
    drivers: list[str] = []
    for event_type in event_types:
        names += event_feature_names(event_type, settings)
        drivers += [event_type] * 3
    names += CONTEXT_FEATURES
    drivers += CONTEXT_FEATURES
    values = np.zeros((examples, len(names)))
    if event_types:
        events = con.execute(
            load_sql("select_lead_score_event_features"),
            {"event_types": list(event_types)} | settings.as_dict(),
        ).fetchnumpy()
        rows = events["example_id"].astype(np.int64) - 1
        first_column = (events["type_position"].astype(np.int64) - 1) * 3
        for offset, column in enumerate(
            ("decayed_count", "short_window_count", "long_window_count")
        ):
            values[rows, first_column + offset] = np.log1p(events[column].astype(float))
    context = con.execute(
        load_sql("select_lead_score_example_context"),
        {
            "long_window_days": settings.long_window_days,
            "outcome_types": list(OUTCOME_EVENT_TYPES),
        },
    ).fetchnumpy()
    start = 3 * len(event_types)
    values[:, start] = np.log1p(context["employee_count"].astype(float))
    for offset, column in enumerate(
        ("known_company", "target_industry", "target_country", "business_email"), start=1
    ):
        values[:, start + offset] = context[column].astype(float)
    values[:, start + 5] = np.log1p(context["engaged_contacts"].astype(float))
    return FeatureMatrix(values=values, names=names, drivers=drivers)


def example_labels(
    con: duckdb.DuckDBPyConnection, horizon_days: int, account_outcomes: bool
) -> Labels:
    """Whether each staged example converted within the horizon after its date."""
    rows = con.execute(
        load_sql("select_lead_score_labels"),
        {
            "horizon_days": horizon_days,
            "account_outcomes": account_outcomes,
            "won_type": DEAL_WON,
            "lost_type": DEAL_LOST,
        },
    ).fetchnumpy()
    return Labels(
        converted=rows["converted"].astype(bool),
        won_amount=rows["won_amount"].astype(float),
        lost=rows["lost"].astype(bool),
    )
