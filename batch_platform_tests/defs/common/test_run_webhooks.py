"""Completion webhooks (run-status sensors), on delivery runs."""

import dagster as dg
import pytest
from dagster._core.events import DagsterEventType

from batch_platform.definitions import defs
from batch_platform.defs.common.run_webhooks import (
    run_failure_webhook_sensor,
    run_success_webhook_sensor,
)
from batch_platform.lib.signing import message_id_for, verify_request
from batch_platform_tests.defs.common.hooks import Hooks
from batch_platform_tests.defs.delivery.scores import SECRET

DAY = "2026-05-04"


@pytest.fixture
def hooks(monkeypatch):
    receiver = Hooks()
    monkeypatch.setenv("BATCH_PLATFORM_WEBHOOK_URLS", receiver.url)
    monkeypatch.setenv("BATCH_PLATFORM_UI_URL", "http://dagster.internal:3000/")
    yield receiver
    receiver.close()


def _status_context(delivery, result, sensor_name: str, event_type):
    """What a run-status sensor is given after ``result``'s run ended with ``event_type``."""
    instance = delivery.platform.instance
    run = instance.get_run_by_id(result.run_id)
    return dg.build_run_status_sensor_context(
        sensor_name=sensor_name,
        dagster_event=instance.all_logs(run.run_id, of_type=event_type)[0].dagster_event,
        dagster_instance=instance,
        dagster_run=run,
    )


def test_success_webhook_carries_the_run_summary(delivery, hooks):
    delivery.seed(DAY, {"ann@acme.io": 80, "bob@acme.io": 30})
    result = delivery.deliver(DAY)
    context = _status_context(
        delivery, result, "run_success_webhook_sensor", DagsterEventType.RUN_SUCCESS
    )
    run_success_webhook_sensor(context)
    assert hooks.bodies == [
        {
            "run_id": result.run_id,
            "job": "__ephemeral_asset_job__",
            "partition": DAY,
            "status": "SUCCESS",
            "rows_processed": 2,
            "failures": 0,
            "failed_steps": [],
            "failed_checks": [],
            "asset_summaries": {
                f"delivery/delivery_delivered_scores [{DAY}]": "outbox: ok, 2/2 delivered, "
                "0 failed, 0 rejected, 0 retried, 0 dead-lettered, 0 pending"
            },
            "url": f"http://dagster.internal:3000/runs/{result.run_id}",
        }
    ]


def test_failure_webhook_names_the_failed_step_and_checks(delivery, hooks):
    delivery.seed(DAY, {"ann@acme.io": 80})
    delivery.configure("http://127.0.0.1:9/refused")
    result = delivery.deliver(DAY, raise_on_error=False)
    context = _status_context(
        delivery, result, "run_failure_webhook_sensor", DagsterEventType.RUN_FAILURE
    ).for_run_failure()
    run_failure_webhook_sensor(context)
    [body] = hooks.bodies
    assert (body["status"], body["partition"], body["failures"]) == ("FAILURE", DAY, 2)
    assert body["failed_checks"] == ["delivery/delivery_delivered_scores:success_rate"]
    assert "nothing could be delivered to crm" in body["failed_steps"][0]


def test_no_webhook_configured_skips(delivery, monkeypatch):
    delivery.seed(DAY, {"ann@acme.io": 80})
    result = delivery.deliver(DAY)
    context = _status_context(
        delivery, result, "run_success_webhook_sensor", DagsterEventType.RUN_SUCCESS
    )
    skipped = run_success_webhook_sensor(context)
    assert isinstance(skipped, dg.SkipReason) and "no webhook URLs" in skipped.skip_message


def test_webhook_sensors_run_by_default_and_watch_the_whole_location():
    definitions = defs()
    for name in ("run_success_webhook_sensor", "run_failure_webhook_sensor"):
        sensor = definitions.resolve_sensor_def(name)
        assert sensor.default_status == dg.DefaultSensorStatus.RUNNING


def _config_with_webhook(delivery, url: str, secret_env: str) -> None:
    path = delivery.config_path.parent / "webhooks.yaml"
    path.write_text(f"webhooks:\n  - {{url: '{url}', signing_secret_env: {secret_env}}}\n")
    delivery.monkeypatch.setenv("BATCH_PLATFORM_DESTINATIONS", str(path))


def test_the_webhook_is_signed_with_its_own_secret_under_a_stable_id(delivery, monkeypatch):
    receiver = Hooks(secret="the-hooks-own-secret")
    try:
        delivery.seed(DAY, {"ann@acme.io": 80})
        result = delivery.deliver(DAY)
        _config_with_webhook(delivery, receiver.url, "HOOKS_SECRET")
        monkeypatch.setenv("HOOKS_SECRET", "the-hooks-own-secret")
        context = _status_context(
            delivery, result, "run_success_webhook_sensor", DagsterEventType.RUN_SUCCESS
        )
        run_success_webhook_sensor(context)
        run_success_webhook_sensor(context)  # the same run's end, posted again
    finally:
        receiver.close()
    assert receiver.statuses == [204, 204]
    (first, body), (second, _) = receiver.requests
    assert verify_request("the-hooks-own-secret", first, body)
    assert not verify_request(SECRET, first, body)  # not the shared secret
    # Both posts stand for one event: the receiver can drop the second by its id.
    assert (
        first["webhook-id"]
        == second["webhook-id"]
        == message_id_for("run-status", result.run_id, "SUCCESS")
    )


def test_a_webhook_without_its_secret_is_not_sent_and_logged_as_an_error(
    delivery, monkeypatch, capsys
):
    receiver = Hooks()
    try:
        delivery.seed(DAY, {"ann@acme.io": 80})
        result = delivery.deliver(DAY)
        _config_with_webhook(delivery, receiver.url, "HOOKS_SECRET")
        monkeypatch.setenv("HOOKS_SECRET", "")
        # The notification outbox is in the warehouse the environment names.
        monkeypatch.setenv("BATCH_PLATFORM_WAREHOUSE", str(delivery.platform.warehouse))
        context = _status_context(
            delivery, result, "run_success_webhook_sensor", DagsterEventType.RUN_SUCCESS
        )
        capsys.readouterr()
        assert run_success_webhook_sensor(context) is None
    finally:
        receiver.close()
    assert receiver.requests == []  # not sent unsigned, nor with the shared secret
    logged = capsys.readouterr().err  # the sensor's log, as dg dev shows it
    expected = (
        f"ERROR - run {result.run_id} SUCCESS: webhook {receiver.url} not sent, configuration "
        "error: $HOOKS_SECRET (its signing_secret_env) is not set or is empty"
    )
    assert expected in logged, logged
    assert SECRET not in logged
    # Not dropped: it waits in the outbox until the secret is set.
    assert delivery.query(
        "SELECT kind, status, attempts, signing_secret_env FROM delivery.notification_outbox"
    ) == [("run_status", "waiting", 0, "HOOKS_SECRET")]
