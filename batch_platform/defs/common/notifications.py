"""The one way a notification leaves the platform: sent, and kept until it is delivered.

Run-status webhooks (:mod:`batch_platform.defs.common.run_webhooks`), a batch's own webhook
(:mod:`batch_platform.defs.content.batch_webhooks`) and alerts
(:mod:`batch_platform.defs.alerts.sensors`) all call :func:`send_notification`: a signed POST to
each receiver with a few quick retries; what still fails (or could not be signed) goes to the
notification outbox in the warehouse (``delivery.notification_outbox``), and
``notification_outbox_sensor`` sends it again, with backoff, until the receiver takes it
(:mod:`batch_platform.defs.delivery.logic.notification_outbox`). Nothing is dropped, and every
call is in ``delivery.notification_attempts``.

The outbox is a warehouse table because that is where the platform's state is read from
(``batch-platform sql``), shared by every process and, in production, by every machine (DuckLake
on Postgres); writes go through ``atomically`` like every other write. It is written only when
a receiver fails, so a healthy day adds nothing to it.
"""

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

import dagster as dg
import duckdb
import httpx

from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.defs.content.logic.batch_submissions import webhook_policy
from batch_platform.defs.delivery.logic.notification_outbox import (
    Notification,
    Waiting,
    due,
    keep,
    retry_due,
    utcnow,
)
from batch_platform.lib.guarded_http import guarded_client
from batch_platform.lib.http_retry import RetryPolicy
from batch_platform.lib.warehouse import WarehouseError
from batch_platform.lib.webhooks import WebhookResult, WebhookTarget, post_body

# A retry round calls each receiver once: the outbox's backoff is the wait between calls.
ONE_CALL = RetryPolicy(attempts=1)


def _environment_warehouse() -> AbstractContextManager[duckdb.DuckDBPyConnection]:
    """The warehouse the environment names, as the resource would open it (run-status sensors
    take no resources, so a run's end can be posted without one)."""
    return WarehouseResource().get_connection()


def send_notification(
    targets: Sequence[WebhookTarget],
    notification: Notification,
    *,
    log: logging.Logger,
    what: str,
    open_outbox: Callable[
        [], AbstractContextManager[duckdb.DuckDBPyConnection]
    ] = _environment_warehouse,
    client: httpx.Client | None = None,
    guarded: bool = False,
    now: Callable[[], dt.datetime] = utcnow,
) -> list[WebhookResult]:
    """POST ``notification`` to every target; keep what fails in the outbox; log each outcome.

    ``what`` names the notification in log lines (``run 3313… SUCCESS``). ``guarded`` marks a
    URL a user gave (called at public addresses only, now and on every retry). If the outbox
    cannot be written either, the error is logged and raised: the sensor's tick fails visibly.
    """
    results = post_body(
        targets, notification.body, message_id=notification.notification_id, client=client
    )
    failures = [(t, r) for t, r in zip(targets, results, strict=True) if not r.ok]
    for result in results:
        if result.ok:
            log.info(f"{what}: posted to {result.url}")
    if not failures:
        return results
    try:
        with open_outbox() as con:
            next_attempts = keep(con, notification, failures, guarded=guarded, now=now())
    except Exception as error:
        log.error(
            f"{what}: {len(failures)} webhook(s) failed and the notification outbox could not "
            f"keep {notification.notification_id}: {error}"
        )
        raise
    for (target, result), next_attempt in zip(failures, next_attempts, strict=True):
        kept = (
            f"kept in delivery.notification_outbox as {notification.notification_id}, "
            f"next attempt at {next_attempt:%H:%M:%S} UTC"
        )
        if result.not_sent:
            log.error(f"{what}: webhook {target.url} {result.error}; {kept}")
        else:
            log.warning(
                f"{what}: webhook {target.url} failed after {result.attempts} attempt(s): "
                f"{result.error}; {kept}"
            )
    return results


def send_again(entry: Waiting) -> WebhookResult:
    """One call for a notification of the outbox, through the client its URL needs."""

    def post(client: httpx.Client | None) -> WebhookResult:
        (result,) = post_body(
            [entry.target],
            entry.notification.body,
            message_id=entry.notification.notification_id,
            policy=ONE_CALL,
            client=client,
        )
        return result

    if entry.guarded:
        with guarded_client(webhook_policy()) as client:
            return post(client)
    return post(None)


@dg.sensor(
    name="notification_outbox_sensor",
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Sends again the webhooks (run ends, batch ends, alerts) that a receiver did not "
    "take, with backoff, until it does: delivery.notification_outbox.",
)
def notification_outbox_sensor(context: dg.SensorEvaluationContext, duckdb: WarehouseResource):
    # Looked at read-only first: most ticks find nothing due and write nothing.
    try:
        with contextlib.closing(duckdb.open(read_only=True)) as reader:
            nothing_due = not due(reader, limit=1)
    except WarehouseError:
        return dg.SkipReason("no warehouse yet: nothing can be waiting")
    if nothing_due:
        return dg.SkipReason("no notification waiting is due")
    with duckdb.get_connection() as con:
        outcome = retry_due(con, send_again, log=context.log.info)
    tried = len(outcome.delivered) + len(outcome.failed)
    if not tried and not outcome.deferred:
        return dg.SkipReason("no notification waiting is due")
    return dg.SkipReason(
        f"{len(outcome.delivered)} delivered, {len(outcome.failed)} still failing, "
        f"{len(outcome.deferred)} waiting behind a receiver that failed this round, "
        f"{outcome.left_for_later} left for the next round"
    )


@dg.definitions
def sensors() -> dg.Definitions:
    return dg.Definitions(sensors=[notification_outbox_sensor])
