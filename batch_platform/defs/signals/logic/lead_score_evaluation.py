"""How a lead-score model is judged on the holdout: AUC, lift per decile, calibration, and the two
gates it must pass to be used (enough outcomes, a margin over the rules). No Dagster here."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

BINS = 10


@dataclass(frozen=True)
class Gate:
    passed: bool
    description: str


def auc(labels: np.ndarray, scores: np.ndarray) -> float:
    from sklearn.metrics import roc_auc_score

    return float(roc_auc_score(labels, scores))


def decile_lift(labels: np.ndarray, scores: np.ndarray) -> list[dict]:
    """Examples ranked by score, highest first, in ten equal parts: each part's conversion rate
    and its lift over the overall rate."""
    overall = labels.mean()
    order = np.argsort(-scores, kind="stable")
    parts = np.array_split(order, BINS)
    return [
        {
            "decile": number,
            "examples": len(part),
            "positives": int(labels[part].sum()),
            "rate": round(float(labels[part].mean()), 4),
            "lift": round(float(labels[part].mean() / overall), 3),
        }
        for number, part in enumerate(parts, start=1)
    ]


def calibration_bins(labels: np.ndarray, probabilities: np.ndarray) -> list[dict]:
    """Ten equal parts by predicted probability: the mean prediction against the observed rate."""
    parts = np.array_split(np.argsort(probabilities, kind="stable"), BINS)
    return [
        {
            "bin": number,
            "examples": len(part),
            "mean_predicted": round(float(probabilities[part].mean()), 4),
            "observed_rate": round(float(labels[part].mean()), 4),
        }
        for number, part in enumerate(parts, start=1)
        if len(part)
    ]


def calibration_error(bins: list[dict]) -> float:
    total = sum(b["examples"] for b in bins)
    return sum(b["examples"] * abs(b["mean_predicted"] - b["observed_rate"]) for b in bins) / total


def outcome_gate(
    train_positives: int, holdout_positives: int, min_positives: int, min_holdout_positives: int
) -> Gate:
    short = []
    if train_positives < min_positives:
        short.append(f"{train_positives} won in training (needs {min_positives})")
    if holdout_positives < min_holdout_positives:
        short.append(f"{holdout_positives} won in the holdout (needs {min_holdout_positives})")
    if short:
        return Gate(False, "too few outcomes: " + ", ".join(short) + "; the rules stay")
    return Gate(
        True, f"{train_positives} won in training, {holdout_positives} in the holdout: enough"
    )


def margin_gate(model_auc: float, rule_auc: float, margin: float) -> Gate:
    gain = model_auc - rule_auc
    text = (
        f"holdout AUC {model_auc:.3f} against the rules' {rule_auc:.3f} "
        f"({gain:+.3f}; needs +{margin:.3f})"
    )
    if gain >= margin:
        return Gate(True, f"{text}: beats the rules")
    return Gate(False, f"{text}: does not beat the rules, which stay")
