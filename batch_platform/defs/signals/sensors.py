"""The sensor that turns landed files into partitions and runs."""

import hashlib
from pathlib import Path

import dagster as dg

from batch_platform.defs.common.landing_sensors import (
    existing_partitions,
    landing_sensor,
    landing_sensor_result,
)
from batch_platform.defs.common.resources import LandingResource
from batch_platform.defs.signals.jobs import (
    firmographics_job,
    intent_file_ingest_job,
    signal_file_ingest_job,
)
from batch_platform.defs.signals.logic.signal_batches import (
    BatchFile,
    batch_key,
    write_manifest,
)
from batch_platform.defs.signals.logic.signal_file_format import file_format
from batch_platform.defs.signals.partitions import intent_file_partitions, signal_file_partitions
from batch_platform.lib.landing import LandedFile, LandingWatch

MAX_RUNS_PER_TICK = 500
# Files that land together are one partition (a landing batch: far fewer runs and events than a
# partition and run per file), bounded so that one run stays a modest unit of work: at most
# $BATCH_PLATFORM_MAX_FILES_PER_RUN files (1 = a partition and run per file) and this many bytes.
MAX_BYTES_PER_RUN = 2 * 1024**3
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


def _is_firmographics_file(name: str) -> bool:
    return name.lower().endswith(".csv")


@landing_sensor(
    name="signal_files_sensor",
    jobs=[signal_file_ingest_job, firmographics_job],
    description="Watches <landing>/signals/ and <landing>/firmographics/. A file is picked up "
    "once it has a <name>.done marker or has not changed for settle_seconds.",
)
def signal_files_sensor(context: dg.SensorEvaluationContext, landing: LandingResource):
    watch = LandingWatch(context.cursor)
    signals = watch.scan(
        "signals",
        landing.signals_dir,
        settle_seconds=landing.settle_after,
        legacy_key=lambda f: f"signals/{f.partition_key}",
    )
    changed_firmographics = watch.scan(
        "firmographics",
        landing.firmographics_dir,
        _is_firmographics_file,
        landing.settle_after,
        legacy_key=lambda f: f"firmographics/{f.name}",
    )
    existing = existing_partitions(
        context, signal_file_partitions, [f.partition_key for f in signals]
    )
    new_files: list[LandedFile] = []
    run_requests: list[dg.RunRequest] = []
    files_per_run = landing.files_per_run  # read from the environment once a tick, not per file
    for landed in signals:
        if len(run_requests) + len(new_files) // files_per_run >= MAX_RUNS_PER_TICK:
            break
        watch.requested("signals", landed)
        if landed.partition_key in existing:
            # A rewritten file: its partition is reloaded on its own.
            run_requests.append(_ingest_request([landed]))
        else:
            new_files.append(landed)
    # A batch of new files is one partition (a landing batch); new partitions are added in
    # this order, so a batch that falls back to a partition per file is a contiguous range.
    new_keys: list[str] = []
    for batch in _batches(new_files, files_per_run):
        request, keys = _new_files_request(context, batch, landing.signals_dir)
        run_requests.append(request)
        new_keys += keys
    if changed_firmographics:
        for f in changed_firmographics:
            watch.requested("firmographics", f)
        fingerprint = ",".join(sorted(f"{f.name}={f.fingerprint}" for f in changed_firmographics))
        run_requests.insert(
            0,
            dg.RunRequest(
                run_key=f"firmographics:{hashlib.sha256(fingerprint.encode()).hexdigest()[:16]}",
                job_name=firmographics_job.name,
                tags={"dagster/priority": "1"},
            ),
        )
    if not run_requests:
        return dg.SkipReason("no new complete files")
    context.log.info(f"requesting {len(run_requests)} run(s); {len(new_keys)} new partition(s)")
    return landing_sensor_result(run_requests, watch.cursor(), signal_file_partitions, new_keys)


def _batches(files: list[LandedFile], max_files: int) -> list[list[LandedFile]]:
    batches: list[list[LandedFile]] = []
    size = 0
    for landed in files:
        if not batches or len(batches[-1]) >= max_files or (size + landed.size > MAX_BYTES_PER_RUN):
            batches.append([])
            size = 0
        batches[-1].append(landed)
        size += landed.size
    return batches


