"""Sensors: delivery after each nightly scoring run, and completion webhooks for every run.

The webhook sensors watch every job of this code location (no ``monitored_jobs``), on success
and on failure, and POST a signed summary (:mod:`run_summary`) to the configured webhook URLs.
A webhook that stays down is logged, never retried forever: the sensor's cursor moves on.
"""

import dagster as dg

from batch_platform.defs.common.run_summary import RANGE_TAGS, run_summary
from batch_platform.defs.delivery.jobs import score_delivery_job
from batch_platform.defs.delivery.logic.config import load_delivery_config, ui_url
from batch_platform.defs.signals.jobs import nightly_lead_scoring_job
from batch_platform.lib.webhooks import post_json


@dg.run_status_sensor(
    name="score_delivery_after_scoring_sensor",
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[nightly_lead_scoring_job],
    request_job=score_delivery_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="When a nightly_lead_scoring run succeeds, deliver that day's changed scores "
    "(the last day of a range run).",
)
def score_delivery_after_scoring_sensor(context: dg.RunStatusSensorContext):
    tags = context.dagster_run.tags
    day = tags.get("dagster/partition") or tags.get(RANGE_TAGS[1])
    if not day:
        return dg.SkipReason(f"run {context.dagster_run.run_id} has no partition")
    return dg.RunRequest(run_key=f"after:{context.dagster_run.run_id}", partition_key=day)


def notify(context: dg.RunStatusSensorContext, status: str) -> dg.SkipReason | None:
    """Post the run's summary to every webhook; log what happened to each."""
    targets = load_delivery_config().webhooks
    if not targets:
        return dg.SkipReason("no webhook URLs configured")
    summary = run_summary(context.instance, context.dagster_run, status, ui_url())
    for result in post_json(targets, summary):
        if result.ok:
            context.log.info(f"run {summary['run_id']} {status}: posted to {result.url}")
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
    return dg.Definitions(
        sensors=[
            score_delivery_after_scoring_sensor,
            run_success_webhook_sensor,
            run_failure_webhook_sensor,
        ]
    )
