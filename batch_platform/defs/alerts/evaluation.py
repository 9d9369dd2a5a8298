"""Every alert condition evaluated at one moment: the facts gathered, the conditions judged.

Conditions about data (quarantine shares, the newest signal, delivery success) read the
warehouse; the others (nightly scoring, overdue runs, schedule ticks) the Dagster instance. A
group whose facts cannot be read is reported as not evaluated, so its open incidents stay open
rather than being announced as resolved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field

import dagster as dg
import duckdb

from batch_platform.defs.alerts import facts
from batch_platform.defs.alerts.logic.alert_settings import AlertSettings
from batch_platform.defs.alerts.logic.data_conditions import (
    delivery_success,
    quarantine_shares,
    stale_signals,
)
from batch_platform.defs.alerts.logic.findings import Finding
from batch_platform.defs.alerts.logic.run_conditions import (
    days_due,
    late_nightly_scoring,
    missed_schedules,
    overdue_runs,
)
from batch_platform.defs.signals.partitions import TIMEZONE

DATA_CONDITIONS = ("quarantine_share", "signals_stale", "delivery_success")


def current_time() -> dt.datetime:
    """Now, timezone-aware: the one clock of alerts (tests set it)."""
    return dt.datetime.now(dt.UTC)


@dataclass
class Evaluation:
    findings: list[Finding] = field(default_factory=list)
    # Conditions whose facts could not be read this time, with why.
    unevaluated: dict[str, str] = field(default_factory=dict)


def data_findings(
    con: duckdb.DuckDBPyConnection,
    now: dt.datetime,
    since: dt.datetime,
    settings: AlertSettings,
    min_delivery_success: float,
) -> list[Finding]:
    """The conditions about data, judged on the warehouse ``con`` reads."""
    files = facts.recent_signal_files(con, now - settings.quarantine_window)
    return [
        *quarantine_shares(files, settings, TIMEZONE),
        *stale_signals(now, since, facts.newest_signal(con), settings),
        *delivery_success(
            facts.delivery_totals(con, now - settings.delivery_window),
            min_delivery_success,
            settings,
        ),
    ]


def instance_findings(
    instance: dg.DagsterInstance,
    schedules: Sequence[dg.ScheduleDefinition],
    now: dt.datetime,
    since: dt.datetime,
    settings: AlertSettings,
) -> dict[str, Callable[[], list[Finding]]]:
    """The conditions about runs and schedules, judged on the Dagster instance: each one's
    judgement, to be called (and to fail) on its own."""

    def nightly() -> list[Finding]:
        days = days_due(now, since, settings.scoring_deadline, TIMEZONE)
        finished, latest_run = facts.scoring_progress(instance, days)
        return late_nightly_scoring(now, since, finished, latest_run, settings, TIMEZONE)

    def overdue() -> list[Finding]:
        active, usual = facts.active_runs(instance)
        return overdue_runs(now, active, usual, settings)

    def ticks() -> list[Finding]:
        found = facts.schedule_ticks(instance, schedules, now, settings.schedule_grace)
        return missed_schedules(found, settings, TIMEZONE)

    return {"nightly_scoring_late": nightly, "run_overdue": overdue, "schedule_missed": ticks}


def evaluate(
    instance: dg.DagsterInstance,
    schedules: Sequence[dg.ScheduleDefinition],
    open_warehouse: Callable[[], AbstractContextManager[duckdb.DuckDBPyConnection]],
    *,
    now: dt.datetime,
    since: dt.datetime,
    settings: AlertSettings,
    min_delivery_success: float,
) -> Evaluation:
    evaluation = Evaluation()
    judgements = instance_findings(instance, schedules, now, since, settings)
    for condition, judge in judgements.items():
        try:
            evaluation.findings += judge()
        except Exception as error:  # one unreadable fact must not silence the others
            evaluation.unevaluated[condition] = f"the instance: {error}"
    try:
        with open_warehouse() as con:
            evaluation.findings += data_findings(con, now, since, settings, min_delivery_success)
    except Exception as error:
        evaluation.unevaluated |= dict.fromkeys(DATA_CONDITIONS, f"the warehouse: {error}")
    return evaluation
