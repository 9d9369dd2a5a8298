"""The office-status API client: one GET per registration, politely. No Dagster here.

``GET {base_url}/registrations/{jurisdiction}/{registration_id}`` with ``Authorization: Bearer
<key>`` returns the registration as JSON (the firm-record fields plus ``as_of``, in the office's
own date formats and status words). Politeness:

- a token bucket per jurisdiction (default 60 requests/minute, burst 1), consumed at the moment a
  request is sent, so the spacing holds however many workers share the jurisdiction; a 429 with
  ``Retry-After`` also holds back the whole jurisdiction for that long;
- a global cap on requests in flight, handed out nearest-renewal first (``priority``);
- a timeout on every request and retries through :mod:`batch_platform.lib.http_retry`.

Every registration ends in a terminal :class:`OfficeFetchResult`: succeeded, or failed with the
error.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import heapq
import itertools
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx

from batch_platform.lib.http_retry import RetryPolicy, retry_after_seconds, send_with_retries_async

DEFAULT_REQUESTS_PER_MINUTE = 60.0
DEFAULT_RETRY = RetryPolicy(attempts=4, base=0.5, cap=30.0, max_retry_after=120.0)


@dataclass(frozen=True)
class OfficeApiConfig:
    base_url: str
    api_key: str | None = None
    requests_per_minute: float = DEFAULT_REQUESTS_PER_MINUTE
    # Per-jurisdiction overrides of requests_per_minute, e.g. {"EM": 120}.
    rate_overrides: dict[str, float] = field(default_factory=dict)
    burst: int = 1
    concurrency: int = 8
    workers_per_jurisdiction: int = 2
    timeout_seconds: float = 10.0
    retry: RetryPolicy = DEFAULT_RETRY

    def rate_for(self, jurisdiction: str) -> float:
        return self.rate_overrides.get(jurisdiction, self.requests_per_minute)


@dataclass(frozen=True)
class OfficeFetchRequest:
    registration_id: str
    jurisdiction: str
    priority: int  # lower is fetched first (1 = nearest renewal)


@dataclass(frozen=True)
class OfficeFetchResult:
    registration_id: str
    jurisdiction: str
    priority: int
    succeeded: bool
    record: dict | None
    attempts: int
    error: str | None
    retryable: bool
    fetched_at: dt.datetime


def parse_rate_overrides(text: str | None) -> dict[str, float]:
    """``"EM=120, US=30"`` → {"EM": 120.0, "US": 30.0}; a clear error names a bad entry."""
    overrides: dict[str, float] = {}
    for item in (text or "").split(","):
        if not item.strip():
            continue
        code, sep, value = item.partition("=")
        try:
            rate = float(value)
        except ValueError:
            rate = -1.0
        if not sep or rate <= 0:
            raise ValueError(f"rate override {item.strip()!r}: expected CODE=requests_per_minute")
        overrides[code.strip().upper()] = rate
    return overrides


class TokenBucket:
    """``rate`` tokens per second up to ``capacity``; ``take`` waits for one and spends it."""

    def __init__(
        self, rate_per_second: float, capacity: int = 1, clock: Callable[[], float] = time.monotonic
    ):
        if rate_per_second <= 0 or capacity < 1:
            raise ValueError("a token bucket needs a positive rate and a capacity of at least 1")
        self.rate = rate_per_second
        self.capacity = capacity
        self.clock = clock
        self.tokens = float(capacity)
        self.updated = clock()
        self.blocked_until = 0.0
        self.lock = asyncio.Lock()

    def _refill(self, now: float) -> None:
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now

    def wait_time(self) -> float:
        now = self.clock()
        self._refill(now)
        return max(self.blocked_until - now, (1 - self.tokens) / self.rate, 0.0)

    def spend(self) -> None:
        self._refill(self.clock())
        self.tokens -= 1

    def hold_off(self, seconds: float) -> None:
        """The office asked us to wait (429 + Retry-After): no request before then."""
        now = self.clock()
        self._refill(now)
        self.tokens = min(self.tokens, 0.0)
        self.blocked_until = max(self.blocked_until, now + seconds)

    @asynccontextmanager
    async def turn(self):
        """The jurisdiction's turn, once a token is available; the holder calls ``spend``."""
        async with self.lock:
            while (delay := self.wait_time()) > 0:
                await asyncio.sleep(delay)
            yield


