"""Facts read from a real Dagster instance: schedule ticks, runs and their usual durations."""

import datetime as dt
import uuid
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from dagster._core.remote_origin import (
    RegisteredCodeLocationOrigin,
    RemoteInstigatorOrigin,
    RemoteRepositoryOrigin,
)
from dagster._core.scheduler.instigation import (
    InstigatorState,
    InstigatorStatus,
    InstigatorType,
    ScheduleInstigatorData,
    TickData,
    TickStatus,
)
from dagster._utils.error import SerializableErrorInfo

from batch_platform.defs.alerts.facts import active_runs, schedule_ticks
from batch_platform.defs.alerts.logic.alert_settings import AlertSettings
from batch_platform.defs.alerts.logic.run_conditions import missed_schedules, overdue_runs
from batch_platform.defs.signals.schedules import nightly_lead_scoring_schedule

NEW_YORK = ZoneInfo("America/New_York")
SETTINGS = AlertSettings()


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


def declare(instance, schedule: dg.ScheduleDefinition, started: dt.datetime) -> InstigatorState:
    """The state the daemon stores for a schedule running since ``started``."""
    repository = RemoteRepositoryOrigin(RegisteredCodeLocationOrigin("batch_platform"), "__repo__")
    state = InstigatorState(
        RemoteInstigatorOrigin(repository, schedule.name),
        InstigatorType.SCHEDULE,
        InstigatorStatus.DECLARED_IN_CODE,
        ScheduleInstigatorData(schedule.cron_schedule, started.timestamp()),
    )
    return instance.add_instigator_state(state)


def tick(instance, state: InstigatorState, at: dt.datetime, status: TickStatus) -> None:
    """A tick as the scheduler records it: stamped with the schedule's time."""
    error = (
        SerializableErrorInfo("the code location could not be loaded", [], "Error")
        if status == TickStatus.FAILURE
        else None
    )
    instance.create_tick(
        TickData(
            instigator_origin_id=state.instigator_origin_id,
            instigator_name=state.instigator_name,
            instigator_type=InstigatorType.SCHEDULE,
            status=status,
            timestamp=at.timestamp(),
            run_ids=[],
            error=error,
            selector_id=state.selector_id,
        )
    )


def judged(instance, now: dt.datetime) -> list[str]:
    ticks = schedule_ticks(instance, [nightly_lead_scoring_schedule], now, SETTINGS.schedule_grace)
    return [f.title for f in missed_schedules(ticks, SETTINGS, "America/New_York")]


def test_a_schedule_that_did_not_tick_is_found_until_it_ticks(instance):
    schedule = nightly_lead_scoring_schedule  # 02:00 New York
    state = declare(instance, schedule, dt.datetime(2026, 11, 20, 12, 0, tzinfo=NEW_YORK))
    tick(instance, state, dt.datetime(2026, 11, 21, 2, 0, tzinfo=NEW_YORK), TickStatus.SUCCESS)
    # Within the 10 minutes' grace the latest time judged is still the 21st's, which ticked.
    assert judged(instance, dt.datetime(2026, 11, 22, 2, 9, tzinfo=NEW_YORK)) == []
    assert judged(instance, dt.datetime(2026, 11, 22, 2, 11, tzinfo=NEW_YORK)) == [
        "schedule did not tick: nightly_lead_scoring_schedule at 2026-11-22 02:00 EST"
    ]
    tick(instance, state, dt.datetime(2026, 11, 22, 2, 0, tzinfo=NEW_YORK), TickStatus.SKIPPED)
    assert judged(instance, dt.datetime(2026, 11, 22, 2, 12, tzinfo=NEW_YORK)) == []


def test_a_failed_tick_is_found_and_nothing_is_expected_before_the_schedule_started(instance):
    schedule = nightly_lead_scoring_schedule
    state = declare(instance, schedule, dt.datetime(2026, 11, 22, 1, 0, tzinfo=NEW_YORK))
    # Started at 01:00 on the 22nd: the 21st's 02:00 was never due.
    assert judged(instance, dt.datetime(2026, 11, 22, 1, 30, tzinfo=NEW_YORK)) == []
    tick(instance, state, dt.datetime(2026, 11, 22, 2, 0, tzinfo=NEW_YORK), TickStatus.FAILURE)
    assert judged(instance, dt.datetime(2026, 11, 22, 3, 0, tzinfo=NEW_YORK)) == [
        "schedule tick failed: nightly_lead_scoring_schedule at 2026-11-22 02:00 EST"
    ]
    stopped = state.with_status(InstigatorStatus.STOPPED)
    instance.update_instigator_state(stopped)
    assert judged(instance, dt.datetime(2026, 11, 22, 3, 0, tzinfo=NEW_YORK)) == []


@dg.asset
def quick_asset() -> None:
    """A run that takes a moment, for history."""


def test_a_run_queued_far_past_its_jobs_usual_time_is_overdue(instance):
    for _ in range(3):
        dg.materialize([quick_asset], instance=instance)
    # Submitted, never started (a queued run needs a code location to be stored here).
    queued = dg.DagsterRun(
        job_name="__ephemeral_asset_job__",
        run_id=str(uuid.uuid4()),
        status=dg.DagsterRunStatus.NOT_STARTED,
    )
    instance.add_run(queued)
    active, usual = active_runs(instance)
    assert [(r.run_id, r.status, r.started_at) for r in active] == [
        (queued.run_id, "NOT_STARTED", None)
    ]
    history = usual["__ephemeral_asset_job__"]
    assert history.runs == 3 and history.total < dt.timedelta(seconds=30)
    created = active[0].created_at
    # Usually seconds: alerted only beyond 3× that and 15 minutes more.
    assert overdue_runs(created + dt.timedelta(minutes=15), active, usual, SETTINGS) == []
    [finding] = overdue_runs(created + dt.timedelta(minutes=20), active, usual, SETTINGS)
    assert finding.fingerprint == f"run_overdue:{queued.run_id}"
    assert finding.title.startswith(
        f"run overdue: __ephemeral_asset_job__ run {queued.run_id} queued for 20 min, usually "
    )
