"""Conditions about runs and schedules, judged on facts from the Dagster instance: the nightly
scores by their deadline, runs far past their usual time, schedules that did not tick.

Each is a pure function of facts and ``now`` (timezone-aware); ``since`` is when watching began,
so a fresh platform is not alerted about nights before it existed.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from batch_platform.defs.alerts.logic.alert_settings import AlertSettings
from batch_platform.defs.alerts.logic.findings import Finding, duration, local_time

# A deadline's day stays watched this long after it passed (then a late night is stale news).
LATE_SCORING_LOOKBACK = dt.timedelta(days=3)


# ---------------------------------------------------------------- nightly scoring by its deadline
def scoring_deadline(day: dt.date, deadline: dt.time, timezone: str) -> dt.datetime:
    """When the scores of ``day`` must be finished: ``deadline`` on the morning after."""
    return dt.datetime.combine(day + dt.timedelta(days=1), deadline, tzinfo=ZoneInfo(timezone))


def days_due(
    now: dt.datetime, since: dt.datetime, deadline: dt.time, timezone: str
) -> list[dt.date]:
    """The days whose deadline has passed since watching began (the last few days only)."""
    today = now.astimezone(ZoneInfo(timezone)).date()
    days = [today - dt.timedelta(days=n) for n in range(1, LATE_SCORING_LOOKBACK.days + 2)]
    return sorted(
        day
        for day in days
        if since <= scoring_deadline(day, deadline, timezone) <= now
        and now - scoring_deadline(day, deadline, timezone) < LATE_SCORING_LOOKBACK
    )


def late_nightly_scoring(
    now: dt.datetime,
    since: dt.datetime,
    finished: Mapping[dt.date, dt.datetime],
    latest_run: Mapping[dt.date, str],
    settings: AlertSettings,
    timezone: str,
) -> list[Finding]:
    """A day whose scores were not finished by the deadline and still are not.

    ``finished`` holds when each day's lead scores were first written; ``latest_run`` the
    status of its latest ``nightly_lead_scoring`` run, if any.
    """
    findings = []
    for day in days_due(now, since, settings.scoring_deadline, timezone):
        if day in finished:
            continue
        deadline = scoring_deadline(day, settings.scoring_deadline, timezone)
        run = latest_run.get(day)
        findings.append(
            Finding.of(
                "nightly_scoring_late",
                day.isoformat(),
                "critical",
                f"nightly scoring late: the scores of {day} were not finished by "
                f"{local_time(deadline, timezone)}",
                f"latest nightly_lead_scoring run of {day}: {run}"
                if run
                else f"no nightly_lead_scoring run of {day} has started",
            )
        )
    return findings


# ---------------------------------------------------------------- runs far past their usual time
@dataclass(frozen=True)
class ActiveRun:
    run_id: str
    job: str
    status: str  # QUEUED, NOT_STARTED, STARTING, STARTED
    created_at: dt.datetime
    started_at: dt.datetime | None


@dataclass(frozen=True)
class UsualDuration:
    """A job's median durations over its recent successful runs."""

    runs: int
    running: dt.timedelta  # start to end
    total: dt.timedelta  # queued to end


def usual_duration(samples: Sequence[tuple[float, float, float]]) -> UsualDuration | None:
    """From (created, started, ended) timestamps of successful runs; None without any."""
    if not samples:
        return None
    return UsualDuration(
        runs=len(samples),
        running=dt.timedelta(seconds=statistics.median(end - start for _, start, end in samples)),
        total=dt.timedelta(seconds=statistics.median(end - made for made, _, end in samples)),
    )


def overdue_runs(
    now: dt.datetime,
    active: Sequence[ActiveRun],
    usual: Mapping[str, UsualDuration],
    settings: AlertSettings,
) -> list[Finding]:
    """A run queued or running far past its job's usual duration: more than ``overdue_factor``
    times it and ``overdue_margin`` beyond it. A job with too little history is not judged (its
    run limit, ``dagster/max_runtime``, still applies)."""
    findings = []
    for run in active:
        history = usual.get(run.job)
        if history is None or history.runs < settings.overdue_history:
            continue
        if run.started_at is not None:
            elapsed, typical, doing = now - run.started_at, history.running, "running"
        else:
            elapsed, typical, doing = now - run.created_at, history.total, "queued"
        limit = max(typical * settings.overdue_factor, typical + settings.overdue_margin)
        if elapsed <= limit:
            continue
        findings.append(
            Finding.of(
                "run_overdue",
                run.run_id,
                "warning",
                f"run overdue: {run.job} run {run.run_id} {doing} for {duration(elapsed)}, "
                f"usually {duration(typical)}",
                f"status {run.status}; alert beyond {duration(limit)} (the median of "
                f"{history.runs} successful runs × {settings.overdue_factor:g}, at least "
                f"{duration(settings.overdue_margin)} more)",
            )
        )
    return findings


# ---------------------------------------------------------------- schedules that did not tick
@dataclass(frozen=True)
class ScheduleTicks:
    name: str
    expected_at: dt.datetime | None  # its latest tick time past the grace, since it started
    ticked: str | None  # the status of the tick recorded for expected_at, if any
    error: str | None  # that tick's error, if it failed


def missed_schedules(
    schedules: Sequence[ScheduleTicks], settings: AlertSettings, timezone: str
) -> list[Finding]:
    """A running schedule with no tick for its latest time (past the grace), or a failed one."""
    findings = []
    for schedule in schedules:
        if schedule.expected_at is None or schedule.ticked in ("SUCCESS", "SKIPPED", "STARTED"):
            continue
        when = local_time(schedule.expected_at, timezone)
        if schedule.ticked == "FAILURE":
            title = f"schedule tick failed: {schedule.name} at {when}"
            detail = f"the tick's error: {schedule.error or 'none recorded'}"
        else:
            title = f"schedule did not tick: {schedule.name} at {when}"
            detail = (
                f"no tick recorded {duration(settings.schedule_grace)} after its time; is the "
                "dagster-daemon running?"
            )
        findings.append(Finding.of("schedule_missed", schedule.name, "critical", title, detail))
    return findings
