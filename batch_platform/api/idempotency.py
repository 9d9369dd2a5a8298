"""Idempotency keys on POST: the same key and the same request give the same answer, once done.

A client sends ``Idempotency-Key: <1 to 255 printable ASCII characters>``. The first request
with a key claims it (per API key) and its answer is stored; a repeat with the same method,
path, query, content type and body gets that stored answer again (``Idempotency-Replayed: true``)
and nothing is done twice. A repeat with a different request is refused (422), and one that
arrives while the first is still being answered is told to retry (409). An answer of 5xx is not
stored (the key is released, so a retry does the work). Records expire after
$BATCH_PLATFORM_API_IDEMPOTENCY_HOURS; a claim left by a crashed process after five minutes.
"""

from __future__ import annotations

import hashlib
import json
import re
import sqlite3
from dataclasses import dataclass
from typing import Literal

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotency-Replayed"
ABANDONED_AFTER_SECONDS = 300.0
_KEY = re.compile(r"[\x20-\x7e]{1,255}")
# Headers of a stored answer that are given again with it.
KEPT_HEADERS = ("location", "content-type")


@dataclass(frozen=True)
class StoredResponse:
    status_code: int
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Claim:
    """What a request with an idempotency key is to do: ``new`` (do the work and store the
    answer), ``replay`` (answer ``stored``), ``in_progress`` or ``mismatch`` (refuse)."""

    outcome: Literal["new", "replay", "in_progress", "mismatch"]
    stored: StoredResponse | None = None


def check_key(value: str) -> str:
    if not _KEY.fullmatch(value):
        raise ValueError(f"{HEADER} must be 1 to 255 printable ASCII characters")
    return value


def request_fingerprint(
    method: str, path: str, query: str, content_type: str | None, body: bytes
) -> str:
    """A digest of everything that makes two requests the same request."""
    digest = hashlib.sha256()
    for part in (method.upper(), path, query, (content_type or "").lower()):
        digest.update(part.encode("utf-8", "surrogateescape") + b"\x00")
    digest.update(body)
    return digest.hexdigest()


def claim(
    con: sqlite3.Connection,
    key_id: str,
    idempotency_key: str,
    fingerprint: str,
    now: float,
    ttl_seconds: float,
) -> Claim:
    """Claim ``idempotency_key`` for this request; call inside ``immediate``."""
    con.execute("DELETE FROM idempotency_records WHERE created_at < ?", (now - ttl_seconds,))
    row = con.execute(
        "SELECT fingerprint, status_code, response_body, response_headers, created_at "
        "FROM idempotency_records WHERE key_id = ? AND idempotency_key = ?",
        (key_id, idempotency_key),
    ).fetchone()
    abandoned = row is not None and row[1] is None and now - row[4] > ABANDONED_AFTER_SECONDS
    if row is None or abandoned:
        con.execute(
            "INSERT OR REPLACE INTO idempotency_records "
            "(key_id, idempotency_key, fingerprint, created_at) VALUES (?, ?, ?, ?)",
            (key_id, idempotency_key, fingerprint, now),
        )
        return Claim("new")
    if row[0] != fingerprint:
        return Claim("mismatch")
    if row[1] is None:
        return Claim("in_progress")
    return Claim("replay", StoredResponse(row[1], bytes(row[2]), json.loads(row[3])))


def store(
    con: sqlite3.Connection, key_id: str, idempotency_key: str, response: StoredResponse
) -> None:
    """Keep the answer to a claimed key; a 5xx answer releases the key instead."""
    if response.status_code >= 500:
        release(con, key_id, idempotency_key)
        return
    con.execute(
        "UPDATE idempotency_records SET status_code = ?, response_body = ?, "
        "response_headers = ? WHERE key_id = ? AND idempotency_key = ?",
        (
            response.status_code,
            response.body,
            json.dumps({k: v for k, v in response.headers.items() if k.lower() in KEPT_HEADERS}),
            key_id,
            idempotency_key,
        ),
    )


def release(con: sqlite3.Connection, key_id: str, idempotency_key: str) -> None:
    con.execute(
        "DELETE FROM idempotency_records WHERE key_id = ? AND idempotency_key = ?",
        (key_id, idempotency_key),
    )
