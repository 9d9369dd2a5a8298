"""A submitted URL list as the file it lands as, and its rejected lines as the client sent them.

JSON (``{"urls": [...]}``) is written as a CSV with a ``url`` column, so a URL holding a
comma, a ``#`` or a line break stays one entry, and entry ``i`` is row ``i + 2`` (after the
header); rejected lines are reported by ``index`` into the list. A text body is the list file
itself: ``text/plain`` one URL a line (``#`` comments), ``text/csv`` a ``url`` column and any
metadata columns; rejected lines are reported by ``line``.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from batch_platform.defs.content.logic.batch_submissions import MAX_PRIORITY, MIN_PRIORITY
from batch_platform.defs.content.logic.urls import UrlList

SUFFIX_BY_MEDIA_TYPE = {"application/json": ".csv", "text/plain": ".txt", "text/csv": ".csv"}
REJECTS_SHOWN = 100
_DUPLICATE_OF_LINE = re.compile(r"^duplicate of line (\d+)$")
# Longer than any valid URL (2,048), so that a long one is rejected with its reason, not refused.
MAX_ENTRY_LENGTH = 8192


class BatchRequest(BaseModel):
    """A URL batch as JSON."""

    model_config = ConfigDict(extra="forbid")

    urls: list[Annotated[str, StringConstraints(max_length=MAX_ENTRY_LENGTH)]] = Field(
        min_length=1, description="the URLs to fetch (http or https), in order"
    )
    priority: int | None = Field(
        default=None,
        ge=MIN_PRIORITY,
        le=MAX_PRIORITY,
        description="place in Dagster's run queue: higher runs first (default 0)",
    )
    webhook_url: str | None = Field(
        default=None, description="called (POST, signed) when the batch's run ends"
    )

    @field_validator("urls")
    @classmethod
    def _not_blank(cls, urls: list[str]) -> list[str]:
        blank = [i for i, url in enumerate(urls) if not url.strip()]
        if blank:
            raise ValueError(f"blank entries at index {', '.join(map(str, blank[:10]))}")
        return urls


def json_list_as_csv(urls: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["url"])
    writer.writerows([url] for url in urls)
    return out.getvalue().encode("utf-8")


def new_batch_name(suffix: str, now: datetime | None = None) -> str:
    """A list name no other submission has: ``api-<UTC time>-<12 random hex digits><suffix>``.
    It is made of safe characters only, so it is also the batch id (the partition key)."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"api-{stamp}-{secrets.token_hex(6)}{suffix}"


def rejected_lines(listed: UrlList, from_json: bool) -> list[dict]:
    """The first rejected lines, each by its place in what the client sent."""
    shown = []
    for rejected in listed.rejected[:REJECTS_SHOWN]:
        reason = rejected.reason
        if from_json:
            place = {"index": rejected.line - 2}
            duplicate = _DUPLICATE_OF_LINE.match(reason)
            if duplicate:
                reason = f"duplicate of index {int(duplicate[1]) - 2}"
        else:
            place = {"line": rejected.line}
        shown.append(place | {"value": rejected.value[:200], "reason": reason})
    return shown
