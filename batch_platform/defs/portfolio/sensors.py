"""The sensors that re-run the health check: a month's when an office snapshot for it lands,
the current month's when a firm-records file lands or changes."""

import datetime as dt
import hashlib

import dagster as dg

from batch_platform.defs.common.landing_sensors import landing_sensor, landing_sensor_result
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
from batch_platform.defs.portfolio.schedules import current_month_partition_for
from batch_platform.lib.landing import LandingWatch


def changed_files_key(changed) -> str:
    """A short hash naming a set of changed files (a run key: the same change, one run)."""
    return hashlib.sha1(
        ",".join(sorted(f"{f.name}={f.fingerprint}" for f in changed)).encode()
    ).hexdigest()[:12]


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
    watch = LandingWatch(context.cursor)
    changed = watch.scan(
        "office",
        landing.portfolio_office_dir,
        is_record_file,
        landing.settle_after,
        legacy_key=lambda f: f.name,
    )
    valid_months = set(portfolio_months.get_partition_keys())
    if not changed:
        return dg.SkipReason("no new office snapshots")
    months: set[str] = set()
    for landed in changed:
        watch.requested("office", landed)
        found, undated = snapshot_months(landed.path)
        outside = found - valid_months
        if undated or outside:
            context.log.warning(
                f"{landed.name}: {undated} row(s) without a readable as_of; months outside the "
                f"partitions ignored: {', '.join(sorted(outside)) or 'none'}"
            )
        months |= found & valid_months
    fingerprint = changed_files_key(changed)
    context.log.info(f"{len(changed)} new office snapshot(s): months {', '.join(sorted(months))}")
    run_requests = [
        dg.RunRequest(
            run_key=f"{month}:{fingerprint}",
            partition_key=month,
            tags={"batch_platform/trigger": "office_snapshot"},
        )
        for month in sorted(months)
    ]
    return landing_sensor_result(run_requests, watch.cursor())


@landing_sensor(
    name="portfolio_firm_records_sensor",
    job=monthly_portfolio_health_job,
    minimum_interval_seconds=30,
    description="Watches <landing>/portfolio/firm_records/. A complete new or changed firm-records "
    "file re-runs the current month's health check (every month reads all firm-record files).",
)
def portfolio_firm_records_sensor(context: dg.SensorEvaluationContext, landing: LandingResource):
    watch = LandingWatch(context.cursor)
    changed = watch.scan(
        "firm_records",
        landing.portfolio_firm_records_dir,
        is_record_file,
        landing.settle_after,
        legacy_key=lambda f: f.name,
    )
    if not changed:
        return dg.SkipReason("no new firm-record files")
    for landed in changed:
        watch.requested("firm_records", landed)
    month = current_month_partition_for(dt.datetime.now(dt.UTC))
    context.log.info(
        f"{len(changed)} new or changed firm-record file(s): "
        f"{', '.join(f.name for f in changed[:10])}; sweeping {month[:7]}"
    )
    request = dg.RunRequest(
        run_key=f"{month}:{changed_files_key(changed)}",
        partition_key=month,
        tags={"batch_platform/trigger": "firm_records"},
    )
    return landing_sensor_result([request], watch.cursor())


@dg.definitions
def sensors() -> dg.Definitions:
    return dg.Definitions(
        sensors=[portfolio_office_snapshots_sensor, portfolio_firm_records_sensor]
    )