class PriorityGate:
    """At most ``limit`` holders; waiting callers are admitted lowest ``priority`` first."""

    def __init__(self, limit: int):
        if limit < 1:
            raise ValueError("concurrency must be at least 1")
        self.free = limit
        self.waiting: list[tuple[int, int, asyncio.Future]] = []
        self.order = itertools.count()

    async def acquire(self, priority: int) -> None:
        if self.free > 0 and not self.waiting:
            self.free -= 1
            return
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self.waiting, (priority, next(self.order), future))
        await future

    def release(self) -> None:
        """Hand the slot to the most urgent waiter, or free it."""
        while self.waiting:
            _, _, future = heapq.heappop(self.waiting)
            if not future.done():
                future.set_result(None)
                return
        self.free += 1


def _path(request: OfficeFetchRequest) -> str:
    jurisdiction = quote(request.jurisdiction, safe="")
    return f"/registrations/{jurisdiction}/{quote(request.registration_id, safe='')}"


async def fetch_registrations(
    requests: Iterable[OfficeFetchRequest],
    config: OfficeApiConfig,
    on_result: Callable[[OfficeFetchResult], None],
    *,
    transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """Fetch every request; ``on_result`` receives each terminal result as it is known."""
    queues: dict[str, deque[OfficeFetchRequest]] = defaultdict(deque)
    for request in sorted(requests, key=lambda r: (r.priority, r.registration_id)):
        queues[request.jurisdiction].append(request)
    buckets = {code: TokenBucket(config.rate_for(code) / 60.0, config.burst) for code in queues}
    gate = PriorityGate(config.concurrency)
    headers = {"Accept": "application/json"}
    if config.api_key:
        headers["Authorization"] = f"Bearer {config.api_key}"
    async with httpx.AsyncClient(
        base_url=config.base_url.rstrip("/"),
        headers=headers,
        timeout=httpx.Timeout(config.timeout_seconds),
        limits=httpx.Limits(max_connections=config.concurrency),
        transport=transport,
    ) as client:

        async def fetch_one(request: OfficeFetchRequest) -> OfficeFetchResult:
            bucket = buckets[request.jurisdiction]

            async def send() -> httpx.Response:
                # The token is spent when the slot is ours, right before the request goes out,
                # so two requests of one jurisdiction are never closer than the rate allows.
                async with bucket.turn():
                    await gate.acquire(request.priority)
                    bucket.spend()
                try:
                    response = await client.get(_path(request))
                finally:
                    gate.release()
                if response.status_code == 429:
                    bucket.hold_off(retry_after_seconds(response.headers) or 1.0)
                return response

            outcome = await send_with_retries_async(send, config.retry)
            record, error = None, outcome.error
            if outcome.ok:
                try:
                    record = outcome.response.json()
                except ValueError:
                    error = "response is not JSON"
                if record is not None and not isinstance(record, dict):
                    record, error = None, "response JSON is not an object"
            return OfficeFetchResult(
                registration_id=request.registration_id,
                jurisdiction=request.jurisdiction,
                priority=request.priority,
                succeeded=record is not None,
                record=record,
                attempts=len(outcome.attempts),
                error=error,
                retryable=outcome.retryable,
                fetched_at=dt.datetime.now(dt.UTC).replace(tzinfo=None),
            )

        async def worker(queue: deque[OfficeFetchRequest]) -> None:
            while queue:
                on_result(await fetch_one(queue.popleft()))

        tasks = [
            asyncio.create_task(worker(queue))
            for queue in queues.values()
            for _ in range(min(config.workers_per_jurisdiction, len(queue)))
        ]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            # One failure (e.g. a checkpoint write) stops the whole fetch, not just its worker.
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