def _new_files_request(
    context: dg.SensorEvaluationContext, files: list[LandedFile], signals_dir: Path
) -> tuple[dg.RunRequest, list[str]]:
    """The run for new files that land together, and the partitions it needs: one file's own
    partition, or one partition for the batch (``signal_batches``: its manifest is written
    first). Where the manifest cannot be written, each file gets its partition and one run
    covers their range."""
    if len(files) == 1:
        return _ingest_request(files), [files[0].partition_key]
    members = [BatchFile(f.partition_key, f.name, f.fingerprint) for f in files]
    key = batch_key(members)
    try:
        write_manifest(signals_dir, key, members)
    except OSError as error:
        context.log.warning(
            f"cannot write a landing batch's manifest under {signals_dir} ({error}); its "
            f"{len(files)} files get a partition each, loaded by one run over their range"
        )
        return _ingest_request(files), [f.partition_key for f in files]
    return dg.RunRequest(
        run_key=key,
        job_name=signal_file_ingest_job.name,
        partition_key=key,
        tags=_files_tags(files),
    ), [key]


def _ingest_request(files: list[LandedFile]) -> dg.RunRequest:
    """One run for one file (a partition) or for several (a range of partitions)."""
    first, last = files[0], files[-1]
    if len(files) == 1:
        return dg.RunRequest(
            run_key=f"{first.partition_key}:{first.fingerprint}",
            job_name=signal_file_ingest_job.name,
            partition_key=first.partition_key,
            tags={
                "batch_platform/source_file": first.name[:200],
                "batch_platform/file_format": (file_format(first.name) or ("unknown",))[0],
            },
        )
    fingerprints = "\n".join(f"{f.partition_key}={f.fingerprint}" for f in files)
    digest = hashlib.sha256(fingerprints.encode()).hexdigest()[:16]
    return dg.RunRequest(
        run_key=f"files:{first.partition_key}..{last.partition_key}:{digest}",
        job_name=signal_file_ingest_job.name,
        tags=dict(zip(RANGE_TAGS, (first.partition_key, last.partition_key), strict=True))
        | _files_tags(files),
    )


def _files_tags(files: list[LandedFile]) -> dict[str, str]:
    """The tags of a run of several files: how many, and the first and last names."""
    return {
        "batch_platform/files": str(len(files)),
        "batch_platform/source_file": f"{files[0].name[:95]} … {files[-1].name[:95]}",
    }


@landing_sensor(
    name="intent_files_sensor",
    job=intent_file_ingest_job,
    description="Watches <landing>/intent/. A complete new or changed intent-provider export gets "
    "its own partition and a run validating it.",
)
def intent_files_sensor(context: dg.SensorEvaluationContext, landing: LandingResource):
    watch = LandingWatch(context.cursor)
    changed = watch.scan(
        "intent",
        landing.intent_dir,
        settle_seconds=landing.settle_after,
        legacy_key=lambda f: f.partition_key,
    )[:MAX_RUNS_PER_TICK]
    if not changed:
        return dg.SkipReason("no new complete intent files")
    for landed in changed:
        watch.requested("intent", landed)
    existing = existing_partitions(
        context, intent_file_partitions, [f.partition_key for f in changed]
    )
    new_keys = [f.partition_key for f in changed if f.partition_key not in existing]
    run_requests = [
        dg.RunRequest(
            run_key=f"{landed.partition_key}:{landed.fingerprint}",
            partition_key=landed.partition_key,
            tags={"batch_platform/source_file": landed.name[:200]},
        )
        for landed in changed
    ]
    context.log.info(f"requesting {len(run_requests)} run(s); {len(new_keys)} new partition(s)")
    return landing_sensor_result(run_requests, watch.cursor(), intent_file_partitions, new_keys)


@dg.definitions
def sensors() -> dg.Definitions:
    return dg.Definitions(sensors=[signal_files_sensor, intent_files_sensor])
