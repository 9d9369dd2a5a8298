"""Small PNG charts for reports, drawn with matplotlib's non-interactive backend."""

from __future__ import annotations

import base64
import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt


def bar_chart_png(title: str, labels: list[str], values: list[float], ylabel: str) -> bytes:
    figure, axes = plt.subplots(figsize=(6, 3), dpi=100)
    try:
        bars = axes.bar(labels, values, color="#4f43dd")
        axes.bar_label(bars, labels=[f"{v:,.0f}" for v in values], fontsize=8)
        axes.set_title(title, fontsize=11)
        axes.set_ylabel(ylabel)
        axes.spines[["top", "right"]].set_visible(False)
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        return buffer.getvalue()
    finally:
        plt.close(figure)


def markdown_image(png: bytes, alt: str) -> str:
    """Markdown that shows the PNG inline (the Dagster UI renders data URIs)."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})"
