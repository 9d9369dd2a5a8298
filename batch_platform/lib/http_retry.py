"""Retrying HTTP calls: which failures are transient, how long to wait, and every attempt recorded.

Shared by every domain that calls out over HTTP (delivery, office APIs, content fetching):
timeouts, connection errors, 429 and 5xx are retried with exponential backoff and full jitter,
honouring ``Retry-After``; any other 4xx is permanent. Each attempt is returned so callers can
keep an audit trail.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

RETRYABLE_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class RetryPolicy:
    """``attempts`` calls at most; waits of uniform(0, min(cap, base * 2**n)) between them.

    A ``Retry-After`` longer than the jittered wait is honoured, up to ``max_retry_after``
    (a server asking for longer makes the call fail now and be retried on a later run).
    """

    attempts: int = 3
    base: float = 0.5
    cap: float = 30.0
    max_retry_after: float = 120.0

    def __post_init__(self) -> None:
        if self.attempts < 1:
            raise ValueError("attempts must be at least 1")
        if self.base < 0 or self.cap < 0 or self.max_retry_after < 0:
            raise ValueError("base, cap and max_retry_after must not be negative")


@dataclass(frozen=True)
class Attempt:
    """One try: the status code (None when no response came back) and the error, if any."""

    number: int
    status_code: int | None
    error: str | None
    seconds: float
    retryable: bool


@dataclass
class Outcome:
    """The last response (None when every attempt failed without one) and all attempts."""

    response: httpx.Response | None
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.response is not None and self.response.is_success

    @property
    def error(self) -> str | None:
        return None if self.ok else self.attempts[-1].error

    @property
    def retryable(self) -> bool:
        """The final failure was transient: the item may be tried again on a later run."""
        return not self.ok and self.attempts[-1].retryable


def retry_after_seconds(headers: httpx.Headers, now: datetime | None = None) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP date; None if absent/bad."""
    value = headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def classify(response: httpx.Response | None, error: Exception | None) -> tuple[str | None, bool]:
    """The error text for an attempt (None on success) and whether it is worth retrying."""
    if error is not None:
        transient = isinstance(error, httpx.TimeoutException | httpx.TransportError)
        return f"{type(error).__name__}: {error}".rstrip(": "), transient
    assert response is not None
    if response.is_success:
        return None, False
    reason = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    return reason, response.status_code in RETRYABLE_STATUSES


def wait_before_retry(
    policy: RetryPolicy, attempt: int, response: httpx.Response | None, rng: random.Random
) -> float | None:
    """Seconds to wait before attempt ``attempt + 1``; None when Retry-After is too long."""
    jittered = rng.uniform(0, min(policy.cap, policy.base * 2 ** (attempt - 1)))
    asked = retry_after_seconds(response.headers) if response is not None else None
    if asked is None:
        return jittered
    if asked > policy.max_retry_after:
        return None
    return max(asked, jittered)


def _record(number: int, started: float, response, error) -> Attempt:
    message, retryable = classify(response, error)
    status = response.status_code if response is not None else None
    return Attempt(number, status, message, round(time.perf_counter() - started, 4), retryable)


def send_with_retries(
    send: Callable[[], httpx.Response],
    policy: RetryPolicy = RetryPolicy(),
    *,
    rng: random.Random | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Outcome:
    """Call ``send`` until it succeeds, fails permanently, or the attempts run out."""

    async def send_now() -> httpx.Response:
        return send()

    async def sleep_now(seconds: float) -> None:
        sleep(seconds)

    # The retry loop is written once, in the asyncio form. Given coroutines that never suspend,
    # it runs to its end on the first step, without an event loop: so it also serves callers
    # that are themselves inside a running loop.
    loop = send_with_retries_async(send_now, policy, rng=rng, sleep=sleep_now)
    try:
        loop.send(None)
    except StopIteration as done:
        return done.value
    loop.close()
    raise RuntimeError("the retry loop suspended, so it cannot run synchronously")


async def send_with_retries_async(
    send: Callable[[], Awaitable[httpx.Response]],
    policy: RetryPolicy = RetryPolicy(),
    *,
    rng: random.Random | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Outcome:
    """Await ``send`` until it succeeds, fails permanently, or the attempts run out."""
    rng = rng or random.Random()
    outcome = Outcome(response=None)
    for number in range(1, policy.attempts + 1):
        started = time.perf_counter()
        response, error = None, None
        try:
            response = await send()
        except httpx.HTTPError as exc:
            error = exc
        attempt = _record(number, started, response, error)
        outcome.response, outcome.attempts = response, [*outcome.attempts, attempt]
        if not attempt.retryable or number == policy.attempts:
            return outcome
        delay = wait_before_retry(policy, number, response, rng)
        if delay is None:
            return outcome
        await sleep(delay)
    return outcome
