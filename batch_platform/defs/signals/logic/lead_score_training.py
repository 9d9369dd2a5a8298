"""Training the lead-score model from the history in clean.signals, evaluating it against the
rules on a later holdout, and deciding whether it may be used. No Dagster here.

The split is by time and never looks ahead. As of day T, the holdout is the latest scoring dates
whose outcomes are known (the ``holdout_days`` up to T − horizon); the model trains on scoring
dates whose outcomes were known by the first holdout date (up to that date − horizon), over
``train_days``. So the holdout measures a model that could have been trained on its first date.
Logistic regression (scikit-learn, L2-regularised) on standardised features; the deployed model
is the one evaluated. It is approved when it rests on enough outcomes and beats the rules'
holdout AUC by ``auc_margin``; otherwise the rules stay and the decision says why.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from dataclasses import asdict, dataclass, field

import duckdb
import numpy as np

from batch_platform.defs.signals.logic.lead_score_evaluation import (
    Gate,
    auc,
    calibration_bins,
    calibration_error,
    decile_lift,
    margin_gate,
    outcome_gate,
)
from batch_platform.defs.signals.logic.lead_score_features import (
    FeatureSettings,
    ScoringDate,
    candidate_event_types,
    day_end,
    example_columns,
    example_labels,
    feature_matrix,
    stage_training_examples,
)
from batch_platform.defs.signals.logic.lead_score_model import LeadScoreModel
from batch_platform.defs.signals.logic.scoring import (
    LeadScoringConfig,
    stage_rule_inputs,
    stage_rule_scores,
)

ALGORITHM = "logistic_regression"
# Fewer outcomes than this in training (either class) and nothing is fitted at all.
MIN_OUTCOMES_TO_FIT = 10


@dataclass(frozen=True)
class ModelTrainingSettings:
    """Outcome definition, split, fitting and the approval gates."""

    horizon_days: int = 90
    account_outcomes: bool = True
    interval_days: int = 7
    holdout_days: int = 28
    train_days: int = 364
    regularization: float = 1.0
    min_positives: int = 200
    min_holdout_positives: int = 30
    auc_margin: float = 0.02
    min_examples_per_event_type: int = 20
    features: FeatureSettings = field(default_factory=FeatureSettings)


@dataclass
class TrainingResult:
    model: LeadScoreModel
    gates: dict[str, Gate]  # enough_outcomes, beats_rules
    holdout_probabilities: np.ndarray = field(default_factory=lambda: np.zeros(0))
    holdout_labels: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    holdout_rule_scores: np.ndarray = field(default_factory=lambda: np.zeros(0))


def training_dates(
    as_of: dt.date, settings: ModelTrainingSettings, timezone: str
) -> list[ScoringDate]:
    """The scoring dates of a training as of ``as_of``, oldest first: train, then holdout."""
    step = dt.timedelta(days=settings.interval_days)
    last_holdout = as_of - dt.timedelta(days=settings.horizon_days)
    holdout_count = max(1, math.ceil(settings.holdout_days / settings.interval_days))
    holdout = [last_holdout - k * step for k in range(holdout_count)]
    last_train = holdout[-1] - dt.timedelta(days=settings.horizon_days)
    train_count = settings.train_days // settings.interval_days + 1
    train = [last_train - k * step for k in range(train_count)]
    return [ScoringDate(day, day_end(day, timezone), False) for day in reversed(train)] + [
        ScoringDate(day, day_end(day, timezone), True) for day in reversed(holdout)
    ]


def holdout_rule_scores(
    con: duckdb.DuckDBPyConnection,
    dates: list[ScoringDate],
    rows: int,
    rules: LeadScoringConfig,
) -> np.ndarray:
    """The rules' score of every staged example on a holdout date (0 elsewhere), computed by the
    rules' own SQL as of each date."""
    scores = np.zeros(rows)
    for date in dates:
        if not date.is_holdout:
            continue
        stage_rule_scores(con, date.end, rules)
        found = con.execute(
            "SELECT e.example_id, r.rule_score FROM model_examples AS e "
            "JOIN rule_lead_scores AS r USING (email) WHERE e.scoring_date = $day",
            {"day": date.day},
        ).fetchnumpy()
        scores[found["example_id"].astype(np.int64) - 1] = found["rule_score"].astype(float)
    return scores


