"""Durable notifications: what a receiver does not take waits in the outbox and is sent again,
with backoff, until it does; every call is recorded.

Time is simulated: the outbox's rounds are run with a clock the test moves 30 s at a time (the
sensor's interval), while every call is a real POST to a receiver on 127.0.0.1 that refuses
connections while it is "down" (its port closed) and takes them again once it is up.
"""

import datetime as dt
import logging

import dagster as dg
import pytest

from batch_platform.defs.common.notifications import (
    notification_outbox_sensor,
    send_again,
    send_notification,
)
from batch_platform.defs.content.logic.batch_submissions import webhook_policy
from batch_platform.defs.delivery.logic.notification_outbox import (
    Notification,
    retry_due,
    utcnow,
    wait_before_round,
)
from batch_platform.lib.guarded_http import guarded_client
from batch_platform.lib.signing import message_id_for
from batch_platform.lib.webhooks import WebhookTarget, encode
from batch_platform_tests.defs.delivery.notification_receiver import NotificationReceiver
from batch_platform_tests.defs.delivery.scores import SECRET

LOG = logging.getLogger("notification-outbox-test")
ROUND = dt.timedelta(seconds=30)


class Clock:
    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def outbox_env(monkeypatch):
    monkeypatch.setenv("BATCH_PLATFORM_SIGNING_SECRET", SECRET)
    # The batch webhook below is a user's URL: 127.0.0.1 must be allowed for it to be called.
    monkeypatch.setenv("BATCH_PLATFORM_API_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.1/32")


def _notification(kind: str, subject: str) -> Notification:
    payload = {"text": f"{kind}: {subject}", "subject": subject}
    return Notification(message_id_for(kind, subject), kind, subject, encode(payload))


def _send(platform, target, notification, clock, guarded=False):
    warehouse = platform.resources["duckdb"]
    if guarded:
        with guarded_client(webhook_policy()) as client:
            return send_notification(
                [target], notification, log=LOG, what=notification.subject,
                open_outbox=warehouse.get_connection, client=client, guarded=True, now=clock,
            )  # fmt: skip
    return send_notification(
        [target], notification, log=LOG, what=notification.subject,
        open_outbox=warehouse.get_connection, now=clock,
    )  # fmt: skip


def test_wait_between_rounds_doubles_up_to_five_minutes():
    waits = [wait_before_round(n).total_seconds() for n in range(1, 8)]
    assert waits == [30, 60, 120, 240, 300, 300, 300]


