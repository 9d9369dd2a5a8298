"""Webhook targets from the configuration file and the environment; posting to them."""

import pytest

from batch_platform.lib.config_file import ConfigFileError
from batch_platform.lib.http_retry import RetryPolicy
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
    assert "$UNSET_SECRET (signing_secret_env) is not set" in results[2].error
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