def train_lead_score_model(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date,
    rules: LeadScoringConfig,
    settings: ModelTrainingSettings,
    timezone: str,
    now: dt.datetime,
) -> TrainingResult:
    """Train, evaluate and judge a model on the history up to the end of ``as_of``."""
    dates = training_dates(as_of, settings, timezone)
    stage_rule_inputs(con, rules)
    stage_training_examples(con, dates, settings.interval_days, settings.account_outcomes)
    examples = example_columns(con, "scoring_date, is_holdout")
    holdout = examples["is_holdout"].astype(bool)
    labels = example_labels(con, settings.horizon_days, settings.account_outcomes)
    candidates = candidate_event_types(rules.weights)
    matrix = feature_matrix(con, candidates, settings.features)
    supported = [
        event_type
        for position, event_type in enumerate(candidates)
        if np.count_nonzero(matrix.values[~holdout, 3 * position])
        >= settings.min_examples_per_event_type
    ]
    keep = [
        column
        for column, driver in enumerate(matrix.drivers)
        if driver in supported or driver not in candidates
    ]
    values = matrix.values[:, keep]
    features = [matrix.names[c] for c in keep]
    drivers = [matrix.drivers[c] for c in keep]
    y = labels.converted
    train_y, holdout_y = y[~holdout], y[holdout]
    stored = {
        "algorithm": ALGORITHM,
        "event_types": supported,
        "features": settings.features.as_dict(),
        "target_industries": list(rules.fit_industries),
        "target_countries": list(rules.fit_countries),
    } | {k: v for k, v in asdict(settings).items() if k != "features"}
    metrics = {
        "train_first_date": min((d.day for d in dates if not d.is_holdout), default=None),
        "train_last_date": max((d.day for d in dates if not d.is_holdout), default=None),
        "holdout_first_date": min((d.day for d in dates if d.is_holdout), default=None),
        "holdout_last_date": max((d.day for d in dates if d.is_holdout), default=None),
        "train_examples": int((~holdout).sum()),
        "train_positives": int(train_y.sum()),
        "holdout_examples": int(holdout.sum()),
        "holdout_positives": int(holdout_y.sum()),
        "holdout_deals_lost": int(labels.lost[holdout].sum()),
        "holdout_won_amount": float(labels.won_amount[holdout].sum()),
    }
    enough = outcome_gate(
        metrics["train_positives"],
        metrics["holdout_positives"],
        settings.min_positives,
        settings.min_holdout_positives,
    )
    fittable = min(
        train_y.sum(), (~train_y).sum()
    ) >= MIN_OUTCOMES_TO_FIT and 0 < holdout_y.sum() < len(holdout_y)
    if not fittable:
        reason = (
            f"not trained: {metrics['train_positives']} won deals among "
            f"{metrics['train_examples']} training examples and {metrics['holdout_positives']} "
            f"among {metrics['holdout_examples']} holdout examples; fitting needs "
            f"{MIN_OUTCOMES_TO_FIT} of each outcome in training and both in the holdout"
        )
        model = LeadScoreModel(
            model_version=_version(as_of, {"settings": stored, "metrics": metrics}),
            trained_at=now,
            trained_as_of=as_of,
            approved=False,
            decision=f"{reason}; the rules stay",
            settings=stored,
            metrics=metrics,
        )
        gates = {"enough_outcomes": enough, "beats_rules": Gate(False, f"{reason}; the rules stay")}
        return TrainingResult(model, gates)

    means = values[~holdout].mean(axis=0)
    scales = values[~holdout].std(axis=0)
    scales[scales == 0] = 1.0
    coefficients, intercept = _fit((values[~holdout] - means) / scales, train_y, settings)
    model = LeadScoreModel(
        model_version="",
        trained_at=now,
        trained_as_of=as_of,
        approved=False,
        decision="",
        settings=stored,
        algorithm=ALGORITHM,
        intercept=intercept,
        features=features,
        drivers=drivers,
        coefficients=coefficients,
        means=means,
        scales=scales,
    )
    probabilities = model.probabilities(values[holdout])
    rule_scores = holdout_rule_scores(con, dates, len(y), rules)[holdout]
    lift = decile_lift(holdout_y, probabilities)
    rule_lift = decile_lift(holdout_y, rule_scores)
    bins = calibration_bins(holdout_y, probabilities)
    metrics |= {
        "holdout_auc": round(auc(holdout_y, probabilities), 4),
        "rule_holdout_auc": round(auc(holdout_y, rule_scores), 4),
        "top_decile_lift": lift[0]["lift"],
        "rule_top_decile_lift": rule_lift[0]["lift"],
        "calibration_error": round(calibration_error(bins), 4),
        "lift": [m | {"rule_lift": r["lift"]} for m, r in zip(lift, rule_lift, strict=True)],
        "calibration": bins,
    }
    beats = margin_gate(metrics["holdout_auc"], metrics["rule_holdout_auc"], settings.auc_margin)
    model.metrics = metrics
    model.approved = enough.passed and beats.passed
    model.decision = (
        f"approved: {beats.description}; {enough.description}"
        if model.approved
        else "rejected: " + "; ".join(g.description for g in (enough, beats) if not g.passed)
    )
    model.model_version = _version(
        as_of,
        {
            "settings": stored,
            "features": features,
            "coefficients": [round(float(c), 6) for c in coefficients],
            "intercept": round(intercept, 6),
        },
    )
    return TrainingResult(
        model,
        {"enough_outcomes": enough, "beats_rules": beats},
        holdout_probabilities=probabilities,
        holdout_labels=holdout_y,
        holdout_rule_scores=rule_scores,
    )


def _fit(
    standardised: np.ndarray, labels: np.ndarray, settings: ModelTrainingSettings
) -> tuple[np.ndarray, float]:
    """Logistic regression's coefficients (per standard deviation) and intercept."""
    from sklearn.linear_model import LogisticRegression

    fitted = LogisticRegression(C=settings.regularization, max_iter=2000)
    fitted.fit(standardised, labels)
    return fitted.coef_[0].astype(float), float(fitted.intercept_[0])


def _version(as_of: dt.date, content: dict) -> str:
    """``<as_of>-<hash of what was trained>``: training the same history again gives the same
    version (and replaces its rows)."""
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode())
    return f"{as_of.isoformat()}-{digest.hexdigest()[:8]}"
