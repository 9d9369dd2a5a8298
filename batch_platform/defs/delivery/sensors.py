"""Delivery after each nightly scoring run.

The completion webhooks every run posts are shared wiring:
:mod:`batch_platform.defs.common.run_webhooks`.
"""

import dagster as dg

from batch_platform.defs.common.run_summary import RANGE_TAGS
from batch_platform.defs.delivery.jobs import score_delivery_job
from batch_platform.defs.signals.jobs import nightly_lead_scoring_job


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


@dg.definitions
def sensors() -> dg.Definitions:
    return dg.Definitions(sensors=[score_delivery_after_scoring_sensor])
