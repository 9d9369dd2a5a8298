"""A trained lead-score model as the warehouse keeps it, and what scoring does with it: the
conversion probability of each contact and the three drivers that raised it most. Scoring needs
numpy only (the coefficients are stored); scikit-learn is for training. No Dagster here.

Tables: ``scores.lead_score_models`` (one row per training, used or not, with its evaluation and
the approval decision) and ``scores.lead_score_model_weights`` (its features and coefficients).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from batch_platform.defs.signals.logic.lead_score_features import FeatureSettings
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import atomically, write_partition
from batch_platform.lib.warehouse_rows import typed_rows, warehouse_schema

load_sql = SqlFolder.of_domain(__file__)
# How many drivers a score's reasons name.
REASONS_PER_CONTACT = 3


@dataclass
class LeadScoreModel:
    """One training: its evaluation and decision, and (when fitted) what scoring needs."""

    model_version: str
    trained_at: dt.datetime
    trained_as_of: dt.date
    approved: bool
    decision: str
    settings: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)
    algorithm: str | None = None
    intercept: float | None = None
    features: list[str] = field(default_factory=list)
    drivers: list[str] = field(default_factory=list)
    coefficients: np.ndarray = field(default_factory=lambda: np.zeros(0))
    means: np.ndarray = field(default_factory=lambda: np.zeros(0))
    scales: np.ndarray = field(default_factory=lambda: np.ones(0))

    @property
    def fitted(self) -> bool:
        return self.algorithm is not None

    @property
    def feature_settings(self) -> FeatureSettings:
        return FeatureSettings(**self.settings["features"])

    @property
    def event_types(self) -> list[str]:
        return list(self.settings["event_types"])

    def contributions(self, values: np.ndarray) -> np.ndarray:
        """Each feature's part of each example's log-odds, against the average training example."""
        return (values - self.means) / self.scales * self.coefficients

    def probabilities(self, values: np.ndarray) -> np.ndarray:
        log_odds = self.intercept + self.contributions(values).sum(axis=1)
        return 1.0 / (1.0 + np.exp(-log_odds))

    def driver_weights(self) -> dict[str, float]:
        """Log-odds per unit of each driver's features taken together (for an event type: per
        unit of log(1 + recent events of that type)); the learned order of event types."""
        weights: dict[str, float] = {}
        for driver, coefficient, scale in zip(
            self.drivers, self.coefficients, self.scales, strict=True
        ):
            weights[driver] = weights.get(driver, 0.0) + float(coefficient / scale)
        return weights

    def reasons(self, values: np.ndarray) -> list[str]:
        """Per example, JSON of the drivers that raised its log-odds most (at most three, each
        with its contribution), highest first; drivers that lowered it are not reasons."""
        by_driver, names = self._driver_contributions(values)
        order = np.argsort(-by_driver, axis=1, kind="stable")[:, :REASONS_PER_CONTACT]
        top = np.take_along_axis(by_driver, order, axis=1)
        reasons = []
        for columns, amounts in zip(order, top, strict=True):
            reasons.append(
                json.dumps(
                    [
                        {"contribution": round(float(amount), 3), "feature": names[column]}
                        for column, amount in zip(columns, amounts, strict=True)
                        if amount > 0
                    ]
                )
            )
        return reasons

    def _driver_contributions(self, values: np.ndarray) -> tuple[np.ndarray, list[str]]:
        names = list(dict.fromkeys(self.drivers))
        membership = np.zeros((len(self.drivers), len(names)))
        for column, driver in enumerate(self.drivers):
            membership[column, names.index(driver)] = 1.0
        return self.contributions(values) @ membership, names


def model_row(model: LeadScoreModel) -> dict[str, Any]:
    """The model's ``scores.lead_score_models`` row."""
    metrics = dict(model.metrics)
    return {
        "model_version": model.model_version,
        "trained_at": model.trained_at,
        "trained_as_of": model.trained_as_of,
        "algorithm": model.algorithm,
        "approved": model.approved,
        "decision": model.decision,
        "intercept": model.intercept,
        "settings": json.dumps(model.settings),
        "lift": json.dumps(metrics.pop("lift", None)),
        "calibration": json.dumps(metrics.pop("calibration", None)),
    } | metrics


def weight_rows(model: LeadScoreModel) -> list[dict[str, Any]]:
    return [
        {
            "model_version": model.model_version,
            "position": position,
            "feature": feature,
            "driver": driver,
            "coefficient": float(coefficient),
            "feature_mean": float(mean),
            "feature_scale": float(scale),
        }
        for position, (feature, driver, coefficient, mean, scale) in enumerate(
            zip(
                model.features, model.drivers, model.coefficients, model.means, model.scales,
                strict=True,
            )
        )
    ]  # fmt: skip


def save_model(con: duckdb.DuckDBPyConnection, model: LeadScoreModel) -> None:
    """Write the model's row and weights in one transaction (a re-run replaces them)."""
    key = {"model_version": model.model_version}

    def write() -> None:
        for table, rows in (
            ("scores.lead_score_models", [model_row(model)]),
            ("scores.lead_score_model_weights", weight_rows(model)),
        ):
            con.register("model_rows", typed_rows(rows, warehouse_schema(con, table)))
            try:
                write_partition(
                    con, table, key, load_sql("select_staged_model_rows"), in_transaction=True
                )
            finally:
                con.unregister("model_rows")

    atomically(con, write)


def approved_model(con: duckdb.DuckDBPyConnection, day: dt.date) -> LeadScoreModel | None:
    """The latest approved model trained on history up to ``day`` at the latest, or None."""
    row = con.execute(load_sql("select_approved_lead_score_model"), {"day": day}).fetchone()
    if row is None:
        return None
    version, trained_at, trained_as_of, algorithm, intercept, decision, settings = row
    weights = con.execute(
        "SELECT feature, driver, coefficient, feature_mean, feature_scale "
        "FROM scores.lead_score_model_weights WHERE model_version = $version ORDER BY position",
        {"version": version},
    ).fetchall()
    return LeadScoreModel(
        model_version=version,
        trained_at=trained_at,
        trained_as_of=trained_as_of,
        approved=True,
        decision=decision,
        settings=json.loads(settings),
        algorithm=algorithm,
        intercept=intercept,
        features=[w[0] for w in weights],
        drivers=[w[1] for w in weights],
        coefficients=np.array([w[2] for w in weights], dtype=float),
        means=np.array([w[3] for w in weights], dtype=float),
        scales=np.array([w[4] for w in weights], dtype=float),
    )


def model_scores_table(
    emails: list[str], probabilities: np.ndarray, reasons: list[str]
) -> pa.Table:
    """The staged ``model_lead_scores`` rows select_lead_scores.sql joins."""
    return pa.table(
        {
            "email": pa.array(emails, pa.string()),
            "conversion_probability": pa.array(probabilities.astype(float), pa.float64()),
            "score_reasons": pa.array(reasons, pa.string()),
        }
    )
