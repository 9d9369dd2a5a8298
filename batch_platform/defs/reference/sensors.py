"""The sensor that notices a change of the reference data (the project's file, or the shipped
defaults after an upgrade) and observes the sets that changed."""

import hashlib
import json

import dagster as dg

from batch_platform.defs.common.landing_sensors import requested_fingerprints
from batch_platform.defs.reference.assets import KEYS_BY_SET
from batch_platform.defs.reference.jobs import reference_data_observation_job
from batch_platform.defs.reference.logic.reference_sets import effective_reference, reference_sets


@dg.sensor(
    name="reference_file_sensor",
    job=reference_data_observation_job,
    minimum_interval_seconds=30,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches the reference data ($BATCH_PLATFORM_REFERENCE and the shipped "
    "defaults). A set whose content changed is observed again: its new data version marks "
    "what reads it stale. A bad file fails the tick, naming the file, the entry and the rule.",
)
def reference_file_sensor(context: dg.SensorEvaluationContext):
    observed = requested_fingerprints(context)
    versions = {
        name: reference_set.version
        for name, reference_set in reference_sets(effective_reference()).items()
    }
    changed = sorted(name for name, version in versions.items() if observed.get(name) != version)
    if not changed:
        return dg.SkipReason(f"no reference set changed ({len(versions)} sets)")
    context.log.info(f"reference sets changed: {', '.join(changed)}")
    run_key = hashlib.sha1(
        json.dumps({name: versions[name] for name in changed}, sort_keys=True).encode()
    ).hexdigest()[:16]
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                run_key=run_key,
                asset_selection=[KEYS_BY_SET[name] for name in changed],
                tags={"batch_platform/trigger": "reference_data"},
            )
        ],
        cursor=json.dumps(versions, sort_keys=True, separators=(",", ":")),
    )


@dg.definitions
def sensors() -> dg.Definitions:
    return dg.Definitions(sensors=[reference_file_sensor])
