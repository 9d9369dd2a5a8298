"""Under a real `dg dev`, with the webhook receiver down: a run's summary and an alert wait in the
notification outbox, and reach the receiver, once each, when it comes back; nobody touches the
UI. The sensors involved (run status, alerts, outbox) all run by default."""

import time

import pytest

from batch_platform.lib.keys import partition_key_for
from batch_platform.lib.warehouse import connect
from batch_platform_tests.defs.delivery.notification_receiver import NotificationReceiver
from batch_platform_tests.defs.delivery.scores import SECRET
from batch_platform_tests.e2e.conftest import ROOT, running_dev_server
from batch_platform_tests.e2e.runs import wait_for_runs

# One worker runs this module, so its dev server starts once (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_notifications")


def _outbox(server) -> list[tuple[str, str, str, str]]:
    con = connect(server.warehouse, read_only=True)
    try:
        return con.execute(
            "SELECT kind, subject, status, notification_id FROM delivery.notification_outbox "
            "ORDER BY ALL"
        ).fetchall()
    finally:
        con.close()


def _until(condition, seconds: float, server) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, server.log.read_text()[-4000:]
        time.sleep(2)


def test_notifications_sent_while_the_receiver_is_down_arrive_once_it_is_up(tmp_path):
    receiver = NotificationReceiver()  # down: connections refused
    env = {
        "BATCH_PLATFORM_WEBHOOK_URLS": receiver.url,
        "BATCH_PLATFORM_SIGNING_SECRET": SECRET,
        # The file's events are months old: with 6 minutes allowed, its signals are stale at once.
        "BATCH_PLATFORM_ALERT_MAX_SIGNAL_AGE_HOURS": "0.1",
    }
    try:
        with running_dev_server(tmp_path, ROOT / "dagster.yaml", env) as server:
            signals = server.landing / "signals"
            (signals / "old.csv").write_text(
                "event_id,occurred_at,source,event_type,email\n"
                "e1,2026-05-04T10:00:00Z,website,page_view,ann@acme.io\n"
            )
            (signals / "old.csv.done").write_text("")
            key = partition_key_for("old.csv")
            run = wait_for_runs(server, [key])[key]
            assert run["status"] == "SUCCESS"
            expected = {
                ("alert", "opened signals_stale:clean.signals", "waiting"),
                ("run_status", f"run {run['runId']} SUCCESS", "waiting"),
            }
            # The run's end (run-status sensor) and the alert (alerts sensor, every minute).
            _until(lambda: expected <= {row[:3] for row in _outbox(server)}, 240, server)
            receiver.up()
            _until(lambda: {row[2] for row in _outbox(server)} == {"delivered"}, 240, server)
            rows = _outbox(server)
    finally:
        receiver.down()
    assert set(receiver.accepted.values()) == {1}  # each exactly once
    assert {row[3] for row in rows} <= set(receiver.accepted)
    bodies = list(receiver.bodies.values())
    assert any(b.get("run_id") == run["runId"] and b["status"] == "SUCCESS" for b in bodies)
    alert = next(b for b in bodies if b.get("event") == "alert.opened")
    assert alert["alert"]["fingerprint"] == "signals_stale:clean.signals"
    assert alert["text"].startswith(":warning: WARNING signals stale: the newest signal is")
