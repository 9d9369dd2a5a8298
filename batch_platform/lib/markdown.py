"""Markdown tables for reports and UI metadata: one escaping rule everywhere."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from typing import Any


def markdown_cell(value: Any, max_chars: int | None = None) -> str:
    """A value as one table cell: ``None`` is empty, line breaks become spaces, ``|`` is escaped.

    ``max_chars`` shortens long text (counted before escaping) and marks the cut with ``…``.
    """
    text = "" if value is None else " ".join(str(value).splitlines())
    if max_chars is not None and len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    return text.replace("|", "\\|")


def markdown_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    right_aligned: Collection[str] = (),
    max_chars: int | None = None,
) -> str:
    """A GitHub-flavoured Markdown table; columns named in ``right_aligned`` align right."""
    lines = [
        "| " + " | ".join(markdown_cell(h) for h in headers) + " |",
        "|" + "".join("---:|" if h in right_aligned else "---|" for h in headers),
    ]
    lines += ["| " + " | ".join(markdown_cell(v, max_chars) for v in row) + " |" for row in rows]
    return "\n".join(lines)
