"""The alert sensor end to end: facts from a real instance and warehouse, incidents announced to
a receiver on 127.0.0.1, each once when it opens and once when it resolves.

The sensor's clock is set by the test (``evaluation.current_time``): a night passes in a few
evaluations, without waiting for it.
"""

import datetime as dt
import json
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from batch_platform.definitions import defs
from batch_platform.defs.alerts import evaluation
from batch_platform.defs.alerts.sensors import alerts_sensor
from batch_platform.defs.signals.assets.scores import LEAD_SCORES
from batch_platform.lib.signing import message_id_for
from batch_platform_tests.defs.delivery.notification_receiver import NotificationReceiver
from batch_platform_tests.defs.delivery.scores import SECRET

NEW_YORK = ZoneInfo("America/New_York")
DAY = "2026-11-21"


class Watch:
    """Evaluates the alert sensor at the times the test gives, carrying its cursor along, on an
    instance with schedule storage (as the daemon's)."""

    def __init__(self, platform, instance, monkeypatch):
        self.platform = platform
        self.instance = instance
        self.monkeypatch = monkeypatch
        self.cursor: str | None = None
        self.definitions = defs()

    def at(self, moment: dt.datetime) -> str:
        self.monkeypatch.setattr(evaluation, "current_time", lambda: moment)
        context = dg.build_sensor_context(
            instance=self.instance,
            cursor=self.cursor,
            resources={"duckdb": self.platform.resources["duckdb"]},
            definitions=self.definitions,
        )
        result = alerts_sensor(context)
        self.cursor = context.cursor
        return result.skip_message

    def open_incidents(self) -> list[str]:
        return sorted(json.loads(self.cursor)["open"])


@pytest.fixture
def receiver(monkeypatch):
    monkeypatch.setenv("BATCH_PLATFORM_SIGNING_SECRET", SECRET)
    monkeypatch.delenv("BATCH_PLATFORM_DESTINATIONS", raising=False)
    monkeypatch.delenv("BATCH_PLATFORM_WEBHOOK_URLS", raising=False)
    hooks = NotificationReceiver().up()
    monkeypatch.setenv("BATCH_PLATFORM_ALERT_WEBHOOKS", hooks.url)
    yield hooks
    hooks.down()


@pytest.fixture
def instance():
    with dg.instance_for_test() as test_instance:
        yield test_instance


@pytest.fixture
def watch(platform, instance, monkeypatch):
    with platform.resources["duckdb"].get_connection():
        pass  # the warehouse exists (empty), as on a platform that has run
    return Watch(platform, instance, monkeypatch)


def new_york(day: str, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(hour, minute), NEW_YORK)


def test_a_late_nightly_run_is_announced_once_then_resolved_once(watch, receiver):
    morning = "2026-11-22"
    assert watch.at(new_york(morning, 5, 0)).startswith("0 incident(s) open")
    assert watch.at(new_york(morning, 5, 59)).startswith("0 incident(s) open")
    # 06:00 passes and the scores of the 21st are not there.
    assert watch.at(new_york(morning, 6, 1)).startswith("1 incident(s) open; 1 opened")
    assert watch.open_incidents() == [f"nightly_scoring_late:{DAY}"]
    assert watch.at(new_york(morning, 6, 2)).startswith("1 incident(s) open; 0 opened and 0")
    # The scores are written, late.
    watch.instance.report_runless_asset_event(
        dg.AssetMaterialization(asset_key=LEAD_SCORES, partition=DAY)
    )
    assert watch.at(new_york(morning, 6, 40)).startswith("0 incident(s) open; 0 opened and 1")
    assert watch.at(new_york(morning, 6, 41)).startswith("0 incident(s) open; 0 opened and 0")

    opened_id, resolved_id = sorted(receiver.accepted, key=lambda i: receiver.bodies[i]["event"])
    assert dict(receiver.accepted) == {opened_id: 1, resolved_id: 1}
    opened, resolved = receiver.bodies[opened_id], receiver.bodies[resolved_id]
    assert opened["event"] == "alert.opened" and resolved["event"] == "alert.resolved"
    assert opened["text"].startswith(
        ":red_circle: CRITICAL nightly scoring late: the scores of 2026-11-21 were not finished by "
        "2026-11-22 06:00 EST: no nightly_lead_scoring run of 2026-11-21 has started"
    )
    assert resolved["text"].startswith(":white_check_mark: RESOLVED nightly scoring late")
    incident = opened["alert"]
    assert (incident["fingerprint"], incident["severity"], incident["resolved_at"]) == (
        f"nightly_scoring_late:{DAY}", "critical", None,
    )  # fmt: skip
    assert resolved["alert"]["opened_at"] == incident["opened_at"]
    assert (
        resolved["alert"]["resolved_at"] == new_york(morning, 6, 40).astimezone(dt.UTC).isoformat()
    )
    assert opened_id == message_id_for(
        "alert", incident["fingerprint"], incident["opened_at"], "opened"
    )


