"""A batch's own webhook: called when its run ends, succeeded, failed or canceled.

A batch submitted through the job API may name a webhook URL (kept in its submission,
``<landing>/url_batches/.submissions/<batch>.json``, never in the run's tags, which the UI shows).
When a ``content_batch_ingest`` run of that batch ends, these sensors POST the batch's outcome
there, signed like every other webhook (``webhook-id``, ``webhook-timestamp``,
``webhook-signature`` with $BATCH_PLATFORM_WEBHOOK_SIGNING_SECRET, else the shared
$BATCH_PLATFORM_SIGNING_SECRET); the ``webhook-id`` is derived from the run and its end, so a
second post of the same end carries the same id. The URL was given by a user: it is called only
at public addresses or the networks $BATCH_PLATFORM_API_WEBHOOK_ALLOWED_NETWORKS names, checked
on every connection; redirects are not followed. A webhook that stays down after the first
send's retries waits in the notification outbox and is sent again, under the same checks,
until it is delivered (:mod:`batch_platform.defs.common.notifications`).
"""

import os
from datetime import UTC, datetime

import dagster as dg
from dagster._core.events import DagsterEventType

from batch_platform.defs.common.notifications import send_notification
from batch_platform.defs.content.assets._common import BATCH_ITEMS
from batch_platform.defs.content.jobs import content_batch_job
from batch_platform.defs.content.logic.batch_submissions import read_submission, webhook_policy
from batch_platform.defs.delivery.logic.notification_outbox import Notification
from batch_platform.lib.guarded_http import guarded_client
from batch_platform.lib.settings import load_settings, ui_url
from batch_platform.lib.signing import message_id_for
from batch_platform.lib.webhooks import WEBHOOK_SIGNING_SECRET_ENV, WebhookTarget, encode

COUNTS = ("completed", "total", "succeeded", "failed", "skipped", "canceled")
_PROGRESS_EVENTS = {DagsterEventType.ASSET_MATERIALIZATION, DagsterEventType.ASSET_OBSERVATION}


def batch_progress(instance: dg.DagsterInstance, run_id: str) -> dict[str, int]:
    """The run's last word on its URLs: the counts of its ``content_batch_items``
    materialization, or of its last progress observation when it stopped before that."""
    counts: dict[str, int] = {}
    for entry in instance.all_logs(run_id, of_type=_PROGRESS_EVENTS):
        event = entry.dagster_event
        if event is None or event.asset_key != BATCH_ITEMS:
            continue
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            metadata = entry.asset_materialization.metadata
        else:
            metadata = event.asset_observation_data.asset_observation.metadata
        found = {k: v.value for k, v in metadata.items() if k in COUNTS}
        if found:
            counts = {k: int(v) for k, v in found.items()}
    return counts


def batch_end_payload(
    batch_id: str,
    state: str,
    run_id: str,
    times: tuple[float | None, float | None],
    counts: dict[str, int],
    dagster_url: str,
) -> dict:
    """What the batch's webhook receives."""
    started, finished = (
        datetime.fromtimestamp(t, UTC).isoformat() if t is not None else None for t in times
    )
    return {
        "event": "url_batch.ended",
        "batch_id": batch_id,
        "state": state,
        "run_id": run_id,
        "started_at": started,
        "finished_at": finished,
        **counts,
        "run_url": f"{dagster_url}/runs/{run_id}",
    }


def notify_batch_webhook(context: dg.RunStatusSensorContext, state: str) -> dg.SkipReason | None:
    run = context.dagster_run
    batch_id = run.tags.get("dagster/partition")
    submission = read_submission(load_settings().url_batches_dir, batch_id) if batch_id else None
    if submission is None or not submission.webhook_url:
        return dg.SkipReason(f"batch {batch_id} asked for no webhook")
    record = context.instance.get_run_record_by_id(run.run_id)
    times = (record.start_time, record.end_time) if record else (None, None)
    payload = batch_end_payload(
        batch_id, state, run.run_id, times, batch_progress(context.instance, run.run_id), ui_url()
    )
    own_secret = WEBHOOK_SIGNING_SECRET_ENV if os.environ.get(WEBHOOK_SIGNING_SECRET_ENV) else None
    target = WebhookTarget(url=submission.webhook_url, signing_secret_env=own_secret)
    notification = Notification(
        notification_id=message_id_for("url-batch", run.run_id, state),
        kind="url_batch",
        subject=f"batch {batch_id} {state}",
        body=encode(payload),
    )
    with guarded_client(webhook_policy()) as client:
        send_notification(
            [target], notification, log=context.log, what=notification.subject, client=client,
            guarded=True,
        )  # fmt: skip
    return None


_SENSOR = {
    "monitored_jobs": [content_batch_job],
    "minimum_interval_seconds": 5,
    "default_status": dg.DefaultSensorStatus.RUNNING,
}


@dg.run_status_sensor(
    name="url_batch_success_webhook_sensor",
    run_status=dg.DagsterRunStatus.SUCCESS,
    description="Calls the webhook a batch was submitted with when its run succeeds.",
    **_SENSOR,
)
def url_batch_success_webhook_sensor(context: dg.RunStatusSensorContext):
    return notify_batch_webhook(context, "succeeded")


@dg.run_failure_sensor(
    name="url_batch_failure_webhook_sensor",
    description="Calls the webhook a batch was submitted with when its run fails.",
    **_SENSOR,
)
def url_batch_failure_webhook_sensor(context: dg.RunFailureSensorContext):
    return notify_batch_webhook(context, "failed")


@dg.run_status_sensor(
    name="url_batch_canceled_webhook_sensor",
    run_status=dg.DagsterRunStatus.CANCELED,
    description="Calls the webhook a batch was submitted with when its run is canceled.",
    **_SENSOR,
)
def url_batch_canceled_webhook_sensor(context: dg.RunStatusSensorContext):
    return notify_batch_webhook(context, "canceled")


@dg.definitions
def sensors() -> dg.Definitions:
    return dg.Definitions(
        sensors=[
            url_batch_success_webhook_sensor,
            url_batch_failure_webhook_sensor,
            url_batch_canceled_webhook_sensor,
        ]
    )
