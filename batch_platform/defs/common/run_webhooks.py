"""Completion webhooks for every run of this code location, on success and on failure.

The sensors watch every job (no ``monitored_jobs``) and POST a signed summary
(:mod:`batch_platform.defs.common.run_summary`) to the configured webhook targets, each signed
with its own secret (or the shared one). The post's ``webhook-id`` is derived from the run and
its status, so a second post of the same run's end carries the same id and a receiver can drop
it. A webhook that stays down is logged, never retried forever: the sensor's cursor moves on. A
webhook without its secret is not sent and is logged as an error (configuration), naming the
variable, never a value.
"""

import dagster as dg

from batch_platform.defs.common.run_summary import run_summary
from batch_platform.lib.settings import ui_url
from batch_platform.lib.signing import message_id_for
from batch_platform.lib.webhooks import load_webhook_targets, post_json


def notify(context: dg.RunStatusSensorContext, status: str) -> dg.SkipReason | None:
    """Post the run's summary to every webhook; log what happened to each."""
    targets = load_webhook_targets()
    if not targets:
        return dg.SkipReason("no webhook URLs configured")
    summary = run_summary(context.instance, context.dagster_run, status, ui_url())
    message_id = message_id_for("run-status", summary["run_id"], status)
    for result in post_json(targets, summary, message_id=message_id):
        if result.ok:
            context.log.info(f"run {summary['run_id']} {status}: posted to {result.url}")
        elif result.not_sent:
            context.log.error(
                f"run {summary['run_id']} {status}: webhook {result.url} {result.error}"
            )
        else:
            context.log.warning(
                f"run {summary['run_id']} {status}: webhook {result.url} failed after "
                f"{result.attempts} attempt(s): {result.error}"
            )
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
