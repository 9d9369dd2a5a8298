"""The sensor that turns URL lists in <landing>/url_batches/ into batch partitions and runs.

A list submitted through the job API comes with its submission (``.submissions/<batch>.json``):
its priority and submitter become tags of the run (``dagster/priority`` orders Dagster's queue).
"""

import dagster as dg

from batch_platform.defs.common.landing_sensors import (
    landing_sensor,
    landing_sensor_result,
)
from batch_platform.defs.common.resources import LandingResource
from batch_platform.defs.content.jobs import content_batch_job
from batch_platform.defs.content.logic.batch_submissions import read_submission
from batch_platform.defs.content.partitions import url_batch_partitions
from batch_platform.lib.landing import LandingWatch

MAX_RUNS_PER_TICK = 100
SOURCE_FILE_TAG = "batch_platform/source_file"


@landing_sensor(
    name="url_batches_sensor",
    job=content_batch_job,
    description="Watches <landing>/url_batches/: each complete URL list (.done marker, or "
    "unchanged for settle_seconds) becomes a batch partition and a content_batch_ingest run.",
)
def url_batches_sensor(context: dg.SensorEvaluationContext, landing: LandingResource):
    watch = LandingWatch(context.cursor)
    landed = watch.scan(
        "url_batches",
        landing.url_batches_dir,
        settle_seconds=landing.settle_after,
        legacy_key=lambda f: f.partition_key,
    )
    new_keys: list[str] = []
    run_requests: list[dg.RunRequest] = []
    for batch in landed:
        if len(run_requests) >= MAX_RUNS_PER_TICK:
            break
        if not context.instance.has_dynamic_partition(
            url_batch_partitions.name, batch.partition_key
        ):
            new_keys.append(batch.partition_key)
        watch.requested("url_batches", batch)
        submission = read_submission(landing.url_batches_dir, batch.partition_key)
        run_requests.append(
            dg.RunRequest(
                run_key=f"{batch.partition_key}:{batch.fingerprint}",
                partition_key=batch.partition_key,
                tags={
                    SOURCE_FILE_TAG: batch.name[:200],
                    **(submission.run_tags() if submission else {}),
                },
            )
        )
    if not run_requests:
        return dg.SkipReason("no new complete URL lists")
    context.log.info(f"requesting {len(run_requests)} batch run(s)")
    return landing_sensor_result(run_requests, watch.cursor(), url_batch_partitions, new_keys)


@dg.definitions
def sensors() -> dg.Definitions:
    return dg.Definitions(sensors=[url_batches_sensor])