def seed_signal_file(con, key: str, landed: dt.datetime, rows: int, quarantined: int) -> None:
    con.execute(
        "INSERT INTO raw.signal_files VALUES (?, ?, 'csv', 1000, ?, ?, 'loaded')",
        [key, f"{key}.csv", landed.astimezone(dt.UTC).replace(tzinfo=None), rows],
    )
    con.execute(
        "INSERT INTO quarantine.signal_rows (partition_key, source_file, source_line, reason) "
        "SELECT ?, ?, range + 2, 'email is missing' FROM range(?)",
        [key, f"{key}.csv", quarantined],
    )


def test_a_quarantine_share_of_two_per_mille_is_announced_once_then_resolved(watch, receiver):
    now = dt.datetime(2026, 11, 22, 15, 0, tzinfo=dt.UTC)
    with watch.platform.resources["duckdb"].get_connection() as con:
        # 2 of 1,000 rows (0.2%) in one file; the day's other file is clean (0.02% for the day).
        seed_signal_file(con, "crm_export", now - dt.timedelta(hours=2), 1_000, 2)
        seed_signal_file(con, "web_events", now - dt.timedelta(hours=1), 9_000, 0)
    assert watch.at(now).startswith("1 incident(s) open; 1 opened")
    assert watch.open_incidents() == ["quarantine_share:file crm_export"]
    assert watch.at(now + dt.timedelta(minutes=1)).startswith("1 incident(s) open; 0 opened and 0")
    # The provider sends the file again, corrected: its reload quarantines nothing.
    with watch.platform.resources["duckdb"].get_connection() as con:
        con.execute("DELETE FROM quarantine.signal_rows WHERE partition_key = 'crm_export'")
    assert watch.at(now + dt.timedelta(minutes=2)).startswith("0 incident(s) open; 0 opened and 1")
    assert watch.at(now + dt.timedelta(minutes=3)).startswith("0 incident(s) open; 0 opened and 0")

    events = sorted((body["event"], body["text"]) for body in receiver.bodies.values())
    assert set(receiver.accepted.values()) == {1}
    assert events == [
        ("alert.opened", ":warning: WARNING quarantine over 0.1% of a file: crm_export.csv "
         "0.20%: 2 of 1,000 rows quarantined (quarantine.signal_rows, partition crm_export) "
         "<http://127.0.0.1:3000/overview/activity|open in Dagster>"),
        ("alert.resolved", ":white_check_mark: RESOLVED quarantine over 0.1% of a file: "
         "crm_export.csv 0.20% (open since 2026-11-22T15:00 UTC) "
         "<http://127.0.0.1:3000/overview/activity|open in Dagster>"),
    ]  # fmt: skip


def test_a_day_over_the_share_is_its_own_incident(watch, receiver):
    now = dt.datetime(2026, 11, 22, 15, 0, tzinfo=dt.UTC)
    with watch.platform.resources["duckdb"].get_connection() as con:
        seed_signal_file(con, "a", now - dt.timedelta(hours=2), 1_000, 1)  # 0.1%: not over
        seed_signal_file(con, "b", now - dt.timedelta(hours=1), 1_000, 2)  # 0.2%
    watch.at(now)
    assert watch.open_incidents() == ["quarantine_share:day 2026-11-22", "quarantine_share:file b"]


def test_facts_that_cannot_be_read_resolve_nothing(platform, instance, monkeypatch, receiver):
    watch = Watch(platform, instance, monkeypatch)
    now = dt.datetime(2026, 11, 22, 15, 0, tzinfo=dt.UTC)
    with platform.resources["duckdb"].get_connection() as con:
        seed_signal_file(con, "b", now - dt.timedelta(hours=1), 1_000, 2)
    watch.at(now)
    assert watch.open_incidents() == ["quarantine_share:day 2026-11-22", "quarantine_share:file b"]
    # The warehouse is gone (moved, unmounted): the incidents stay open, nothing is resolved.
    monkeypatch.setitem(
        watch.platform.resources, "duckdb", type(platform.resources["duckdb"])(
            database=str(platform.root / "elsewhere")
        )
    )  # fmt: skip
    assert watch.at(now + dt.timedelta(minutes=1)).startswith("2 incident(s) open; 0 opened and 0")
    assert len(receiver.accepted) == 2
