"""The notification outbox: webhooks a receiver did not take are kept and sent again until it does.

Every notification the platform sends (a run's end, a batch's end, an alert) is tried first with
a few quick retries (:func:`batch_platform.lib.webhooks.post_body`). What still fails is written
here (``delivery.notification_outbox``, one row per notification and receiver, with every call in
``delivery.notification_attempts``) and sent again by the outbox sensor in rounds, with backoff:
30 s after the first send, then twice as long after each failed round, at most 5 minutes apart,
for as long as it takes. A retry sends the same bytes under the same ``webhook-id``, signed
afresh, so a receiver that got an earlier try (its answer lost) can drop the repeat by id.

A receiver that fails in a round is not called again in that round: its other notifications
wait as long as the one that failed, so a receiver that is down costs one call per round.
Plain Python over a warehouse connection: the wiring is in
:mod:`batch_platform.defs.common.notifications`.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import atomically
from batch_platform.lib.webhooks import WebhookResult, WebhookTarget

load_sql = SqlFolder.of_domain(__file__)

# The wait before retry round n (1, 2, …): FIRST_WAIT doubled n - 1 times, at most LONGEST_WAIT.
FIRST_WAIT = dt.timedelta(seconds=30)
LONGEST_WAIT = dt.timedelta(minutes=5)
# A round stops starting calls after this long, so a sensor tick stays short; the rest wait.
ROUND_SECONDS = 30.0
ROUND_LIMIT = 200


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def wait_before_round(round_number: int) -> dt.timedelta:
    """How long a notification waits before retry round ``round_number`` (1 for the first)."""
    return min(LONGEST_WAIT, FIRST_WAIT * 2 ** max(0, round_number - 1))


@dataclass(frozen=True)
class Notification:
    """One notification: the same id and bytes for every receiver and every attempt."""

    notification_id: str  # the webhook-id
    kind: str  # 'run_status', 'url_batch' or 'alert'
    subject: str  # what it tells about, for people reading the outbox
    body: bytes


@dataclass(frozen=True)
class Waiting:
    """A row of the outbox whose next attempt is due."""

    notification: Notification
    target: WebhookTarget
    guarded: bool
    attempts: int
    retry_rounds: int
    created_at: dt.datetime


@dataclass
class RetryRound:
    """What one round of the outbox did."""

    delivered: list[Waiting] = field(default_factory=list)
    failed: list[tuple[Waiting, WebhookResult]] = field(default_factory=list)
    deferred: list[Waiting] = field(default_factory=list)  # receiver failed earlier this round
    left_for_later: int = 0  # due, but the round's time or size ran out


def _calls_table(
    notification_id: str, url: str, result: WebhookResult, first: int, phase: str, now
) -> pa.Table:
    rows = [
        {
            "notification_id": notification_id,
            "url": url,
            "attempt": first + index,
            "phase": phase,
            "recorded_at": now,
            "http_status": call.status_code,
            "error": call.error,
            "seconds": call.seconds,
        }
        for index, call in enumerate(result.tried)
    ]
    schema = pa.schema(
        [
            ("notification_id", pa.string()),
            ("url", pa.string()),
            ("attempt", pa.int32()),
            ("phase", pa.string()),
            ("recorded_at", pa.timestamp("us")),
            ("http_status", pa.int32()),
            ("error", pa.string()),
            ("seconds", pa.float64()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def _record_calls(con, notification_id: str, url: str, result, first: int, phase: str, now):
    if not result.tried:
        return  # nothing was sent (no usable secret): the row's last_error says why
    con.register(
        "notification_calls", _calls_table(notification_id, url, result, first, phase, now)
    )
    try:
        con.execute(load_sql("insert_notification_attempts"))
    finally:
        con.unregister("notification_calls")


def keep(
    con: duckdb.DuckDBPyConnection,
    notification: Notification,
    failures: Sequence[tuple[WebhookTarget, WebhookResult]],
    *,
    guarded: bool = False,
    now: dt.datetime | None = None,
) -> list[dt.datetime]:
    """Put what the first send could not deliver in the outbox (one transaction); returns, per
    failure, when it will be tried next.

    The same notification kept again (a sensor posting the same run's end twice) adds its calls
    to the row it has; one already delivered stays delivered.
    """
    now = now or utcnow()
    next_attempt = now + wait_before_round(1)

    def write() -> list[dt.datetime]:
        for target, result in failures:
            key = {"notification_id": notification.notification_id, "url": target.url}
            found = con.execute(load_sql("select_notification_outbox_row"), key).fetchall()
            if found and found[0][0] == "delivered":
                continue
            outcome = {
                "http_status": result.status_code,
                "error": result.error,
                "now": now,
                "next_attempt_at": next_attempt,
            }
            if found:
                con.execute(
                    load_sql("update_notification_outbox"),
                    key | outcome | {"calls": result.attempts, "rounds": 0, "delivered": False},
                )
            else:
                con.execute(
                    load_sql("insert_notification_outbox"),
                    key
                    | outcome
                    | {
                        "kind": notification.kind,
                        "subject": notification.subject,
                        "body": notification.body.decode(),
                        "signing_secret_env": target.signing_secret_env,
                        "timeout_seconds": target.timeout_seconds,
                        "guarded": guarded,
                        "attempts": result.attempts,
                    },
                )
            first = (found[0][1] if found else 0) + 1
            _record_calls(
                con, notification.notification_id, target.url, result, first, "first_send", now
            )
        return [next_attempt] * len(failures)

    return atomically(con, write)


def due(
    con: duckdb.DuckDBPyConnection, now: dt.datetime | None = None, limit: int = ROUND_LIMIT
) -> list[Waiting]:
    """The notifications whose next attempt is due, oldest first."""
    cursor = con.execute(
        load_sql("select_due_notifications"), {"now": now or utcnow(), "limit": limit}
    )
    columns = [d[0] for d in cursor.description]
    waiting = []
    for values in cursor.fetchall():
        row = dict(zip(columns, values, strict=True))
        waiting.append(
            Waiting(
                notification=Notification(
                    row["notification_id"], row["kind"], row["subject"], row["body"].encode()
                ),
                target=WebhookTarget(
                    url=row["url"],
                    signing_secret_env=row["signing_secret_env"],
                    timeout_seconds=row["timeout_seconds"],
                ),
                guarded=row["guarded"],
                attempts=row["attempts"],
                retry_rounds=row["retry_rounds"],
                created_at=row["created_at"],
            )
        )
    return waiting


def _record_round_outcome(
    con: duckdb.DuckDBPyConnection, entry: Waiting, result: WebhookResult, now: dt.datetime
) -> dt.datetime:
    """One retry's outcome, in one transaction; returns when it is tried next (if it failed)."""
    next_attempt = now + wait_before_round(entry.retry_rounds + 2)
    key = {"notification_id": entry.notification.notification_id, "url": entry.target.url}

    def write() -> None:
        con.execute(
            load_sql("update_notification_outbox"),
            key
            | {
                "calls": result.attempts,
                "rounds": 1,
                "delivered": result.ok,
                "http_status": result.status_code,
                "error": None if result.ok else result.error,
                "now": now,
                "next_attempt_at": next_attempt,
            },
        )
        _record_calls(
            con, key["notification_id"], key["url"], result, entry.attempts + 1, "outbox", now
        )

    atomically(con, write)
    return next_attempt


def _defer(
    con: duckdb.DuckDBPyConnection, url: str, entries: list[Waiting], until: dt.datetime
) -> None:
    ids = [entry.notification.notification_id for entry in entries]
    atomically(
        con,
        lambda: con.execute(
            load_sql("defer_notifications"),
            {"url": url, "next_attempt_at": until, "notification_ids": ids},
        ),
    )


def retry_due(
    con: duckdb.DuckDBPyConnection,
    send: Callable[[Waiting], WebhookResult],
    *,
    now: Callable[[], dt.datetime] = utcnow,
    round_seconds: float = ROUND_SECONDS,
    limit: int = ROUND_LIMIT,
    log: Callable[[str], None] = lambda message: None,
) -> RetryRound:
    """One round: send every due notification once more (``send`` makes the call), oldest
    first, skipping receivers that already failed this round; record every outcome."""
    started = time.monotonic()
    result = RetryRound()
    entries = due(con, now(), limit)
    failed_until: dict[str, dt.datetime] = {}
    deferred: dict[str, list[Waiting]] = {}
    for index, entry in enumerate(entries):
        url = entry.target.url
        if url in failed_until:
            deferred.setdefault(url, []).append(entry)
            result.deferred.append(entry)
            continue
        if time.monotonic() - started > round_seconds:
            result.left_for_later = len(entries) - index
            break
        outcome = send(entry)
        next_attempt = _record_round_outcome(con, entry, outcome, now())
        subject = f"{entry.notification.kind} {entry.notification.subject}"
        if outcome.ok:
            result.delivered.append(entry)
            log(
                f"{subject}: delivered to {url} on attempt {entry.attempts + outcome.attempts} "
                f"({entry.notification.notification_id})"
            )
        else:
            result.failed.append((entry, outcome))
            failed_until[url] = next_attempt
            log(
                f"{subject}: {url} still failing after {entry.attempts + outcome.attempts} "
                f"attempt(s): {outcome.error}; next attempt at {next_attempt:%H:%M:%S} UTC"
            )
    for url, entries_of_url in deferred.items():
        _defer(con, url, entries_of_url, failed_until[url])
    return result
