"""Signing requests so a receiver can tell they come from us, unaltered, and only once.

Every signed request (delivery pages, completion webhooks) carries the Standard Webhooks headers
(https://www.standardwebhooks.com/):

    webhook-id: msg_<32 hex>             one id per delivery: the same on each retry of it
    webhook-timestamp: <unix seconds>    when this attempt was signed
    webhook-signature: v1,<base64 HMAC-SHA256 of "<id>.<timestamp>." + body>

A receiver checks them with :func:`verify_request`, which answers False (never raises) for
anything missing, malformed, stale or wrong, and refuses an id it has already accepted when
given a :class:`ReplayGuard`. The HMAC key is the secret's UTF-8 bytes, or, for a secret
written ``whsec_<base64>``, the decoded bytes (as the Standard Webhooks libraries take it).

The older ``X-Batch-Platform-Signature: t=<timestamp>,v1=<hex HMAC of "<timestamp>." + body>`` is
still sent, so receivers built on :func:`verify_signature` keep working while they move; it does
not cover the id, so it cannot tell a replay inside its 5 minutes from the original.

Which secret: every destination and webhook target may name the environment variable holding
its own (``signing_secret_env``); one that names none uses $BATCH_PLATFORM_SIGNING_SECRET.
:func:`resolve_secret` applies that rule and refuses an unset or empty variable. Errors name
variables, never values.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import heapq
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
WEBHOOK_SIGNATURE_HEADER = "webhook-signature"
# The older header (timestamp and body only), kept for receivers that have not moved yet.
SIGNATURE_HEADER = "X-Batch-Platform-Signature"
# The environment variable holding the shared secret: the fallback for a destination or webhook
# target that names no variable of its own.
DEFAULT_SIGNING_SECRET_ENV = "BATCH_PLATFORM_SIGNING_SECRET"
DEFAULT_TOLERANCE_SECONDS = 300

# A message id: what Standard Webhooks senders use (svix: ``msg_…``), and no '.', so the signed
# content "<id>.<timestamp>.<body>" splits one way only.
_ID = re.compile(r"[A-Za-z0-9_-]{1,256}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_SECRET_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]{0,127}")
_WHSEC = "whsec_"
_MAX_SIGNATURE_HEADER = 4096
_MAX_SIGNATURES = 16


class SignatureError(ValueError):
    """The signature header is missing, malformed, too old or does not match the body."""


class SigningConfigError(ValueError):
    """No usable signing secret for a destination or webhook; names the variable, not a value."""


# ---------------------------------------------------------------------------------------------
# Secrets


def check_secret_env_name(value: str) -> str:
    """``value`` if it can name an environment variable; the error does not repeat it (a secret
    pasted where its variable's name belongs must not end up in an error)."""
    if not _SECRET_ENV_NAME.fullmatch(value):
        raise ValueError(
            "must name an environment variable (upper-case letters, digits and '_'); "
            "the value given is not repeated here"
        )
    return value


def signing_key(secret: str) -> bytes:
    """The HMAC key of ``secret``: ``whsec_<base64>`` decoded, anything else as UTF-8 bytes.

    Raises ValueError for a ``whsec_`` secret whose rest is not base64.
    """
    if secret.startswith(_WHSEC):
        try:
            return base64.b64decode(secret[len(_WHSEC) :], validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("a whsec_ secret must be followed by base64") from None
    return secret.encode("utf-8", "surrogateescape")


def resolve_secret(env: Mapping[str, str], secret_env: str | None, owner: str) -> str:
    """The signing secret of ``owner`` (e.g. ``destination 'crm'``): the variable it names, or
    the shared $BATCH_PLATFORM_SIGNING_SECRET when it names none.

    Raises :class:`SigningConfigError`, naming the variable, when that variable is unset, empty
    (or blank), or not a usable ``whsec_`` secret: a request is never sent unsigned.
    """
    name = secret_env or DEFAULT_SIGNING_SECRET_ENV
    value = env.get(name)
    where = (
        f"${name} (its signing_secret_env)"
        if secret_env
        else f"${name} (the shared secret; it names no signing_secret_env)"
    )
    if not value or not value.strip():
        raise SigningConfigError(
            f"{owner}: {where} is not set or is empty; requests must be signed"
        )
    try:
        key = signing_key(value)
    except ValueError:
        raise SigningConfigError(
            f"{owner}: {where} starts with whsec_ but the rest is not base64"
        ) from None
    if not key:
        raise SigningConfigError(f"{owner}: {where} holds an empty key; requests must be signed")
    return value


# ---------------------------------------------------------------------------------------------
# Sending


def new_message_id() -> str:
    """A fresh id for one delivery (kept on every retry of it)."""
    return "msg_" + secrets.token_hex(16)


def is_message_id(value: object) -> bool:
    """Whether ``value`` is a usable message id: 1 to 256 ASCII letters, digits, '_' or '-'."""
    return isinstance(value, str) and _ID.fullmatch(value) is not None


def message_id_for(*parts: str) -> str:
    """A stable id for an event named by ``parts`` (e.g. a run and its status), so a receiver
    can tell a second post of the same event from a new one."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogateescape")).hexdigest()
    return "msg_" + digest[:32]


def _v1_digest(key: bytes, message_id: str, timestamp: str, body: bytes) -> bytes:
    return hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()


def signed_headers(
    secret: str, body: bytes, message_id: str, timestamp: int | None = None
) -> dict[str, str]:
    """The signature headers of one attempt at sending ``body`` as delivery ``message_id``.

    Call it on every attempt: the timestamp is the attempt's (default: now), the id stays.
    """
    if not secret:
        raise ValueError("an empty signing secret cannot sign a request")
    if not is_message_id(message_id):
        raise ValueError("a message id is 1 to 256 ASCII letters, digits, '_' or '-'")
    key = signing_key(secret)
    if not key:
        raise ValueError("an empty signing key cannot sign a request")
    timestamp = int(time.time()) if timestamp is None else int(timestamp)
    digest = _v1_digest(key, message_id, str(timestamp), body)
    return {
        ID_HEADER: message_id,
        TIMESTAMP_HEADER: str(timestamp),
        WEBHOOK_SIGNATURE_HEADER: "v1," + base64.b64encode(digest).decode("ascii"),
        SIGNATURE_HEADER: sign(secret, body, timestamp),
    }


# ---------------------------------------------------------------------------------------------
# Receiving


class ReplayGuard:
    """The ids of requests already accepted, so a replayed request is refused.

    Pass it to :func:`verify_request` as ``replay_guard``. An id is kept until a request with
    it could no longer pass the timestamp check anyway (its signed timestamp plus the
    tolerance), so memory is bounded by the traffic of one tolerance window, and by ``max_ids``:
    when that many ids are live, new ones are refused (failing closed) until some expire.
    A receiver that accepts a request but then fails to process it calls :meth:`release`
    before answering with an error, so our retry, which carries the same id, is accepted.
    Thread-safe; one process. Any callable ``(message_id, ttl_seconds) -> bool`` (True: new,
    and now remembered for ``ttl_seconds``) may stand in for it, e.g. over a shared store.
    """

    def __init__(self, max_ids: int = 100_000, clock: Callable[[], float] = time.monotonic):
        if max_ids < 1:
            raise ValueError("max_ids must be at least 1")
        self.max_ids = max_ids
        self._clock = clock
        self._expires: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []
        self._lock = threading.Lock()

    def __call__(self, message_id: str, ttl_seconds: float) -> bool:
        return self.claim(message_id, ttl_seconds)

    def claim(self, message_id: str, ttl_seconds: float = 2 * DEFAULT_TOLERANCE_SECONDS) -> bool:
        """True if ``message_id`` is new (it is now remembered for ``ttl_seconds``); False if it
        was seen (its memory is extended to ``ttl_seconds`` from now) or the guard is full."""
        now = self._clock()
        expires = now + max(0.0, float(ttl_seconds))
        with self._lock:
            self._expire(now)
            known = self._expires.get(message_id)
            if known is not None:
                if expires > known:
                    self._remember(message_id, expires)
                return False
            if len(self._expires) >= self.max_ids:
                return False
            self._remember(message_id, expires)
            return True

    def release(self, message_id: str) -> None:
        """Forget ``message_id``: the request was not processed, so its retry is welcome."""
        with self._lock:
            self._expires.pop(message_id, None)

    def __contains__(self, message_id: object) -> bool:
        with self._lock:
            self._expire(self._clock())
            return message_id in self._expires

    def __len__(self) -> int:
        with self._lock:
            self._expire(self._clock())
            return len(self._expires)

    def _remember(self, message_id: str, expires: float) -> None:
        self._expires[message_id] = expires
        heapq.heappush(self._heap, (expires, message_id))
        if len(self._heap) > 2 * self.max_ids + 1024:  # stale entries of released/extended ids
            self._heap = [(e, m) for m, e in self._expires.items()]
            heapq.heapify(self._heap)

    def _expire(self, now: float) -> None:
        while self._heap and self._heap[0][0] <= now:
            expires, message_id = heapq.heappop(self._heap)
            if self._expires.get(message_id) == expires:
                del self._expires[message_id]


def _header(headers: Any, name: str) -> str | None:
    """The value of header ``name`` in any letter case; None when missing or ambiguous."""
    value = headers.get(name)
    if value is not None:
        return value
    found = {v for k, v in headers.items() if isinstance(k, str) and k.lower() == name}
    return found.pop() if len(found) == 1 else None


def request_id(headers: Any) -> str | None:
    """The request's ``webhook-id`` if it is well-formed, else None (e.g. to :meth:`release`)."""
    try:
        value = _header(headers, ID_HEADER)
    except Exception:  # anything malformed is simply "no id"
        return None
    return value if is_message_id(value) else None


def verify_request(
    secret: str,
    headers: Mapping[str, str],
    body: bytes,
    *,
    tolerance_seconds: float = DEFAULT_TOLERANCE_SECONDS,
    now: float | None = None,
    replay_guard: Callable[[str, float], bool] | None = None,
) -> bool:
    """True if ``headers`` sign the raw ``body`` with ``secret``, recently, and (with a
    ``replay_guard``) under an id not accepted before; False for anything else, never raising.

    ``headers`` is any mapping of the request's headers (letter case does not matter). False
    when a header is missing, repeated with different values, non-ASCII, too long or of the
    wrong type; when the timestamp is not plain digits or is more than ``tolerance_seconds``
    from ``now``; when no ``v1`` signature (several may be given, space-separated, e.g. while
    a secret is rotated) is valid base64 of the right HMAC; and when the guard has seen the id.
    Only a request whose signature matches is shown to the guard, so a forged request cannot
    use up an id.
    """
    try:
        return _verify(secret, headers, body, tolerance_seconds, now, replay_guard)
    except Exception:  # an input malformed in a way not foreseen is still invalid
        return False


def _verify(secret, headers, body, tolerance_seconds, now, replay_guard) -> bool:
    if not isinstance(secret, str) or not secret:
        return False
    if not isinstance(body, bytes | bytearray | memoryview):
        return False
    message_id = _header(headers, ID_HEADER)
    timestamp = _header(headers, TIMESTAMP_HEADER)
    signatures = _header(headers, WEBHOOK_SIGNATURE_HEADER)
    if not is_message_id(message_id):
        return False
    if not isinstance(timestamp, str) or not _TIMESTAMP.fullmatch(timestamp):
        return False
    if not isinstance(signatures, str) or len(signatures) > _MAX_SIGNATURE_HEADER:
        return False
    now = time.time() if now is None else float(now)
    age = now - int(timestamp)
    if not abs(age) <= tolerance_seconds:  # also False for a NaN tolerance
        return False
    key = signing_key(secret)
    if not key:
        return False
    expected = _v1_digest(key, message_id, timestamp, bytes(body))
    entries = signatures.split()
    if len(entries) > _MAX_SIGNATURES:
        return False
    matched = False
    for entry in entries:
        version, _, encoded = entry.partition(",")
        if version != "v1" or not encoded.isascii():
            continue
        try:
            given = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            continue
        matched |= hmac.compare_digest(expected, given)
    if not matched:
        return False
    if replay_guard is None:
        return True
    # Remember the id while a request carrying it could still pass (plus a second of slack).
    return replay_guard(message_id, tolerance_seconds - age + 1) is True


# ---------------------------------------------------------------------------------------------
# The older header: timestamp and body, no id


def _digest(secret: str, timestamp: int, body: bytes) -> str:
    message = str(timestamp).encode() + b"." + body
    key = secret.encode("utf-8", "surrogateescape")
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def sign(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The value of the older ``X-Batch-Platform-Signature`` header for ``body`` at
    ``timestamp`` (default: now); :func:`signed_headers` gives it with the current ones."""
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
    """Check the older signature header against the raw body; returns its timestamp or raises.

    Raises :class:`SignatureError` when the header is missing or malformed, its timestamp is more
    than ``tolerance_seconds`` away from ``now``, or no ``v1`` digest matches. It does not
    cover the request's id, so it cannot refuse a replay inside the tolerance: new receivers
    use :func:`verify_request`.
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
    except Exception:  # SignatureError, and inputs of the wrong type
        return False
    return True
