"""A batch's results, page by page, from the warehouse (read-only), and recent throughput.

Pages come in list order, chunks in list order then chunk order. A page of results ends with
``next_cursor``: an opaque token naming the last row given (its list line, and chunk), so the
next page starts right after it, whatever was asked before, and a client never misses or
repeats a row by paging. A cursor is only valid for the kind it was made for.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

import duckdb

from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import WarehouseError, open_warehouse

load_sql = SqlFolder.of_domain(__file__)
Kind = Literal["pages", "chunks"]
HISTORY_RUNS = 20
HISTORY_SECONDS = 60.0


class CursorError(ValueError):
    """A cursor this API did not give, or gave for another kind of result."""


@dataclass(frozen=True)
class Position:
    line: int = 0
    chunk: int = -1


def encode_cursor(kind: Kind, position: Position) -> str:
    raw = json.dumps({"k": kind, "l": position.line, "c": position.chunk}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(kind: Kind, cursor: str | None) -> Position:
    if not cursor:
        return Position()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        data = json.loads(raw)
        line, chunk = data["l"], data["c"]
        valid = data["k"] == kind and type(line) is int and type(chunk) is int
    except (binascii.Error, ValueError, TypeError, KeyError):
        raise CursorError("not a cursor this API gave") from None
    if not valid:
        raise CursorError(f"not a cursor of {kind}")
    return Position(line, chunk)


def read_results(batch_id: str, kind: Kind, limit: int, cursor: str | None) -> dict[str, Any]:
    """One page of ``kind`` after ``cursor``: rows, the totals and the next cursor (None at
    the end). Both queries read one snapshot of the lake."""
    after = decode_cursor(kind, cursor)
    select = load_sql(
        "select_result_pages_after" if kind == "pages" else "select_result_chunks_after"
    )
    params = {"batch": batch_id, "after_line": after.line, "limit": limit + 1}
    if kind == "chunks":
        params["after_chunk"] = after.chunk
    con = open_warehouse(read_only=True)
    try:
        con.execute("BEGIN TRANSACTION")
        pages, chunks = con.execute(load_sql("count_results"), {"batch": batch_id}).fetchone()
        result = con.execute(select, params)
        columns = [d[0] for d in result.description]
        rows = [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
        con.execute("COMMIT")
    finally:
        con.close()
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = encode_cursor(
            kind, Position(last["line_number"], last.get("chunk_index", -1))
        )
    for row in rows:
        if isinstance(row.get("metadata"), str):
            row["metadata"] = json.loads(row["metadata"])
    return {
        "batch_id": batch_id,
        "kind": kind,
        "total": pages if kind == "pages" else chunks,
        "pages": pages,
        "chunks": chunks,
        "items": rows,
        "next_cursor": next_cursor,
    }


class ThroughputHistory:
    """URLs fetched per second over the latest batch runs, read at most once a minute."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value: float | None = None
        self._read_at = float("-inf")

    def urls_per_second(self) -> float | None:
        with self._lock:
            if time.monotonic() - self._read_at < HISTORY_SECONDS:
                return self._value
            self._read_at = time.monotonic()
            try:
                con = open_warehouse(read_only=True)
            except WarehouseError:
                self._value = None  # no lake yet: no history
                return None
            try:
                rate = con.execute(
                    load_sql("select_recent_throughput"), {"runs": HISTORY_RUNS}
                ).fetchone()[0]
            except duckdb.Error:
                rate = None
            finally:
                con.close()
            self._value = float(rate) if rate else None
            return self._value
