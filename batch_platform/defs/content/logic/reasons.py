"""Why an item failed, bounded: a reason is stored, logged and shown in Dagster metadata, and a
hostile server (a 60 KB Location header, an exception quoting a whole body) must not make any of
those large. No Dagster here."""

from __future__ import annotations

MAX_REASON_CHARS = 500


def short_reason(reason: str, limit: int = MAX_REASON_CHARS) -> str:
    """``reason`` cut to at most ``limit`` characters, an ellipsis marking the cut."""
    if len(reason) <= limit:
        return reason
    return reason[: limit - 1] + "…"
