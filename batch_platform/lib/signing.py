"""Signing requests so a receiver can tell they come from us and were not replayed.

The signature is HMAC-SHA256 over ``"<unix timestamp>." + body`` with a shared secret, sent as
``X-Batch-Platform-Signature: t=<unix timestamp>,v1=<hex digest>``. A receiver recomputes it
over the raw body it received and rejects old timestamps (replays); see :func:`verify_signature`.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Batch-Platform-Signature"
# The environment variable holding the secret, unless a destination or webhook names another.
DEFAULT_SIGNING_SECRET_ENV = "BATCH_PLATFORM_SIGNING_SECRET"
DEFAULT_TOLERANCE_SECONDS = 300


class SignatureError(ValueError):
    """The signature header is missing, malformed, too old or does not match the body."""


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The value of the signature header for ``body`` at ``timestamp`` (default: now)."""
    if not secret:
        raise ValueError("an empty signing secret cannot sign a request")
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={timestamp},v1={_digest(secret, timestamp, body)}"


def verify_signature(
    secret: str,
    header: str | None,
    body: bytes,
    *,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
) -> int:
    """Check a signature header against the raw body; returns its timestamp or raises.

    Raises :class:`SignatureError` when the header is missing or malformed, its timestamp is more
    than ``tolerance_seconds`` away from ``now``, or no ``v1`` digest matches.
    """
    if not header:
        raise SignatureError(f"missing {SIGNATURE_HEADER} header")
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        name, sep, value = item.strip().partition("=")
        if not sep:
            raise SignatureError(f"malformed signature item {item.strip()!r}")
        parts.setdefault(name, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        raise SignatureError("signature has no valid t=<unix timestamp>") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance_seconds:
        raise SignatureError(f"signature timestamp {timestamp} is outside the tolerance")
    expected = _digest(secret, timestamp, body).encode()
    # Bytes, not str: compare_digest refuses non-ASCII strings with a TypeError, and a header is
    # whatever the sender put there.
    given = [value.encode("utf-8", "surrogateescape") for value in parts.get("v1", [])]
    if not any(hmac.compare_digest(expected, digest) for digest in given):
        raise SignatureError("signature does not match the body")
    return timestamp


def signature_is_valid(secret: str, header: str | None, body: bytes, **kwargs) -> bool:
    """:func:`verify_signature` as a yes or no: False for any missing, malformed, stale or
    wrong signature, never an exception."""
    try:
        verify_signature(secret, header, body, **kwargs)
    except SignatureError:
        return False
    return True
