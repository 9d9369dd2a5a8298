"""The facts alert conditions are judged on, read from the Dagster instance and the warehouse.

Each reader returns plain values for :mod:`batch_platform.defs.alerts.logic.conditions`;
nothing here decides what is wrong.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import dagster as dg
import duckdb

# Dagster has no public way to ask a cron schedule for its latest time; its scheduler's own
# iterator is used (time zones and clock changes handled as the scheduler handles them).
from dagster._core.scheduler.instigation import InstigatorStatus, InstigatorType
from dagster._utils.schedules import reverse_cron_string_iterator

from batch_platform.defs.alerts.logic.data_conditions import DeliveryTotals, FileRows
from batch_platform.defs.alerts.logic.run_conditions import (
    ActiveRun,
    ScheduleTicks,
    UsualDuration,
    usual_duration,
)
from batch_platform.defs.signals.assets.scores import LEAD_SCORES
from batch_platform.defs.signals.jobs import nightly_lead_scoring_job
from batch_platform.lib.sql_files import SqlFolder

load_sql = SqlFolder.of_domain(__file__)
ACTIVE_STATUSES = [
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
]
# Successful runs of a job its usual duration is the median of.
HISTORY_RUNS = 20


def utc(timestamp: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(timestamp, dt.UTC)


def naive_utc(moment: dt.datetime) -> dt.datetime:
    """As the warehouse stores times: UTC without a zone."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def scoring_progress(
    instance: dg.DagsterInstance, days: Sequence[dt.date]
) -> tuple[dict[dt.date, dt.datetime], dict[dt.date, str]]:
    """When each day's lead scores were first written, and its latest nightly run's status."""
    if not days:
        return {}, {}
    keys = [day.isoformat() for day in days]
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=LEAD_SCORES, asset_partitions=keys), limit=1000
    ).records
    finished: dict[dt.date, dt.datetime] = {}
    for record in records:
        day = dt.date.fromisoformat(record.partition_key)
        at = utc(record.timestamp)
        finished[day] = min(at, finished.get(day, at))
    latest_run = {}
    for day in days:
        runs = instance.get_run_records(
            dg.RunsFilter(
                job_name=nightly_lead_scoring_job.name,
                tags={"dagster/partition": day.isoformat()},
            ),
            limit=1,
        )
        if runs:
            latest_run[day] = f"{runs[0].dagster_run.status.value} ({runs[0].dagster_run.run_id})"
    return finished, latest_run


def active_runs(
    instance: dg.DagsterInstance,
) -> tuple[list[ActiveRun], dict[str, UsualDuration]]:
    """Runs queued or running, and the usual durations of their jobs."""
    records = instance.get_run_records(dg.RunsFilter(statuses=ACTIVE_STATUSES))
    active = [
        ActiveRun(
            run_id=record.dagster_run.run_id,
            job=record.dagster_run.job_name,
            status=record.dagster_run.status.value,
            created_at=record.create_timestamp.astimezone(dt.UTC),
            started_at=utc(record.start_time) if record.start_time else None,
        )
        for record in records
    ]
    usual = {}
    for job in sorted({run.job for run in active}):
        history = instance.get_run_records(
            dg.RunsFilter(job_name=job, statuses=[dg.DagsterRunStatus.SUCCESS]),
            limit=HISTORY_RUNS,
        )
        samples = [
            (r.create_timestamp.timestamp(), r.start_time, r.end_time)
            for r in history
            if r.start_time and r.end_time
        ]
        found = usual_duration(samples)
        if found is not None:
            usual[job] = found
    return active, usual


def schedule_ticks(
    instance: dg.DagsterInstance,
    schedules: Sequence[dg.ScheduleDefinition],
    now: dt.datetime,
    grace: dt.timedelta,
) -> list[ScheduleTicks]:
    """For every running schedule: its latest tick time past ``grace`` (since it was started)
    and what was recorded for it. A schedule the daemon has never seen is not judged: when it
    started is unknown."""
    states = {
        state.instigator_name: state
        for state in instance.all_instigator_state(instigator_type=InstigatorType.SCHEDULE)
    }
    found = []
    for schedule in schedules:
        state = states.get(schedule.name)
        if state is None or state.status == InstigatorStatus.STOPPED:
            continue
        started = getattr(state.instigator_data, "start_timestamp", None) or 0.0
        cron = schedule.cron_schedule
        crons = [cron] if isinstance(cron, str) else list(cron)
        latest = max(
            next(
                reverse_cron_string_iterator(
                    (now - grace).timestamp(), one, schedule.execution_timezone or "UTC"
                )
            )
            for one in crons
        )
        if latest.timestamp() < started:
            continue  # nothing was due since it started
        ticks = instance.get_ticks(
            state.instigator_origin_id,
            state.selector_id,
            after=latest.timestamp() - 1,
            limit=20,
        )
        tick = next((t for t in ticks if abs(t.timestamp - latest.timestamp()) < 1), None)
        found.append(
            ScheduleTicks(
                schedule.name,
                latest.astimezone(dt.UTC),
                tick.status.value if tick else None,
                tick.error.message.strip() if tick and tick.error else None,
            )
        )
    return found


def recent_signal_files(con: duckdb.DuckDBPyConnection, since: dt.datetime) -> list[FileRows]:
    rows = con.execute(load_sql("select_recent_signal_files"), {"since": naive_utc(since)})
    return [
        FileRows(key, name, modified.replace(tzinfo=dt.UTC), int(data_rows), int(quarantined))
        for key, name, modified, data_rows, quarantined in rows.fetchall()
    ]


def newest_signal(con: duckdb.DuckDBPyConnection) -> dt.datetime | None:
    (newest,) = con.execute(load_sql("select_newest_signal")).fetchone()
    return newest.replace(tzinfo=dt.UTC) if newest else None


def delivery_totals(con: duckdb.DuckDBPyConnection, since: dt.datetime) -> list[DeliveryTotals]:
    rows = con.execute(load_sql("select_delivery_totals"), {"since": naive_utc(since)})
    return [DeliveryTotals(d, int(a), int(s)) for d, a, s in rows.fetchall()]
