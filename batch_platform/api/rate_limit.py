"""Per-key rate limits: a token bucket per API key, kept in the state file.

A key holds at most ``burst`` tokens and gains ``rate_per_minute / 60`` a second; a request
takes one. Without a token the answer is 429 with ``Retry-After``: the whole seconds until the
next token. The bucket lives in SQLite, so several API processes share one limit per key.
"""

from __future__ import annotations

import math
import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class Bucket:
    tokens: float
    updated_at: float


@dataclass(frozen=True)
class Decision:
    allowed: bool
    remaining: int
    retry_after: int  # whole seconds; 0 when allowed


def take_token(
    bucket: Bucket | None, now: float, rate_per_minute: float, burst: int
) -> tuple[Bucket, Decision]:
    """The bucket after one request at ``now``, and whether the request may go on."""
    per_second = rate_per_minute / 60.0
    if bucket is None:
        tokens = float(burst)
    else:
        elapsed = max(0.0, now - bucket.updated_at)  # a clock stepping back adds nothing
        tokens = min(float(burst), bucket.tokens + elapsed * per_second)
    if tokens >= 1.0:
        tokens -= 1.0
        return Bucket(tokens, now), Decision(True, math.floor(tokens), 0)
    wait = math.ceil((1.0 - tokens) / per_second)
    return Bucket(tokens, now), Decision(False, 0, max(1, wait))


def consume(
    con: sqlite3.Connection, key_id: str, now: float, rate_per_minute: float, burst: int
) -> Decision:
    """Take a token from ``key_id``'s bucket; call inside a write transaction (``immediate``)."""
    row = con.execute(
        "SELECT tokens, updated_at FROM rate_buckets WHERE key_id = ?", (key_id,)
    ).fetchone()
    bucket = Bucket(row[0], row[1]) if row else None
    after, decision = take_token(bucket, now, rate_per_minute, burst)
    con.execute(
        "INSERT INTO rate_buckets (key_id, tokens, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (key_id) DO UPDATE SET tokens = excluded.tokens, "
        "updated_at = excluded.updated_at",
        (key_id, after.tokens, after.updated_at),
    )
    return decision
