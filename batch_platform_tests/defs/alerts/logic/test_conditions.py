"""Each alert condition judged on hand-made facts at a given "now"."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from batch_platform.defs.alerts.logic.alert_settings import AlertSettings, load_alert_settings
from batch_platform.defs.alerts.logic.data_conditions import (
    DeliveryTotals,
    FileRows,
    delivery_success,
    quarantine_shares,
    stale_signals,
)
from batch_platform.defs.alerts.logic.run_conditions import (
    ActiveRun,
    ScheduleTicks,
    UsualDuration,
    days_due,
    late_nightly_scoring,
    missed_schedules,
    overdue_runs,
    usual_duration,
)

TZ = "America/New_York"
NY = ZoneInfo(TZ)
SETTINGS = AlertSettings()
LONG_AGO = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def ny(day: str, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), NY)


# ---------------------------------------------------------------- nightly scoring
@pytest.mark.parametrize(
    ("now", "since", "due"),
    [
        (ny("2026-11-22", 5, 59), LONG_AGO, ["2026-11-18", "2026-11-19", "2026-11-20"]),
        (ny("2026-11-22", 6, 0), LONG_AGO, ["2026-11-19", "2026-11-20", "2026-11-21"]),
        (ny("2026-11-22", 6, 0), ny("2026-11-21", 12), ["2026-11-21"]),
        (ny("2026-11-22", 6, 0), ny("2026-11-22", 6, 1), []),
        # 1 November: clocks go back at 02:00; 06:00 is still 06:00 local (11:00 UTC).
        (dt.datetime(2026, 11, 1, 11, 0, tzinfo=dt.UTC), ny("2026-10-31", 12), ["2026-10-31"]),
        (dt.datetime(2026, 11, 1, 10, 59, tzinfo=dt.UTC), ny("2026-10-31", 12), []),
    ],
)
def test_days_due_are_those_whose_deadline_passed_while_watching(now, since, due):
    days = days_due(now, since, SETTINGS.scoring_deadline, TZ)
    assert [d.isoformat() for d in days] == due


def test_a_day_not_finished_by_its_deadline_is_late_until_it_is():
    day = dt.date(2026, 11, 21)
    since = ny("2026-11-21", 12)
    late = late_nightly_scoring(ny("2026-11-22", 6, 5), since, {}, {}, SETTINGS, TZ)
    assert [(f.fingerprint, f.severity) for f in late] == [
        ("nightly_scoring_late:2026-11-21", "critical")
    ]
    running = late_nightly_scoring(
        ny("2026-11-22", 6, 5), since, {}, {day: "STARTED (r1)"}, SETTINGS, TZ
    )
    assert running[0].detail == "latest nightly_lead_scoring run of 2026-11-21: STARTED (r1)"
    finished_late = {day: ny("2026-11-22", 7, 0)}
    after = ny("2026-11-22", 7, 1)
    assert late_nightly_scoring(after, since, finished_late, {}, SETTINGS, TZ) == []


def test_the_deadline_is_a_setting():
    settings = load_alert_settings({"BATCH_PLATFORM_ALERT_SCORING_DEADLINE": "04:30"})
    since = ny("2026-11-21", 12)
    assert late_nightly_scoring(ny("2026-11-22", 4, 31), since, {}, {}, settings, TZ)
    with pytest.raises(ValueError, match="BATCH_PLATFORM_ALERT_SCORING_DEADLINE must be a time"):
        load_alert_settings({"BATCH_PLATFORM_ALERT_SCORING_DEADLINE": "6am"})


# ---------------------------------------------------------------- overdue runs
def test_usual_duration_is_the_median_of_successful_runs():
    samples = [(0, 10, 70), (0, 5, 65), (0, 100, 1000)]  # created, started, ended
    usual = usual_duration(samples)
    assert (usual.runs, usual.running, usual.total) == (
        3, dt.timedelta(seconds=60), dt.timedelta(seconds=70)
    )  # fmt: skip
    assert usual_duration([]) is None


@pytest.mark.parametrize(
    ("started_minutes_ago", "created_minutes_ago", "history_runs", "overdue"),
    [
        (60, 61, 5, False),  # usual 30 min: alert beyond 90 min
        (91, 92, 5, True),
        (None, 106, 5, True),  # queued: judged on the total (35 min usual: beyond 105)
        (None, 100, 5, False),
        (500, 501, 2, False),  # too little history to judge
    ],
)
def test_a_run_is_overdue_beyond_three_times_its_usual_duration(
    started_minutes_ago, created_minutes_ago, history_runs, overdue
):
    now = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)
    run = ActiveRun(
        "r1",
        "nightly_lead_scoring",
        "STARTED" if started_minutes_ago else "QUEUED",
        now - dt.timedelta(minutes=created_minutes_ago),
        now - dt.timedelta(minutes=started_minutes_ago) if started_minutes_ago else None,
    )
    usual = {
        "nightly_lead_scoring": UsualDuration(
            history_runs, dt.timedelta(minutes=30), dt.timedelta(minutes=35)
        )
    }
    assert bool(overdue_runs(now, [run], usual, SETTINGS)) is overdue


def test_a_short_job_gets_at_least_the_margin():
    now = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)
    usual = {"ingest": UsualDuration(10, dt.timedelta(seconds=8), dt.timedelta(seconds=10))}
    run = ActiveRun("r2", "ingest", "STARTED", now, now - dt.timedelta(minutes=15))
    assert overdue_runs(now, [run], usual, SETTINGS) == []  # 3 × 8 s, but 15 min 8 s at least
    run = ActiveRun("r2", "ingest", "STARTED", now, now - dt.timedelta(minutes=16))
    assert overdue_runs(now, [run], usual, SETTINGS)[0].title == (
        "run overdue: ingest run r2 running for 16 min, usually 8 s"
    )


# ---------------------------------------------------------------- quarantine shares
def file_rows(key: str, landed: dt.datetime, rows: int, quarantined: int) -> FileRows:
    return FileRows(key, f"{key}.csv", landed, rows, quarantined)


@pytest.mark.parametrize(
    ("files", "fingerprints"),
    [
        ([("a", 1000, 1)], []),  # exactly 0.1%: not over
        ([("a", 1000, 2)], ["quarantine_share:day 2026-11-22", "quarantine_share:file a"]),
        ([("a", 1000, 2), ("b", 9000, 0)], ["quarantine_share:file a"]),  # day 0.02%
        ([("a", 0, 0)], []),  # an empty file
        ([("a", 100_000, 101)], ["quarantine_share:day 2026-11-22", "quarantine_share:file a"]),
    ],
)
def test_quarantine_share_of_a_file_and_of_a_day(files, fingerprints):
    landed = ny("2026-11-22", 9)
    found = quarantine_shares(
        [file_rows(key, landed, rows, q) for key, rows, q in files], SETTINGS, TZ
    )
    assert sorted(f.fingerprint for f in found) == fingerprints


def test_files_fall_on_their_day_in_new_york():
    # 03:00 UTC on the 23rd is still the 22nd in New York.
    late_evening = dt.datetime(2026, 11, 23, 3, 0, tzinfo=dt.UTC)
    found = quarantine_shares([file_rows("a", late_evening, 100, 1)], SETTINGS, TZ)
    assert "quarantine_share:day 2026-11-22" in {f.fingerprint for f in found}


# ---------------------------------------------------------------- the newest signal
@pytest.mark.parametrize(
    ("newest_hours_ago", "watching_hours", "stale"),
    [(23, 100, False), (25, 100, True), (None, 23, False), (None, 25, True)],
)
def test_signals_are_stale_after_24_hours(newest_hours_ago, watching_hours, stale):
    now = dt.datetime(2026, 11, 22, 12, tzinfo=dt.UTC)
    newest = now - dt.timedelta(hours=newest_hours_ago) if newest_hours_ago else None
    since = now - dt.timedelta(hours=watching_hours)
    assert bool(stale_signals(now, since, newest, SETTINGS)) is stale


# ---------------------------------------------------------------- delivery success
def test_delivery_success_under_the_minimum_per_destination():
    totals = [
        DeliveryTotals("crm", 10_000, 9_950),  # 99.5%: fine
        DeliveryTotals("map", 10_000, 9_949),
        DeliveryTotals("idle", 0, 0),
    ]
    [finding] = delivery_success(totals, 0.995, SETTINGS)
    assert finding.title == "delivery success under 99.5%: map 99.49%"


# ---------------------------------------------------------------- schedules
def test_schedules_that_did_not_tick_or_failed():
    at = ny("2026-11-22", 2)
    ticks = [
        ScheduleTicks("ok", at, "SUCCESS", None),
        ScheduleTicks("skipped", at, "SKIPPED", None),
        ScheduleTicks("missing", at, None, None),
        ScheduleTicks("failed", at, "FAILURE", "boom"),
        ScheduleTicks("not_due", None, None, None),
    ]
    found = missed_schedules(ticks, SETTINGS, TZ)
    assert [(f.subject, f.title) for f in found] == [
        ("missing", "schedule did not tick: missing at 2026-11-22 02:00 EST"),
        ("failed", "schedule tick failed: failed at 2026-11-22 02:00 EST"),
    ]
    assert found[1].detail == "the tick's error: boom"
