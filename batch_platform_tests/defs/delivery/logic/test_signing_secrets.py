"""Signing delivery pages: a secret per destination (the shared one only as a fallback), one id
per request kept across retries, and replays refused; real receivers on 127.0.0.1."""

import httpx
import pytest

from batch_platform.defs.delivery.logic.config import (
    DeliveryConfig,
    DeliveryConfigError,
    load_delivery_config,
)
from batch_platform.defs.delivery.logic.receiver import Fault, Receiver
from batch_platform.defs.delivery.logic.runner import deliver
from batch_platform.lib.signing import ReplayGuard, verify_request
from batch_platform.lib.warehouse import connect
from batch_platform_tests.defs.delivery.scores import FAST_RETRY, SECRET, rows, seed_scores

DAY = "2026-03-01"
SECRETS = {"crm": "secret-of-the-crm", "map": "secret-of-the-map", "shared": SECRET}


@pytest.fixture
def con(tmp_path):
    connection = connect(tmp_path / "w")
    yield connection
    connection.close()


def run(con, tmp_path, config, env, run_id="run-1"):
    return deliver(
        con, config, run_id=run_id, as_of_date=DAY, outbox_dir=tmp_path / "outbox",
        reports_dir=tmp_path / "reports", env=env,
    ).results  # fmt: skip


def config_of(*destinations: dict) -> DeliveryConfig:
    return DeliveryConfig.model_validate(
        {"destinations": [{"retry": FAST_RETRY, "page_size": 2} | d for d in destinations]}
    )


def test_each_destination_verifies_only_with_its_own_secret(con, tmp_path):
    seed_scores(con, DAY, {"a@x.io": 30, "b@x.io": 60, "c@x.io": 90})
    receivers = {name: Receiver(secret, keep_bodies=True) for name, secret in SECRETS.items()}
    for receiver in receivers.values():
        receiver.up()
    try:
        config = config_of(
            {"name": "crm", "url": receivers["crm"].url, "signing_secret_env": "CRM_SECRET"},
            {"name": "map", "url": receivers["map"].url, "signing_secret_env": "MAP_SECRET"},
            {"name": "other", "url": receivers["shared"].url},  # names none: the shared secret
        )
        env = {"CRM_SECRET": SECRETS["crm"], "MAP_SECRET": SECRETS["map"],
               "BATCH_PLATFORM_SIGNING_SECRET": SECRETS["shared"]}  # fmt: skip
        results = run(con, tmp_path, config, env)
    finally:
        for receiver in receivers.values():
            receiver.down()
    assert [(r.destination, r.status, r.succeeded) for r in results] == [
        ("crm", "ok", 3), ("map", "ok", 3), ("other", "ok", 3)
    ]  # fmt: skip
    for name, receiver in receivers.items():
        assert len(receiver.request_headers) == 2  # two pages
        for headers, body in zip(receiver.request_headers, receiver.request_bodies, strict=True):
            for other, secret in SECRETS.items():
                assert verify_request(secret, headers, body) is (other == name), (name, other)
        # Two pages, two deliveries: two ids.
        assert len({h["webhook-id"] for h in receiver.request_headers}) == 2


def test_a_retried_page_keeps_its_id_and_a_replay_is_refused(con, tmp_path):
    seed_scores(con, DAY, {"a@x.io": 30})
    guard = ReplayGuard()
    first_fails = lambda number, records: Fault(500) if number == 1 else None  # noqa: E731
    with Receiver(SECRET, fault=first_fails, replay_guard=guard, keep_bodies=True) as receiver:
        config = config_of({"name": "crm", "url": receiver.url})
        [result] = run(con, tmp_path, config, {"BATCH_PLATFORM_SIGNING_SECRET": SECRET})
        (first, second), (_, body) = receiver.request_headers, receiver.request_bodies
        # The same request sent again, byte for byte, as an attacker who saw it would.
        replayed = httpx.post(receiver.url, content=body, headers=second, timeout=5)
    assert (result.status, result.succeeded, result.retried) == ("ok", 1, 1)
    assert [entry.status for entry in receiver.log] == [500, 200, 401]
    assert first["webhook-id"] == second["webhook-id"] and first["webhook-id"].startswith("msg_")
    assert replayed.status_code == 401
    assert verify_request(SECRET, second, body) is True  # valid: only the guard refuses it
    assert verify_request(SECRET, second, body, replay_guard=guard) is False
    changelog = "SELECT status, http_status FROM delivery.sync_changelog ORDER BY attempt"
    assert rows(con, changelog) == [
        ("retry", 500), ("delivered", 200)
    ]  # fmt: skip


