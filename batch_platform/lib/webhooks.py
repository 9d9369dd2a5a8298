"""Webhook targets and posting a signed JSON document to them: timeouts, retries, a result each.

The targets are the ``webhooks:`` section of the configuration file
(:mod:`batch_platform.lib.config_file`) plus the comma-separated URLs in
$BATCH_PLATFORM_WEBHOOK_URLS; alerts also go to the URLs in $BATCH_PLATFORM_ALERT_WEBHOOKS
(:func:`load_alert_targets`). Generic, for any domain: the body is any JSON-serialisable
mapping, signed like delivery pages (``webhook-id``, ``webhook-timestamp``,
``webhook-signature``; see :mod:`batch_platform.lib.signing`) with the secret in the variable
the target names (``signing_secret_env``), else the shared $BATCH_PLATFORM_SIGNING_SECRET; the
URLs from the environment use $BATCH_PLATFORM_WEBHOOK_SIGNING_SECRET when that is set. One post
has one id, the same on every retry and for every target. A webhook that stays down never
raises, and neither does one without its secret (it is not sent: a configuration error): the
caller gets a :class:`WebhookResult` per URL and decides what to log (and, for what failed,
keeps it in the notification outbox: :mod:`batch_platform.defs.common.notifications`).
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from batch_platform.lib.config_file import ConfigFileError, describe_errors, read_config_file
from batch_platform.lib.http_retry import Attempt, RetryPolicy, send_with_retries
from batch_platform.lib.signing import (
    SigningConfigError,
    check_secret_env_name,
    is_message_id,
    new_message_id,
    resolve_secret,
    signed_headers,
)

WEBHOOK_URLS_ENV = "BATCH_PLATFORM_WEBHOOK_URLS"
# The secret of the webhooks listed in $BATCH_PLATFORM_WEBHOOK_URLS, when set (else the shared one).
WEBHOOK_SIGNING_SECRET_ENV = "BATCH_PLATFORM_WEBHOOK_SIGNING_SECRET"
# Where alerts go besides the run-status webhooks (Slack-compatible: the body has a "text").
ALERT_WEBHOOKS_ENV = "BATCH_PLATFORM_ALERT_WEBHOOKS"
ALERT_WEBHOOK_SIGNING_SECRET_ENV = "BATCH_PLATFORM_ALERT_WEBHOOK_SIGNING_SECRET"

# Sensors post these: short, so a dead webhook cannot hold a sensor tick for long.
WEBHOOK_RETRY = RetryPolicy(attempts=3, base=0.5, cap=4.0, max_retry_after=10.0)


class WebhookTarget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str
    # The variable holding this target's secret; None: the shared $BATCH_PLATFORM_SIGNING_SECRET.
    signing_secret_env: str | None = None
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+", value):
            raise ValueError(f"must be an http(s) URL, got {value!r}")
        return value

    @field_validator("signing_secret_env")
    @classmethod
    def _secret_env(cls, value: str | None) -> str | None:
        return None if value is None else check_secret_env_name(value)


class _WebhooksSection(BaseModel):
    # Other sections of the file belong to other readers, which validate them.
    model_config = ConfigDict(extra="ignore")

    webhooks: list[WebhookTarget] = []


def _env_targets(env: Mapping[str, str], urls_env: str, secret_env: str) -> list[dict]:
    """The comma-separated URLs of ``urls_env``, signed with the secret in ``secret_env`` when
    that is set (else the shared one)."""
    urls = [u.strip() for u in (env.get(urls_env) or "").split(",") if u.strip()]
    own = {"signing_secret_env": secret_env} if env.get(secret_env) else {}
    return [{"url": u, **own} for u in urls]


def with_env_webhooks(data: Mapping[str, Any], env: Mapping[str, str]) -> dict:
    """``data`` (the configuration file) with the URLs of $BATCH_PLATFORM_WEBHOOK_URLS added,
    signed with $BATCH_PLATFORM_WEBHOOK_SIGNING_SECRET when that is set."""
    added = _env_targets(env, WEBHOOK_URLS_ENV, WEBHOOK_SIGNING_SECRET_ENV)
    if not added:
        return dict(data)
    return {**data, "webhooks": [*(data.get("webhooks") or []), *added]}


def load_webhook_targets(env: Mapping[str, str] | None = None) -> list[WebhookTarget]:
    """The configured webhook targets: the file's ``webhooks:`` section, then the environment's."""
    env = os.environ if env is None else env
    data, source = read_config_file(env)
    try:
        return _WebhooksSection.model_validate(with_env_webhooks(data, env)).webhooks
    except ValidationError as error:
        raise ConfigFileError(f"{source}: {describe_errors(error)}") from None


def load_alert_targets(env: Mapping[str, str] | None = None) -> list[WebhookTarget]:
    """The alert-only webhooks: the URLs in $BATCH_PLATFORM_ALERT_WEBHOOKS, signed with
    $BATCH_PLATFORM_ALERT_WEBHOOK_SIGNING_SECRET when that is set (else the shared secret)."""
    env = os.environ if env is None else env
    try:
        return _WebhooksSection.model_validate(
            {"webhooks": _env_targets(env, ALERT_WEBHOOKS_ENV, ALERT_WEBHOOK_SIGNING_SECRET_ENV)}
        ).webhooks
    except ValidationError as error:
        raise ConfigFileError(f"${ALERT_WEBHOOKS_ENV}: {describe_errors(error)}") from None


@dataclass(frozen=True)
class WebhookResult:
    url: str
    ok: bool
    status_code: int | None
    attempts: int
    error: str | None
    # Every call made, in order (none when nothing was sent).
    tried: tuple[Attempt, ...] = ()

    @property
    def not_sent(self) -> bool:
        """Nothing was sent: a configuration error (no usable signing secret), not an outage."""
        return self.attempts == 0


def encode(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), default=str, sort_keys=True).encode()


def post_json(
    targets: Sequence[WebhookTarget],
    payload: Mapping[str, Any],
    *,
    message_id: str | None = None,
    env: Mapping[str, str] | None = None,
    policy: RetryPolicy = WEBHOOK_RETRY,
    client: httpx.Client | None = None,
    rng: random.Random | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[WebhookResult]:
    """POST ``payload`` to every target, signed; one result per target, never raising.

    Every target gets the same ``message_id`` (default: a new one), on every attempt; pass a
    stable one (:func:`batch_platform.lib.signing.message_id_for`) when the same event may be
    posted again, so receivers can tell (a malformed one is the caller's bug: ValueError,
    before anything is sent).
    """
    return post_body(
        targets, encode(payload), message_id=message_id or new_message_id(), env=env,
        policy=policy, client=client, rng=rng, sleep=sleep,
    )  # fmt: skip


def post_body(
    targets: Sequence[WebhookTarget],
    body: bytes,
    *,
    message_id: str,
    env: Mapping[str, str] | None = None,
    policy: RetryPolicy = WEBHOOK_RETRY,
    client: httpx.Client | None = None,
    rng: random.Random | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[WebhookResult]:
    """POST the JSON ``body`` (bytes as they are: a notification sent again from the outbox is
    byte for byte the first) to every target, signed under ``message_id``; see
    :func:`post_json`."""
    env = os.environ if env is None else env
    if not is_message_id(message_id):
        raise ValueError("message_id must be 1 to 256 ASCII letters, digits, '_' or '-'")
    results = []
    own_client = client is None
    client = client or httpx.Client()
    try:
        for target in targets:
            try:
                secret = resolve_secret(
                    env, target.signing_secret_env, "not sent, configuration error"
                )
            except SigningConfigError as error:
                results.append(WebhookResult(target.url, False, None, 0, str(error)))
                continue

            def send(target=target, secret=secret) -> httpx.Response:
                # Signed again on every attempt (a fresh timestamp), under the same id.
                headers = {
                    "Content-Type": "application/json",
                    **signed_headers(secret, body, message_id),
                }
                return client.post(
                    target.url, content=body, headers=headers, timeout=target.timeout_seconds
                )

            outcome = send_with_retries(send, policy, rng=rng, sleep=sleep)
            last = outcome.attempts[-1]
            results.append(
                WebhookResult(target.url, outcome.ok, last.status_code, len(outcome.attempts),
                              outcome.error, tuple(outcome.attempts))
            )  # fmt: skip
    finally:
        if own_client:
            client.close()
    return results
