"""Completion webhooks for every run of this code location, on success and on failure.

The sensors watch every job (no ``monitored_jobs``) and POST a signed summary
(:mod:`batch_platform.defs.common.run_summary`) to the configured webhook targets, each signed
with its own secret (or the shared one). The post's ``webhook-id`` is derived from the run and
its status, so a second post of the same run's end carries the same id and a receiver can drop
it. A webhook that stays down after the first send's retries waits in the notification outbox
and is sent again until it is delivered (:mod:`batch_platform.defs.common.notifications`); the
sensor's cursor moves on. A webhook without its secret is not sent: it is logged as an error
(configuration), naming the variable, never a value, and waits in the outbox too.
"""

import dagster as dg

from batch_platform.defs.common.notifications import send_notification
from batch_platform.defs.common.run_summary import run_summary
from batch_platform.defs.delivery.logic.notification_outbox import Notification
from batch_platform.lib.settings import ui_url
from batch_platform.lib.signing import message_id_for
from batch_platform.lib.webhooks import encode, load_webhook_targets


def notify(context: dg.RunStatusSensorContext, status: str) -> dg.SkipReason | None:
    """Post the run's summary to every webhook; log what happened to each."""
    targets = load_webhook_targets()
    if not targets:
        return dg.SkipReason("no webhook URLs configured")
    summary = run_summary(context.instance, context.dagster_run, status, ui_url())
    notification = Notification(
        notification_id=message_id_for("run-status", summary["run_id"], status),
        kind="run_status",
        subject=f"run {summary['run_id']} {status}",
        body=encode(summary),
    )
    send_notification(targets, notification, log=context.log, what=notification.subject)
    return None


@dg.run_status_sensor(
    name="run_success_webhook_sensor",
    run_status=dg.DagsterRunStatus.SUCCESS,
    minimum_interval_seconds=10,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="POSTs a signed summary of every successful run to the configured webhooks.",
)
def run_success_webhook_sensor(context: dg.RunStatusSensorContext):
    return notify(context, "SUCCESS")


@dg.run_failure_sensor(
    name="run_failure_webhook_sensor",
    minimum_interval_seconds=10,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="POSTs a signed summary of every failed run to the configured webhooks.",
)
def run_failure_webhook_sensor(context: dg.RunFailureSensorContext):
    return notify(context, "FAILURE")


@dg.definitions
def sensors() -> dg.Definitions:
    return dg.Definitions(sensors=[run_success_webhook_sensor, run_failure_webhook_sensor])