@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_named_secret_that_is_unset_or_empty_fails_before_anything_is_sent(con, tmp_path, value):
    seed_scores(con, DAY, {"a@x.io": 30})
    with Receiver(SECRETS["map"]) as first, Receiver(SECRET) as second:
        config = config_of(
            {"name": "map", "url": first.url, "signing_secret_env": "MAP_SECRET"},
            {"name": "crm", "url": second.url, "signing_secret_env": "CRM_SECRET"},
        )
        env = {"MAP_SECRET": SECRETS["map"], "BATCH_PLATFORM_SIGNING_SECRET": SECRET}
        if value is not None:
            env["CRM_SECRET"] = value
        with pytest.raises(DeliveryConfigError) as raised:
            run(con, tmp_path, config, env)
    message = str(raised.value)
    assert message == (
        "destination 'crm': $CRM_SECRET (its signing_secret_env) is not set or is empty; "
        "requests must be signed"
    )
    assert not any(secret in message for secret in SECRETS.values())
    # Not sent unsigned, not signed with the shared secret, and no other destination either.
    assert first.request_headers == [] and second.request_headers == []
    assert rows(con, "SELECT count(*) FROM delivery.sync_changelog") == [(0,)]


def test_the_destination_from_the_environment_may_have_its_own_secret(con, tmp_path):
    seed_scores(con, DAY, {"a@x.io": 30})
    with Receiver("env-destination-secret") as receiver:
        env = {
            "BATCH_PLATFORM_DESTINATION_URL": receiver.url,
            "BATCH_PLATFORM_DESTINATION_SIGNING_SECRET": "env-destination-secret",
            "BATCH_PLATFORM_SIGNING_SECRET": SECRET,
        }
        config = load_delivery_config(env)
        assert (
            config.destinations[0].signing_secret_env == "BATCH_PLATFORM_DESTINATION_SIGNING_SECRET"
        )
        [result] = run(con, tmp_path, config, env)
    assert result.status == "ok" and [e.status for e in receiver.log] == [200]
    config = load_delivery_config({"BATCH_PLATFORM_DESTINATION_URL": receiver.url})
    assert config.destinations[0].signing_secret_env is None  # the shared secret


def test_the_outbox_needs_no_secret_unless_it_names_one(con, tmp_path):
    seed_scores(con, DAY, {"a@x.io": 30})
    [result] = run(con, tmp_path, DeliveryConfig(), {})
    assert (result.destination, result.status) == ("outbox", "ok")
    named = DeliveryConfig.model_validate(
        {"destinations": [{"name": "box", "kind": "outbox", "signing_secret_env": "BOX_SECRET"}]}
    )
    with pytest.raises(DeliveryConfigError, match=r"destination 'box': \$BOX_SECRET"):
        run(con, tmp_path, named, {"BATCH_PLATFORM_SIGNING_SECRET": SECRET}, run_id="run-2")


def test_a_secret_pasted_as_the_variable_name_is_refused_without_showing_it(tmp_path):
    path = tmp_path / "destinations.yaml"
    path.write_text(
        "destinations:\n  - {name: crm, url: 'https://x.io', signing_secret_env: 9f8e7d6c5b4a}\n"
    )
    with pytest.raises(
        DeliveryConfigError, match=r"destinations\[0\]\.signing_secret_env: Value error"
    ) as raised:
        load_delivery_config({"BATCH_PLATFORM_DESTINATIONS": str(path)})
    assert "9f8e7d6c5b4a" not in str(raised.value)
