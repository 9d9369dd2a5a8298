"""Delivery after each nightly scoring run, and more runs the same night while a large sync is
not done.

The completion webhooks every run posts are shared wiring:
:mod:`batch_platform.defs.common.run_webhooks`.
"""

import datetime as dt

import dagster as dg
from dagster._core.events import DagsterEventType

from batch_platform.defs.common.run_summary import RANGE_TAGS
from batch_platform.defs.delivery.assets import CONTINUES_TAG, DELIVERED_SCORES, ROUND_TAG
from batch_platform.defs.delivery.jobs import score_delivery_job
from batch_platform.defs.delivery.logic.config import load_delivery_config
from batch_platform.defs.delivery.logic.continuation import DestinationRound, continuation
from batch_platform.defs.signals.jobs import nightly_lead_scoring_job
from batch_platform.defs.signals.partitions import TIMEZONE


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


def current_time() -> dt.datetime:
    """Now, timezone-aware (one place, so tests can set the night's clock)."""
    return dt.datetime.now(dt.UTC)


def delivery_rounds(instance: dg.DagsterInstance, run_id: str) -> list[DestinationRound]:
    """Per destination, what the run's materialization of the delivered scores recorded."""
    for entry in instance.all_logs(run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION):
        materialization = entry.asset_materialization
        if materialization is None or materialization.asset_key != DELIVERED_SCORES:
            continue
        values = {name: value.value for name, value in materialization.metadata.items()}
        destinations = sorted(
            name.removesuffix("/budget_spent") for name in values if name.endswith("/budget_spent")
        )
        return [
            DestinationRound(
                destination=name,
                succeeded=int(values[f"{name}/succeeded"]),
                pending_after=int(values[f"{name}/pending_after"]),
                budget_spent=bool(values[f"{name}/budget_spent"]),
            )
            for name in destinations
        ]
    return []


@dg.run_status_sensor(
    name="score_delivery_continuation_sensor",
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[score_delivery_job],
    request_job=score_delivery_job,
    minimum_interval_seconds=5,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="When a score_delivery run spent its page budget with records still pending, "
    "run the same day again (it sends what is pending), until nothing is or the night's window "
    "(sync.night_window_end) ends.",
)
def score_delivery_continuation_sensor(context: dg.RunStatusSensorContext):
    run = context.dagster_run
    day = run.tags.get("dagster/partition")
    if not day:
        return dg.SkipReason(f"run {run.run_id} has no partition")
    decision = continuation(
        delivery_rounds(context.instance, run.run_id),
        as_of_date=day,
        now=current_time(),
        night_window_end=load_delivery_config().sync.night_window_end,
        timezone=TIMEZONE,
    )
    if not decision.follow:
        return dg.SkipReason(f"{day}: the sync does not continue: {decision.reason}")
    round_number = int(run.tags.get(ROUND_TAG, "1")) + 1
    context.log.info(f"{day}: run {round_number} of the night's sync: {decision.reason}")
    return dg.RunRequest(
        run_key=f"continue:{run.run_id}",
        partition_key=day,
        tags={CONTINUES_TAG: run.run_id, ROUND_TAG: str(round_number)},
    )


@dg.definitions
def sensors() -> dg.Definitions:
    return dg.Definitions(
        sensors=[score_delivery_after_scoring_sensor, score_delivery_continuation_sensor]
    )
