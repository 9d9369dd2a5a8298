"""Posting a signed JSON document to webhook URLs: timeouts, retries, and a result per URL.

Generic, for any domain: the body is any JSON-serialisable mapping, signed like delivery pages
(``X-Batch-Platform-Signature``, see :mod:`batch_platform.lib.signing`) with the secret in the
environment variable each target names. A webhook that stays down never raises: the caller gets
a :class:`WebhookResult` per URL and decides what to log.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from batch_platform.defs.delivery.logic.config import WebhookTarget
from batch_platform.lib.http_retry import RetryPolicy, send_with_retries
from batch_platform.lib.signing import SIGNATURE_HEADER, sign

# Sensors post these: short, so a dead webhook cannot hold a sensor tick for long.
WEBHOOK_RETRY = RetryPolicy(attempts=3, base=0.5, cap=4.0, max_retry_after=10.0)


@dataclass(frozen=True)
class WebhookResult:
    url: str
    ok: bool
    status_code: int | None
    attempts: int
    error: str | None


def encode(payload: Mapping[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":"), default=str, sort_keys=True).encode()


def post_json(
    targets: Sequence[WebhookTarget],
    payload: Mapping[str, Any],
    *,
    env: Mapping[str, str] | None = None,
    policy: RetryPolicy = WEBHOOK_RETRY,
    client: httpx.Client | None = None,
    rng: random.Random | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> list[WebhookResult]:
    """POST ``payload`` to every target, signed; one result per target, never raising."""
    env = os.environ if env is None else env
    body = encode(payload)
    results = []
    own_client = client is None
    client = client or httpx.Client()
    try:
        for target in targets:
            secret = env.get(target.signing_secret_env)
            if not secret:
                results.append(
                    WebhookResult(
                        target.url, False, None, 0,
                        f"not sent: ${target.signing_secret_env} (signing_secret_env) is not set",
                    )
                )  # fmt: skip
                continue

            def send(target=target, secret=secret) -> httpx.Response:
                headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(secret, body)}
                return client.post(
                    target.url, content=body, headers=headers, timeout=target.timeout_seconds
                )

            outcome = send_with_retries(send, policy, rng=rng, sleep=sleep)
            last = outcome.attempts[-1]
            results.append(
                WebhookResult(target.url, outcome.ok, last.status_code, len(outcome.attempts),
                              outcome.error)
            )  # fmt: skip
    finally:
        if own_client:
            client.close()
    return results
