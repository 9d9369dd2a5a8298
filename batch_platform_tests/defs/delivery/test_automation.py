"""Delivery after scoring: a run-status sensor on nightly_lead_scoring."""

import dagster as dg
from dagster._core.events import DagsterEventType

from batch_platform.definitions import defs
from batch_platform.defs.delivery.sensors import score_delivery_after_scoring_sensor

DAY = "2026-05-04"


def _run_event(instance, run_id, event_type):
    return instance.all_logs(run_id, of_type=event_type)[0].dagster_event


def test_delivery_follows_a_nightly_scoring_run(platform):
    job = defs().resolve_job_def("nightly_lead_scoring")
    result = job.execute_in_process(
        instance=platform.instance, resources=platform.resources, partition_key=DAY
    )
    run = platform.instance.get_run_by_id(result.run_id)
    context = dg.build_run_status_sensor_context(
        sensor_name="score_delivery_after_scoring_sensor",
        dagster_event=_run_event(platform.instance, run.run_id, DagsterEventType.RUN_SUCCESS),
        dagster_instance=platform.instance,
        dagster_run=run,
    )
    request = score_delivery_after_scoring_sensor(context)
    assert (request.partition_key, request.run_key) == (DAY, f"after:{run.run_id}")


def test_delivery_sensor_runs_by_default():
    definitions = defs()
    sensor = definitions.resolve_sensor_def("score_delivery_after_scoring_sensor")
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
    assert definitions.resolve_job_def("score_delivery").tags["dagster/max_runtime"]
