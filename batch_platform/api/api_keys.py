"""API keys: created once and shown once, stored as a SHA-256 of their secret, revocable.

A key reads ``bpk_<key id>_<secret>``: the id (12 hex digits) finds the stored row, and the
secret (32 random bytes, URL-safe base64) is compared with what is stored, as SHA-256 digests,
in constant time. Whoever reads the state file learns no key: the secret has 256 bits, so its
digest cannot be reversed by trying guesses.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import sqlite3
import time
from dataclasses import dataclass

from batch_platform.api.state_store import immediate

KEY_PREFIX = "bpk"
_TOKEN = re.compile(rf"{KEY_PREFIX}_(?P<key_id>[0-9a-f]{{12}})_(?P<secret>[A-Za-z0-9_-]{{43}})")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True)
class ApiKey:
    key_id: str
    name: str
    created_at: float
    revoked_at: float | None = None
    last_used_at: float | None = None
    # None: the API's defaults ($BATCH_PLATFORM_API_RATE_PER_MINUTE, _RATE_BURST).
    rate_per_minute: float | None = None
    rate_burst: int | None = None


class ApiKeyError(ValueError):
    """A key cannot be created or revoked as asked; the message says why."""


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ApiKeyError(
            "a key name is 1 to 64 letters, digits, '.', '_' or '-', starting with a letter "
            "or digit"
        )
    return name


def create_key(
    con: sqlite3.Connection,
    name: str,
    *,
    rate_per_minute: float | None = None,
    rate_burst: int | None = None,
    now: float | None = None,
) -> tuple[ApiKey, str]:
    """A new key named ``name`` (unique among keys not revoked) and its token, which is never
    stored and cannot be shown again."""
    check_name(name)
    if rate_per_minute is not None and not rate_per_minute > 0:
        raise ApiKeyError("the rate per minute must be positive")
    if rate_burst is not None and rate_burst < 1:
        raise ApiKeyError("the burst must be at least 1")
    key_id, secret = secrets.token_hex(6), secrets.token_urlsafe(32)
    key = ApiKey(key_id, name, time.time() if now is None else now, None, None,
                 rate_per_minute, rate_burst)  # fmt: skip
    try:
        with immediate(con):
            con.execute(
                "INSERT INTO api_keys (key_id, name, secret_sha256, rate_per_minute, rate_burst, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (key_id, name, digest(secret), rate_per_minute, rate_burst, key.created_at),
            )
    except sqlite3.IntegrityError:
        raise ApiKeyError(f"a key named {name!r} exists; revoke it first") from None
    return key, f"{KEY_PREFIX}_{key_id}_{secret}"


def revoke_key(con: sqlite3.Connection, name_or_id: str, now: float | None = None) -> ApiKey:
    """Revoke the active key with this name or id; ApiKeyError when there is none."""
    with immediate(con):
        row = con.execute(
            "SELECT * FROM api_keys WHERE (name = ? OR key_id = ?) AND revoked_at IS NULL",
            (name_or_id, name_or_id),
        ).fetchone()
        if row is None:
            raise ApiKeyError(f"no active key named {name_or_id!r}")
        revoked_at = time.time() if now is None else now
        con.execute(
            "UPDATE api_keys SET revoked_at = ? WHERE key_id = ?", (revoked_at, row["key_id"])
        )
        con.execute("DELETE FROM rate_buckets WHERE key_id = ?", (row["key_id"],))
    return _key({**dict(row), "revoked_at": revoked_at})


def list_keys(con: sqlite3.Connection) -> list[ApiKey]:
    rows = con.execute("SELECT * FROM api_keys ORDER BY created_at, key_id").fetchall()
    return [_key(row) for row in rows]


def authenticate(con: sqlite3.Connection, token: str | None) -> ApiKey | None:
    """The active key ``token`` is, or None (malformed, unknown, wrong secret or revoked)."""
    match = _TOKEN.fullmatch(token or "")
    if match is None:
        return None
    row = con.execute("SELECT * FROM api_keys WHERE key_id = ?", (match["key_id"],)).fetchone()
    expected = row["secret_sha256"] if row is not None else "0" * 64
    matches = hmac.compare_digest(expected, digest(match["secret"]))
    if row is None or not matches or row["revoked_at"] is not None:
        return None
    return _key(row)


def record_use(con: sqlite3.Connection, key: ApiKey, now: float) -> None:
    con.execute("UPDATE api_keys SET last_used_at = ? WHERE key_id = ?", (now, key.key_id))


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme in any case)."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _key(row) -> ApiKey:
    return ApiKey(
        key_id=row["key_id"],
        name=row["name"],
        created_at=row["created_at"],
        revoked_at=row["revoked_at"],
        last_used_at=row["last_used_at"],
        rate_per_minute=row["rate_per_minute"],
        rate_burst=row["rate_burst"],
    )
