"""The sensor that turns landed files into partitions and runs."""

import json

import dagster as dg

from batch_platform.defs.common.resources import LandingResource
from batch_platform.defs.signals.jobs import firmographics_job, signal_file_ingest_job
from batch_platform.defs.signals.partitions import signal_file_partitions
from batch_platform.lib.landing import scan_landing_dir
from batch_platform.lib.signal_files import file_format

MAX_RUNS_PER_TICK = 500


def _is_firmographics_file(name: str) -> bool:
    return name.lower().endswith(".csv")


def _is_signal_file(name: str) -> bool:
    # Unsupported types are requested too: the raw asset quarantines them with a reason.
    return True


@dg.sensor(
    name="signal_files_sensor",
    jobs=[signal_file_ingest_job, firmographics_job],
    minimum_interval_seconds=5,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Watches <landing>/signals/ and <landing>/firmographics/. A file is picked up "
    "once it has a <name>.done marker or has not changed for settle_seconds.",
)
def signal_files_sensor(context: dg.SensorEvaluationContext, landing: LandingResource):
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    signals = scan_landing_dir(landing.signals_dir, _is_signal_file, landing.settle_after)
    firmographics = scan_landing_dir(
        landing.firmographics_dir, _is_firmographics_file, landing.settle_after
    )
    new_keys: list[str] = []
    run_requests: list[dg.RunRequest] = []
    for landed in signals:
        cursor_key = f"signals/{landed.partition_key}"
        if seen.get(cursor_key) == landed.fingerprint:
            continue
        if len(run_requests) >= MAX_RUNS_PER_TICK:
            break
        if cursor_key not in seen:
            new_keys.append(landed.partition_key)
        seen[cursor_key] = landed.fingerprint
        run_requests.append(
            dg.RunRequest(
                run_key=f"{landed.partition_key}:{landed.fingerprint}",
                job_name=signal_file_ingest_job.name,
                partition_key=landed.partition_key,
                tags={
                    "batch_platform/source_file": landed.name[:200],
                    "batch_platform/file_format": (file_format(landed.name) or ("unknown",))[0],
                },
            )
        )
    changed_firmographics = [
        f for f in firmographics if seen.get(f"firmographics/{f.name}") != f.fingerprint
    ]
    if changed_firmographics:
        for f in changed_firmographics:
            seen[f"firmographics/{f.name}"] = f.fingerprint
        fingerprint = ",".join(sorted(f"{f.name}={f.fingerprint}" for f in changed_firmographics))
        run_requests.insert(
            0,
            dg.RunRequest(
                run_key=f"firmographics:{hash(fingerprint) & 0xFFFFFFFF:08x}",
                job_name=firmographics_job.name,
                tags={"dagster/priority": "1"},
            ),
        )
    if not run_requests:
        return dg.SkipReason(
            f"no new complete files ({len(signals)} signal files already requested)"
        )
    context.log.info(f"requesting {len(run_requests)} run(s); {len(new_keys)} new partition(s)")
    return dg.SensorResult(
        run_requests=run_requests,
        cursor=json.dumps(seen, separators=(",", ":")),
        dynamic_partitions_requests=[signal_file_partitions.build_add_request(new_keys)]
        if new_keys
        else [],
    )


@dg.definitions
def sensors() -> dg.Definitions:
    return dg.Definitions(sensors=[signal_files_sensor])
