"""Sending pages of records to one destination: signed, rate-limited, retried, every call recorded.

Each request (a page, or half of one after a split) is one delivery with its own ``webhook-id``;
every retry of it carries the same id, signed again with a fresh timestamp
(:func:`batch_platform.lib.signing.signed_headers`).

What a record looks like is the stream's :class:`RecordFormat`: lead scores (``SCORES``, the
default) or the portfolio's records (:mod:`batch_platform.defs.delivery.logic.portfolio_sync`);
pages, signatures, retries, splitting and the changelog rows are the same for every stream.

A page that a destination rejects as a whole with a 4xx (other than 429) is split in halves and
each half sent again, so one bad record does not take its page down with it; a single record
rejected that way is a permanent failure. A 2xx response may also reject single records by
listing them: ``{"rejected": [{"idempotency_key": "…", "error": "…"}]}``.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from batch_platform.defs.delivery.logic.config import Destination
from batch_platform.lib.http_retry import Outcome, RetryPolicy, send_with_retries
from batch_platform.lib.signing import new_message_id, signed_headers

USER_AGENT = "batch-platform-delivery/1"
# 4xx answers about the destination, not the records (credentials, URL): the records stay
# pending rather than dead-lettered, and the run stops sending to that destination.
DESTINATION_ERRORS = frozenset({401, 403, 404, 405, 407})


class RateLimiter:
    """At most ``per_second`` calls per second (evenly spaced); None means no limit."""

    def __init__(
        self,
        per_second: float | None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.interval = 1.0 / per_second if per_second else 0.0
        self.clock, self.sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        if not self.interval:
            return
        with self._lock:
            now = self.clock()
            delay = self._next - now
            self._next = max(now, self._next) + self.interval
        if delay > 0:
            self.sleep(delay)


@dataclass(frozen=True)
class ItemOutcome:
    """Where one record ended this run: 'delivered', 'failed' (stays pending) or 'rejected'.

    ``email`` and ``score_version`` are what the record is about and its version (for a
    portfolio record: its registration and its version); ``tier`` and ``score`` only scores
    have."""

    idempotency_key: str
    email: str
    score_version: str
    tier: str | None
    score: float | None
    status: str
    attempts: int
    http_status: int | None
    error: str | None
    carried_over: bool


@dataclass
class PageResult:
    outcomes: list[ItemOutcome] = field(default_factory=list)
    changelog: list[dict] = field(default_factory=list)
    requests: int = 0


def encode_page(destination: str, records: list[dict], fields: dict | None = None) -> bytes:
    """The request body: the records, each with its idempotency key, and the page's ``fields``
    (e.g. the client every record of the page is for)."""
    return json.dumps(
        {"destination": destination, **(fields or {}), "records": records},
        separators=(",", ":"),
    ).encode()


def public_record(row: dict) -> dict:
    """What a destination receives for one pending row."""
    return {
        "idempotency_key": row["idempotency_key"],
        "contact": row["email"],
        "account_domain": row["account_domain"],
        "score": row["score"],
        "previous_score": row["delivered_score"],
        "tier": row["tier"],
        "is_mql": row["is_mql"],
        "score_version": row["score_version"],
        "as_of_date": row["as_of_date"],
        "reason": row["reason"],
        "score_model_version": row.get("score_model_version"),
        "score_reasons": json.loads(row.get("score_reasons") or "[]"),
    }


def _no_page_fields(rows: list[dict]) -> dict:
    return {}


@dataclass(frozen=True)
class RecordFormat:
    """One stream of records: what a destination receives for a queued row (``public``), the
    row's columns the audit keeps as what the record is about (``subject``, the changelog's
    ``email``) and its version (``version``, the changelog's ``score_version``), and the fields
    a page carries beside ``destination`` and ``records`` (``page_fields``, given the page's
    rows)."""

    public: Callable[[dict], dict]
    subject: str
    version: str
    page_fields: Callable[[list[dict]], dict] = _no_page_fields


SCORES = RecordFormat(public_record, subject="email", version="score_version")


def _rejected_in_body(response: httpx.Response) -> dict[str, str]:
    """Records a 2xx response rejects one by one, by idempotency key."""
    try:
        body = response.json()
    except ValueError:
        return {}
    rejected = body.get("rejected") if isinstance(body, dict) else None
    if not isinstance(rejected, list):
        return {}
    return {
        str(item["idempotency_key"]): str(item.get("error") or "rejected by the destination")
        for item in rejected
        if isinstance(item, dict) and "idempotency_key" in item
    }


class Sender:
    """Sends pages to one destination over a shared ``httpx.Client`` (connections reused)."""

    def __init__(
        self,
        destination: Destination,
        client: httpx.Client,
        *,
        run_id: str,
        secret: str,
        auth_value: str | None = None,
        rng: random.Random | None = None,
        sleep: Callable[[float], None] = time.sleep,
        record_format: RecordFormat = SCORES,
    ):
        self.destination = destination
        self.format = record_format
        self.client = client
        self.run_id = run_id
        self.secret = secret
        self.auth_value = auth_value
        self.rng = rng or random.Random()
        self.sleep = sleep
        retry = destination.retry
        self.policy = RetryPolicy(
            attempts=retry.attempts,
            base=retry.base_seconds,
            cap=retry.cap_seconds,
            max_retry_after=retry.max_retry_after_seconds,
        )
        self.limiter = RateLimiter(destination.rate_limit_per_second, sleep=sleep)
        self.request_seq = 0
        self._attempts: dict[str, int] = {}
        self.halted: str | None = None  # set by a destination error: send nothing more

    def deliver_page(self, rows: list[dict]) -> PageResult:
        """Send one page (splitting on a whole-page 4xx); every call of every record recorded."""
        result = PageResult()
        self._deliver(rows, result)
        return result

    def _post(
        self, body: bytes, message_id: str, calls: list[tuple[int, dt.datetime]]
    ) -> httpx.Response:
        self.limiter.wait()
        self.request_seq += 1
        calls.append((self.request_seq, dt.datetime.now(dt.UTC).replace(tzinfo=None)))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            **signed_headers(self.secret, body, message_id),
        }
        if self.auth_value is not None:
            headers[self.destination.auth_header] = self.auth_value
        return self.client.post(
            self.destination.url,
            content=body,
            headers=headers,
            timeout=self.destination.timeout_seconds,
        )

    def _deliver(self, rows: list[dict], result: PageResult) -> None:
        fmt = self.format
        body = encode_page(
            self.destination.name, [fmt.public(r) for r in rows], fmt.page_fields(rows)
        )
        calls: list[tuple[int, dt.datetime]] = []
        message_id = new_message_id()  # the same on every retry of this request
        outcome = send_with_retries(
            lambda: self._post(body, message_id, calls),
            self.policy,
            rng=self.rng,
            sleep=self.sleep,
        )
        result.requests += len(outcome.attempts)
        rejected = _rejected_in_body(outcome.response) if outcome.ok else {}
        last = outcome.attempts[-1]
        permanent = not outcome.ok and not outcome.retryable
        if permanent and last.status_code in DESTINATION_ERRORS:
            self.halted = f"{self.destination.name}: {last.error}; check its URL and credentials"
        kept = outcome.retryable or self.halted is not None
        split = permanent and not kept and len(rows) > 1
        self._record_attempts(rows, outcome, calls, rejected, split, kept, result)
        if split:
            middle = len(rows) // 2
            self._deliver(rows[:middle], result)
            self._deliver(rows[middle:], result)
            return
        for row in rows:
            key = row["idempotency_key"]
            if outcome.ok:
                status = "rejected" if key in rejected else "delivered"
                error = rejected.get(key)
            else:
                status = "failed" if kept else "rejected"
                error = last.error
            result.outcomes.append(
                ItemOutcome(
                    idempotency_key=key,
                    email=row[fmt.subject],
                    score_version=row[fmt.version],
                    tier=row.get("tier"),
                    score=row.get("score"),
                    status=status,
                    attempts=self._attempts[key],
                    http_status=last.status_code,
                    error=error,
                    carried_over=row["runs_attempted"] > 0,
                )
            )

    def _record_attempts(
        self, rows, outcome: Outcome, calls, rejected, split, kept, result
    ) -> None:
        final = len(outcome.attempts) - 1
        for index, attempt in enumerate(outcome.attempts):
            if attempt.error is None:
                status = None  # per record: delivered or rejected in the body
            elif index < final:
                status = "retry"
            elif attempt.retryable or kept:
                status = "failed"
            else:
                status = "split" if split else "rejected"
            seq, started = calls[index]
            for row in rows:
                key = row["idempotency_key"]
                self._attempts[key] = self._attempts.get(key, 0) + 1
                result.changelog.append(
                    {
                        "run_id": self.run_id,
                        "destination": self.destination.name,
                        "idempotency_key": key,
                        "email": row[self.format.subject],
                        "score_version": row[self.format.version],
                        "attempt": self._attempts[key],
                        "request_seq": seq,
                        "status": status or ("rejected" if key in rejected else "delivered"),
                        "http_status": attempt.status_code,
                        "error": rejected.get(key) if status is None else attempt.error,
                        "attempted_at": started,
                        "seconds": attempt.seconds,
                    }
                )
