"""Webhook targets from the configuration file and the environment; posting to them, each
signed with its own secret (or the shared one), under one id kept across retries."""

import httpx
import pytest

from batch_platform.lib.config_file import ConfigFileError
from batch_platform.lib.http_retry import RetryPolicy
from batch_platform.lib.signing import ReplayGuard, verify_request
from batch_platform.lib.webhooks import WebhookTarget, load_webhook_targets, post_json
from batch_platform_tests.defs.common.hooks import Hooks
from batch_platform_tests.defs.delivery.scores import SECRET


def test_post_json_retries_and_reports_each_url():
    hooks = Hooks(fail=1)
    try:
        targets = [WebhookTarget(url=hooks.url), WebhookTarget(url="http://127.0.0.1:9/dead"),
                   WebhookTarget(url=hooks.url, signing_secret_env="UNSET_SECRET")]  # fmt: skip
        results = post_json(
            targets, {"hello": "world"}, env={"BATCH_PLATFORM_SIGNING_SECRET": SECRET},
            policy=RetryPolicy(attempts=3, base=0.01, cap=0.02),
        )  # fmt: skip
    finally:
        hooks.close()
    assert [(r.ok, r.status_code, r.attempts) for r in results] == [
        (True, 204, 2), (False, None, 3), (False, None, 0)
    ]  # fmt: skip
    assert results[1].error.startswith("ConnectError")
    assert results[2].not_sent and results[2].error == (
        "not sent, configuration error: $UNSET_SECRET (its signing_secret_env) is not set or is "
        "empty; requests must be signed"
    )
    assert hooks.bodies == [{"hello": "world"}]


def test_targets_come_from_the_file_then_the_environment(tmp_path):
    path = tmp_path / "destinations.yaml"
    path.write_text(
        "destinations:\n  - {name: crm, url: 'https://x.io'}\n"
        "webhooks:\n  - {url: 'http://127.0.0.1:9/hook', timeout_seconds: 2}\n"
    )
    env = {
        "BATCH_PLATFORM_DESTINATIONS": str(path),
        "BATCH_PLATFORM_WEBHOOK_URLS": " http://127.0.0.1:9/a ,,",
    }
    targets = load_webhook_targets(env)
    assert [(t.url, t.timeout_seconds) for t in targets] == [
        ("http://127.0.0.1:9/hook", 2.0), ("http://127.0.0.1:9/a", 5.0)
    ]  # fmt: skip
    assert load_webhook_targets({}) == []


def test_a_bad_target_names_the_file_and_field(tmp_path):
    path = tmp_path / "destinations.yaml"
    path.write_text("webhooks:\n  - url: not-a-url\n")
    with pytest.raises(ConfigFileError, match=r"destinations\.yaml.*webhooks\[0\]\.url: Value"):
        load_webhook_targets({"BATCH_PLATFORM_DESTINATIONS": str(path)})


FAST = RetryPolicy(attempts=3, base=0.01, cap=0.02)


def test_each_target_verifies_only_with_its_own_secret(tmp_path):
    secrets = {"a": "secret-of-a", "b": "secret-of-b", "shared": "the-shared-secret"}
    hooks = {name: Hooks(secret=secret) for name, secret in secrets.items()}
    try:
        path = tmp_path / "destinations.yaml"
        path.write_text(
            "webhooks:\n"
            f"  - {{url: '{hooks['a'].url}', signing_secret_env: HOOK_A_SECRET}}\n"
            f"  - {{url: '{hooks['b'].url}', signing_secret_env: HOOK_B_SECRET}}\n"
        )
        env = {
            "BATCH_PLATFORM_DESTINATIONS": str(path),
            "BATCH_PLATFORM_WEBHOOK_URLS": hooks["shared"].url,  # names no secret: the fallback
            "HOOK_A_SECRET": secrets["a"],
            "HOOK_B_SECRET": secrets["b"],
            "BATCH_PLATFORM_SIGNING_SECRET": secrets["shared"],
        }
        results = post_json(load_webhook_targets(env), {"n": 1}, env=env, policy=FAST)
    finally:
        for receiver in hooks.values():
            receiver.close()
    assert [(r.ok, r.status_code) for r in results] == [(True, 204)] * 3
    for name, receiver in hooks.items():
        [(headers, body)] = receiver.requests
        for other, secret in secrets.items():
            assert verify_request(secret, headers, body) is (other == name), (name, other)
    # One post, one id, whatever the target.
    assert len({receiver.requests[0][0]["webhook-id"] for receiver in hooks.values()}) == 1


