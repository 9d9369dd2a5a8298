"""The lead-score model's evaluation as PNG charts: lift per decile against the rules, and
calibration. matplotlib's object API, imported when a chart is drawn (see lib/charts.py)."""

from __future__ import annotations

import io


def lift_chart_png(lift: list[dict]) -> bytes:
    """Bars per decile of the holdout ranked by score: the model's lift and the rules'."""
    from matplotlib.figure import Figure

    deciles = [row["decile"] for row in lift]
    figure = Figure(figsize=(6, 3), dpi=100)
    axes = figure.subplots()
    width = 0.4
    axes.bar([d - width / 2 for d in deciles], [r["lift"] for r in lift], width,
             label="model", color="#4f43dd")  # fmt: skip
    axes.bar([d + width / 2 for d in deciles], [r["rule_lift"] for r in lift], width,
             label="rules", color="#b0b0b0")  # fmt: skip
    axes.axhline(1.0, color="#555555", linewidth=0.8, linestyle="--")
    axes.set_xticks(deciles)
    axes.set_xlabel("decile of the holdout, highest score first")
    axes.set_ylabel("lift (conversion rate / overall)")
    axes.set_title("Lift per decile", fontsize=11)
    axes.legend(frameon=False, fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def calibration_chart_png(bins: list[dict]) -> bytes:
    """Mean predicted probability against the observed conversion rate, per tenth of the
    holdout by prediction; a calibrated model lies on the diagonal."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(4, 4), dpi=100)
    axes = figure.subplots()
    predicted = [b["mean_predicted"] for b in bins]
    observed = [b["observed_rate"] for b in bins]
    top = max([*predicted, *observed, 0.05]) * 1.1
    axes.plot([0, top], [0, top], color="#555555", linewidth=0.8, linestyle="--")
    axes.plot(predicted, observed, marker="o", color="#4f43dd")
    axes.set_xlim(0, top)
    axes.set_ylim(0, top)
    axes.set_xlabel("predicted probability")
    axes.set_ylabel("observed conversion rate")
    axes.set_title("Calibration on the holdout", fontsize=11)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def _png(figure) -> bytes:
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