def test_a_receiver_down_for_ten_minutes_gets_every_notification_once_afterwards(
    platform, outbox_env
):
    receiver = NotificationReceiver()  # down: its port refuses connections
    target = WebhookTarget(url=receiver.url)
    start = utcnow().replace(microsecond=0)
    clock = Clock(start)
    # Sent while the receiver is down: two run ends and an alert at once, then a batch's end
    # and another alert later in the outage.
    sent_at = {
        0: [_notification("run_status", "run a SUCCESS"), _notification("run_status", "run b "
            "FAILURE"), _notification("alert", "nightly scoring late opened")],
        150: [_notification("url_batch", "batch b1 succeeded")],
        420: [_notification("alert", "nightly scoring late resolved")],
    }  # fmt: skip
    came_back = 600
    delivered_at: dict[str, int] = {}
    with platform.resources["duckdb"].get_connection() as con:
        for second in range(0, 20 * 60 + 1, int(ROUND.total_seconds())):
            clock.now = start + dt.timedelta(seconds=second)
            if second == came_back:
                receiver.up()
            for notification in sent_at.get(second, []):
                [result] = _send(
                    platform, target, notification, clock, notification.kind == "url_batch"
                )
                assert not result.ok and result.attempts == 3
            outcome = retry_due(con, send_again, now=clock)
            for entry in outcome.delivered:
                delivered_at[entry.notification.notification_id] = second
        rows = con.execute(
            "SELECT notification_id, kind, status, attempts, retry_rounds, guarded "
            "FROM delivery.notification_outbox ORDER BY created_at, notification_id"
        ).fetchall()
        calls = con.execute(
            "SELECT notification_id, attempt, phase, http_status, error IS NULL "
            "FROM delivery.notification_attempts ORDER BY notification_id, attempt"
        ).fetchall()
    receiver.down()
    every_id = {n.notification_id for batch in sent_at.values() for n in batch}
    # Every notification arrived, each exactly once, byte for byte what was sent.
    assert dict(receiver.accepted) == dict.fromkeys(every_id, 1)
    assert receiver.bodies[message_id_for("url_batch", "batch b1 succeeded")]["subject"] == (
        "batch b1 succeeded"
    )
    # Within one round after the longest wait (5 minutes) from the receiver's return.
    assert set(delivered_at) == every_id
    assert all(came_back <= second <= came_back + 300 for second in delivered_at.values())
    # The oldest (ties by id) leads each round: it was tried at 30 s, 90, 210, 450 (backoff 30,
    # 60, 120, 240 s) and taken at 750 (after 300 s). Those behind it in a round waited as long
    # and cost the receiver no call while it was down.
    leader = min(n.notification_id for n in sent_at[0])
    assert delivered_at[leader] == 750
    assert delivered_at[message_id_for("alert", "nightly scoring late resolved")] == 750
    assert {row[2] for row in rows} == {"delivered"}
    by_id = {row[0]: row[1:] for row in rows}
    assert by_id[leader][2:4] == (3 + 5, 5)
    assert {by_id[n.notification_id][2:4] for n in sent_at[0] if n.notification_id != leader} == {
        (3 + 1, 1)
    }
    assert by_id[message_id_for("url_batch", "batch b1 succeeded")][4]  # called through the guard
    leader_calls = [c[1:] for c in calls if c[0] == leader]
    assert leader_calls == [
        (1, "first_send", None, False), (2, "first_send", None, False),
        (3, "first_send", None, False), (4, "outbox", None, False), (5, "outbox", None, False),
        (6, "outbox", None, False), (7, "outbox", None, False), (8, "outbox", 204, True),
    ]  # fmt: skip


def test_a_failing_answer_is_retried_and_the_same_notification_kept_twice_is_one_row(
    platform, outbox_env
):
    receiver = NotificationReceiver(status=503).up()
    try:
        target = WebhookTarget(url=receiver.url)
        clock = Clock(utcnow())
        notification = _notification("run_status", "run c SUCCESS")
        _send(platform, target, notification, clock)
        _send(platform, target, notification, clock)  # the same run's end posted again
        query = (
            "SELECT status, attempts, last_http_status, last_error FROM "
            "delivery.notification_outbox"
        )
        assert platform.query(query) == [("waiting", 6, 503, "HTTP 503 Service Unavailable")]
        receiver.status = 204
        clock.now += wait_before_round(1)
        with platform.resources["duckdb"].get_connection() as con:
            outcome = retry_due(con, send_again, now=clock)
        assert [e.notification.notification_id for e in outcome.delivered] == [
            notification.notification_id
        ]
        assert platform.query(query) == [("delivered", 7, 204, None)]
        assert dict(receiver.accepted) == {notification.notification_id: 1}
    finally:
        receiver.down()


def test_the_outbox_sensor_sends_what_is_due(platform, outbox_env):
    receiver = NotificationReceiver()  # down for the first send
    target = WebhookTarget(url=receiver.url)
    notification = _notification("alert", "signals stale opened")
    _send(platform, target, notification, utcnow)
    sensor_context = dg.build_sensor_context(resources={"duckdb": platform.resources["duckdb"]})
    skipped = notification_outbox_sensor(sensor_context)
    assert skipped.skip_message == "no notification waiting is due"  # its wait is 30 s
    with platform.resources["duckdb"].get_connection() as con:
        con.execute(
            "UPDATE delivery.notification_outbox "
            "SET next_attempt_at = next_attempt_at - INTERVAL 31 SECOND"
        )
    receiver.up()
    try:
        result = notification_outbox_sensor(sensor_context)
    finally:
        receiver.down()
    assert result.skip_message.startswith("1 delivered, 0 still failing")
    assert dict(receiver.accepted) == {notification.notification_id: 1}