def test_env_urls_use_the_webhook_secret_when_it_is_set():
    hooks = Hooks(secret="webhook-only-secret")
    try:
        env = {
            "BATCH_PLATFORM_WEBHOOK_URLS": hooks.url,
            "BATCH_PLATFORM_WEBHOOK_SIGNING_SECRET": "webhook-only-secret",
            "BATCH_PLATFORM_SIGNING_SECRET": SECRET,
        }
        [target] = load_webhook_targets(env)
        assert target.signing_secret_env == "BATCH_PLATFORM_WEBHOOK_SIGNING_SECRET"
        [result] = post_json([target], {"n": 1}, env=env, policy=FAST)
    finally:
        hooks.close()
    assert result.ok and hooks.statuses == [204]
    [target] = load_webhook_targets({"BATCH_PLATFORM_WEBHOOK_URLS": hooks.url})
    assert target.signing_secret_env is None  # the shared secret


def test_a_retry_carries_the_same_id_and_a_replay_is_refused():
    guard = ReplayGuard()
    hooks = Hooks(fail=1, replay_guard=guard)  # 503 (and the id released), then 204
    try:
        [result] = post_json(
            [WebhookTarget(url=hooks.url)], {"n": 1}, env={"BATCH_PLATFORM_SIGNING_SECRET": SECRET},
            policy=FAST,
        )  # fmt: skip
        (first, _), (second, body) = hooks.requests
        assert (result.ok, result.attempts, hooks.statuses) == (True, 2, [503, 204])
        assert first["webhook-id"] == second["webhook-id"]
        assert first["webhook-id"].startswith("msg_")
        # An attacker sends the accepted request again, byte for byte: refused.
        replayed = httpx.post(hooks.url, content=body, headers=second, timeout=5)
        assert replayed.status_code == 401 and hooks.statuses[-1] == 401
        assert hooks.bodies == [{"n": 1}]
        # A second post of anything is a new delivery, with a new id.
        post_json([WebhookTarget(url=hooks.url)], {"n": 2},
                  env={"BATCH_PLATFORM_SIGNING_SECRET": SECRET}, policy=FAST)  # fmt: skip
    finally:
        hooks.close()
    assert hooks.requests[-1][0]["webhook-id"] != first["webhook-id"]
    assert hooks.bodies == [{"n": 1}, {"n": 2}]


def test_a_given_message_id_is_used_and_a_malformed_one_refused_before_sending():
    hooks = Hooks()
    try:
        env = {"BATCH_PLATFORM_SIGNING_SECRET": SECRET}
        post_json([WebhookTarget(url=hooks.url)], {}, message_id="msg_run_1", env=env, policy=FAST)
        with pytest.raises(ValueError, match="message_id"):
            post_json([WebhookTarget(url=hooks.url)], {}, message_id="a.b", env=env)
    finally:
        hooks.close()
    assert [headers["webhook-id"] for headers, _ in hooks.requests] == ["msg_run_1"]


def test_an_empty_named_secret_is_not_sent_and_no_secret_is_shown():
    hooks = Hooks()
    try:
        env = {"BATCH_PLATFORM_SIGNING_SECRET": SECRET, "HOOK_SECRET": ""}
        [result] = post_json(
            [WebhookTarget(url=hooks.url, signing_secret_env="HOOK_SECRET")], {}, env=env
        )
    finally:
        hooks.close()
    assert result.not_sent and "$HOOK_SECRET (its signing_secret_env)" in result.error
    assert SECRET not in result.error and hooks.requests == []  # not sent unsigned, nor shared


def test_a_secret_pasted_as_the_variable_name_is_refused_without_showing_it(tmp_path):
    path = tmp_path / "destinations.yaml"
    path.write_text(
        "webhooks:\n  - {url: 'http://127.0.0.1:9/h', signing_secret_env: 8f3a9c0d1e}\n"
    )
    with pytest.raises(ConfigFileError, match=r"webhooks\[0\]\.signing_secret_env") as raised:
        load_webhook_targets({"BATCH_PLATFORM_DESTINATIONS": str(path)})
    assert "8f3a9c0d1e" not in str(raised.value)
