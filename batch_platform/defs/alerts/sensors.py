"""The alert sensor: every minute, every condition judged; each incident announced once when it
opens and once when it resolves, to the alert webhooks and the run-status webhooks.

What it announces goes through the notification outbox like every webhook
(:mod:`batch_platform.defs.common.notifications`): a receiver that is down gets it later. The
incidents open (and when watching began) are the sensor's cursor, so an evaluation that fails
announces nothing and changes nothing.
"""

import contextlib

import dagster as dg

from batch_platform.defs.alerts import evaluation as alert_evaluation
from batch_platform.defs.alerts.logic.alert_messages import (
    alert_message_id,
    alert_payload,
    alert_text,
)
from batch_platform.defs.alerts.logic.alert_settings import load_alert_settings
from batch_platform.defs.alerts.logic.incidents import AlertState, Change, reconcile
from batch_platform.defs.common.notifications import send_notification
from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.defs.delivery.logic.config import load_delivery_config
from batch_platform.defs.delivery.logic.notification_outbox import Notification
from batch_platform.lib.settings import ui_url
from batch_platform.lib.webhooks import (
    WebhookTarget,
    encode,
    load_alert_targets,
    load_webhook_targets,
)


def alert_targets() -> list[WebhookTarget]:
    """$BATCH_PLATFORM_ALERT_WEBHOOKS, then the run-status webhooks; each URL once."""
    targets: dict[str, WebhookTarget] = {}
    for target in [*load_alert_targets(), *load_webhook_targets()]:
        targets.setdefault(target.url, target)
    return list(targets.values())


def announce(
    context: dg.SensorEvaluationContext,
    change: Change,
    targets: list[WebhookTarget],
    duckdb: WarehouseResource,
) -> None:
    what = f"alert {change.event} {change.incident.fingerprint}"
    log = context.log.warning if change.event == "opened" else context.log.info
    log(f"{what}: {alert_text(change)}")
    if not targets:
        return
    notification = Notification(
        notification_id=alert_message_id(change),
        kind="alert",
        subject=f"{change.event} {change.incident.fingerprint}",
        body=encode(alert_payload(change, ui_url())),
    )
    send_notification(
        targets, notification, log=context.log, what=what, open_outbox=duckdb.get_connection
    )


@dg.sensor(
    name="alerts_sensor",
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Every minute: nightly scoring late, runs far past their usual time, "
    "quarantine shares, stale signals, delivery success, schedules that did not tick. Each "
    "incident is sent once when it opens and once when it resolves "
    "($BATCH_PLATFORM_ALERT_WEBHOOKS and the run-status webhooks).",
)
def alerts_sensor(context: dg.SensorEvaluationContext, duckdb: WarehouseResource):
    now = alert_evaluation.current_time()
    state = AlertState.from_json(context.cursor, now)
    repository = context.repository_def
    evaluation = alert_evaluation.evaluate(
        context.instance,
        list(repository.schedule_defs) if repository else [],
        lambda: contextlib.closing(duckdb.open(read_only=True)),
        now=now,
        since=state.watching_since,
        settings=load_alert_settings(),
        min_delivery_success=load_delivery_config().sync.min_success_rate,
    )
    for condition, why in sorted(evaluation.unevaluated.items()):
        context.log.warning(f"{condition} not evaluated (its incidents stay as they are): {why}")
    new_state, changes = reconcile(state, evaluation.findings, now, evaluation.unevaluated)
    targets = alert_targets()
    for change in changes:
        announce(context, change, targets, duckdb)
    context.update_cursor(new_state.to_json())
    opened = sum(1 for change in changes if change.event == "opened")
    summary = (
        f"{len(new_state.open)} incident(s) open; {opened} opened and "
        f"{len(changes) - opened} resolved now"
    )
    if not targets:
        summary += "; no alert webhooks configured ($BATCH_PLATFORM_ALERT_WEBHOOKS), logged only"
    return dg.SkipReason(summary)


@dg.definitions
def sensors() -> dg.Definitions:
    return dg.Definitions(sensors=[alerts_sensor])
