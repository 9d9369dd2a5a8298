"""Incidents open once, stay open while found, resolve once; the state survives its cursor."""

import datetime as dt

from batch_platform.defs.alerts.logic.alert_messages import (
    alert_message_id,
    alert_payload,
    alert_text,
)
from batch_platform.defs.alerts.logic.findings import Finding
from batch_platform.defs.alerts.logic.incidents import AlertState, reconcile

T0 = dt.datetime(2026, 11, 22, 11, 1, tzinfo=dt.UTC)
LATE = Finding.of(
    "nightly_scoring_late", "2026-11-21", "critical", "nightly scoring late", "no run"
)
STALE = Finding.of("signals_stale", "clean.signals", "warning", "signals stale", "25 h old")


def minutes(n: int) -> dt.datetime:
    return T0 + dt.timedelta(minutes=n)


def test_an_incident_is_announced_when_it_opens_and_when_it_resolves_only():
    state = AlertState.from_json(None, T0)
    events = []
    for minute, findings in enumerate([[LATE], [LATE], [LATE, STALE], [STALE], [STALE], []]):
        state, changes = reconcile(state, findings, minutes(minute))
        events += [(minute, c.event, c.incident.fingerprint) for c in changes]
    assert events == [
        (0, "opened", "nightly_scoring_late:2026-11-21"),
        (2, "opened", "signals_stale:clean.signals"),
        (3, "resolved", "nightly_scoring_late:2026-11-21"),
        (5, "resolved", "signals_stale:clean.signals"),
    ]
    assert state.open == {}


def test_the_state_survives_the_cursor_and_keeps_when_watching_began():
    state, _ = reconcile(AlertState.from_json(None, T0), [LATE], minutes(1))
    again = AlertState.from_json(state.to_json(), minutes(50))
    assert again == state and again.watching_since == T0
    # Found again after a restart: still the same incident, nothing announced.
    assert reconcile(again, [LATE], minutes(51))[1] == []


def test_an_unevaluated_condition_keeps_its_incidents_open():
    state, _ = reconcile(AlertState.from_json(None, T0), [LATE, STALE], minutes(0))
    state, changes = reconcile(state, [], minutes(1), unevaluated={"signals_stale"})
    assert [(c.event, c.incident.condition) for c in changes] == [
        ("resolved", "nightly_scoring_late")
    ]
    assert list(state.open) == ["signals_stale:clean.signals"]


def test_a_reopened_incident_is_a_new_one_with_its_own_ids():
    state = AlertState.from_json(None, T0)
    state, first = reconcile(state, [LATE], minutes(0))
    state, resolved = reconcile(state, [], minutes(1))
    state, second = reconcile(state, [LATE], minutes(2))
    ids = [alert_message_id(c) for c in (*first, *resolved, *second)]
    assert len(set(ids)) == 3
    # The same announcement, posted again, has the same id (a receiver drops the repeat).
    assert alert_message_id(first[0]) == alert_message_id(first[0])


def test_the_payload_is_slack_compatible_with_the_incident_beside():
    _, [change] = reconcile(AlertState.from_json(None, T0), [LATE], T0)
    payload = alert_payload(change, "http://dagster.internal:3000")
    assert payload["text"] == (
        ":red_circle: CRITICAL nightly scoring late: no run "
        "<http://dagster.internal:3000/overview/activity|open in Dagster>"
    )
    assert payload["event"] == "alert.opened"
    assert payload["alert"] == {
        "fingerprint": "nightly_scoring_late:2026-11-21",
        "condition": "nightly_scoring_late",
        "subject": "2026-11-21",
        "severity": "critical",
        "title": "nightly scoring late",
        "detail": "no run",
        "opened_at": "2026-11-22T11:01:00+00:00",
        "resolved_at": None,
    }
    state, _ = reconcile(AlertState.from_json(None, T0), [LATE], T0)
    _, [resolved] = reconcile(state, [], minutes(39))
    assert alert_text(resolved) == (
        ":white_check_mark: RESOLVED nightly scoring late (open since 2026-11-22T11:01 UTC)"
    )
    assert alert_payload(resolved, "http://x")["alert"]["resolved_at"] == (
        "2026-11-22T11:40:00+00:00"
    )
