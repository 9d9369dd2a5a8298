"""Small PNG charts for reports, drawn with matplotlib's object API (no pyplot, no global
figure state). matplotlib is imported when a chart is drawn, not when the code location loads:
every run's process loads the whole code location, and matplotlib is a third of that."""

from __future__ import annotations

import base64
import io


def bar_chart_png(title: str, labels: list[str], values: list[float], ylabel: str) -> bytes:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6, 3), dpi=100)
    axes = figure.subplots()
    bars = axes.bar(labels, values, color="#4f43dd")
    axes.bar_label(bars, labels=[f"{v:,.0f}" for v in values], fontsize=8)
    axes.set_title(title, fontsize=11)
    axes.set_ylabel(ylabel)
    axes.spines[["top", "right"]].set_visible(False)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def markdown_image(png: bytes, alt: str) -> str:
    """Markdown that shows the PNG inline (the Dagster UI renders data URIs)."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})"
