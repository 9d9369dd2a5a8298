"""The sensor that turns URL lists in <landing>/url_batches/ into batch partitions and runs."""

import dagster as dg

from batch_platform.defs.common.landing_sensors import (
    landing_sensor,
    landing_sensor_result,
    requested_fingerprints,
)
from batch_platform.defs.common.resources import LandingResource
from batch_platform.defs.content.jobs import content_batch_job
from batch_platform.defs.content.partitions import url_batch_partitions
from batch_platform.lib.landing import scan_landing_dir

MAX_RUNS_PER_TICK = 100
SOURCE_FILE_TAG = "batch_platform/source_file"


@landing_sensor(
    name="url_batches_sensor",
    job=content_batch_job,
    description="Watches <landing>/url_batches/: each complete URL list (.done marker, or "
    "unchanged for settle_seconds) becomes a batch partition and a content_batch_ingest run.",
)
def url_batches_sensor(context: dg.SensorEvaluationContext, landing: LandingResource):
    seen = requested_fingerprints(context)
    landed = scan_landing_dir(landing.url_batches_dir, settle_seconds=landing.settle_after)
    new_keys: list[str] = []
    run_requests: list[dg.RunRequest] = []
    for batch in landed:
        if seen.get(batch.partition_key) == batch.fingerprint:
            continue
        if len(run_requests) >= MAX_RUNS_PER_TICK:
            break
        if batch.partition_key not in seen:
            new_keys.append(batch.partition_key)
        seen[batch.partition_key] = batch.fingerprint
        run_requests.append(
            dg.RunRequest(
                run_key=f"{batch.partition_key}:{batch.fingerprint}",
                partition_key=batch.partition_key,
                tags={SOURCE_FILE_TAG: batch.name[:200]},
            )
        )
    if not run_requests:
        return dg.SkipReason(f"no new complete URL lists ({len(landed)} already requested)")
    context.log.info(f"requesting {len(run_requests)} batch run(s)")
    return landing_sensor_result(run_requests, seen, url_batch_partitions, new_keys)


@dg.definitions
def sensors() -> dg.Definitions:
    return dg.Definitions(sensors=[url_batches_sensor])
