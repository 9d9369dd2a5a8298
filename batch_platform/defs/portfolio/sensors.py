"""The sensor that re-runs a month's health check when an office snapshot for it lands."""

import hashlib

import dagster as dg

from batch_platform.defs.common.landing_sensors import (
    landing_sensor,
    landing_sensor_result,
    requested_fingerprints,
)
from batch_platform.defs.common.resources import LandingResource
from batch_platform.defs.portfolio.jobs import monthly_portfolio_health_job
from batch_platform.defs.portfolio.logic.office_vocabulary import (
    NormaliseError,
    jurisdiction_code,
    parse_date,
)
from batch_platform.defs.portfolio.logic.registration_records import (
    OFFICE_COLUMNS,
    is_record_file,
    read_records,
)
from batch_platform.defs.portfolio.partitions import portfolio_months
from batch_platform.lib.landing import scan_landing_dir


def snapshot_months(path) -> tuple[set[str], int]:
    """Month partition keys of the ``as_of`` dates in a snapshot file, and rows without one."""
    months: set[str] = set()
    undated = 0
    for record in read_records(path, OFFICE_COLUMNS):
        code = jurisdiction_code(record.values.get("jurisdiction"))
        try:
            as_of = parse_date(record.values.get("as_of"), code, "as_of") if code else None
        except NormaliseError:
            as_of = None
        if as_of is None:
            undated += 1
        else:
            months.add(as_of.replace(day=1).isoformat())
    return months, undated


@landing_sensor(
    name="portfolio_office_snapshots_sensor",
    job=monthly_portfolio_health_job,
    minimum_interval_seconds=30,
    description="Watches <landing>/portfolio/office/. A complete new or changed snapshot file "
    "requests the health check of every month its as_of dates fall in.",
)
def portfolio_office_snapshots_sensor(
    context: dg.SensorEvaluationContext, landing: LandingResource
):
    seen = requested_fingerprints(context)
    files = scan_landing_dir(landing.portfolio_office_dir, is_record_file, landing.settle_after)
    valid_months = set(portfolio_months.get_partition_keys())
    changed = [f for f in files if seen.get(f.name) != f.fingerprint]
    if not changed:
        return dg.SkipReason(f"no new office snapshots ({len(files)} already seen)")
    months: set[str] = set()
    for landed in changed:
        seen[landed.name] = landed.fingerprint
        found, undated = snapshot_months(landed.path)
        outside = found - valid_months
        if undated or outside:
            context.log.warning(
                f"{landed.name}: {undated} row(s) without a readable as_of; months outside the "
                f"partitions ignored: {', '.join(sorted(outside)) or 'none'}"
            )
        months |= found & valid_months
    fingerprint = hashlib.sha1(
        ",".join(sorted(f"{f.name}={f.fingerprint}" for f in changed)).encode()
    ).hexdigest()[:12]
    context.log.info(f"{len(changed)} new office snapshot(s): months {', '.join(sorted(months))}")
    run_requests = [
        dg.RunRequest(
            run_key=f"{month}:{fingerprint}",
            partition_key=month,
            tags={"batch_platform/trigger": "office_snapshot"},
        )
        for month in sorted(months)
    ]
    return landing_sensor_result(run_requests, seen)


@dg.definitions
def sensors() -> dg.Definitions:
    return dg.Definitions(sensors=[portfolio_office_snapshots_sensor])
