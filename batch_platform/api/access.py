"""Who is calling, how often, and answering a repeated POST once: the dependencies and helpers
every route shares.

Every ``/v1`` request carries ``Authorization: Bearer <API key>`` (401 without a valid one) and
takes a token from its key's bucket (429 with ``Retry-After`` when there is none); a POST with
``Idempotency-Key`` goes through :func:`respond_once`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from batch_platform.api import idempotency
from batch_platform.api.api_keys import ApiKey, authenticate, record_use
from batch_platform.api.dagster_client import DagsterClient
from batch_platform.api.problems import Problem, problem_response
from batch_platform.api.rate_limit import consume
from batch_platform.api.settings import ApiSettings
from batch_platform.api.state_store import immediate, open_state

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key from `batch-platform api-keys create NAME`.",
)
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="batch-platform"'}


@dataclass(frozen=True)
class Caller:
    key: ApiKey


def api_settings(request: Request) -> ApiSettings:
    return request.app.state.settings


def dagster(request: Request) -> DagsterClient:
    return request.app.state.dagster


def authenticated(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Caller:
    """The caller's API key, after taking a token from its rate-limit bucket."""
    if credentials is None:
        raise Problem(
            401, "unauthorized", "send Authorization: Bearer <API key>", headers=CHALLENGE
        )
    settings = api_settings(request)
    now = time.time()
    with open_state(settings.state_db) as con, immediate(con):
        key = authenticate(con, credentials.credentials)
        if key is None:
            raise Problem(
                401,
                "invalid_api_key",
                "the API key is unknown, malformed or revoked",
                headers={
                    "WWW-Authenticate": 'Bearer realm="batch-platform", error="invalid_token"'
                },
            )
        decision = consume(
            con,
            key.key_id,
            now,
            key.rate_per_minute or settings.rate_per_minute,
            key.rate_burst or settings.rate_burst,
        )
        record_use(con, key, now)
    if not decision.allowed:
        raise Problem(
            429,
            "rate_limited",
            f"too many requests for key {key.name!r}; retry in {decision.retry_after} s",
            headers={"Retry-After": str(decision.retry_after)},
            retry_after_seconds=decision.retry_after,
        )
    return Caller(key)


async def respond_once(
    request: Request, caller: Caller, body: bytes, produce: Callable[[], Response]
) -> Response:
    """``produce()`` (blocking, run in a worker thread), or with an ``Idempotency-Key`` the
    answer stored for the same request, without producing it again."""
    key = request.headers.get(idempotency.HEADER)
    if key is None:
        return await run_in_threadpool(produce)
    try:
        idempotency.check_key(key)
    except ValueError as error:
        raise Problem(400, "invalid_idempotency_key", str(error)) from None
    settings = api_settings(request)
    key_id = caller.key.key_id
    fingerprint = idempotency.request_fingerprint(
        request.method, request.url.path, request.url.query,
        request.headers.get("content-type"), body,
    )  # fmt: skip

    def claim() -> idempotency.Claim:
        with open_state(settings.state_db) as con, immediate(con):
            return idempotency.claim(
                con, key_id, key, fingerprint, time.time(), settings.idempotency_hours * 3600
            )

    def keep(response: Response | None) -> None:
        with open_state(settings.state_db) as con, immediate(con):
            if response is None:
                idempotency.release(con, key_id, key)
            else:
                stored = idempotency.StoredResponse(
                    response.status_code, bytes(response.body), dict(response.headers)
                )
                idempotency.store(con, key_id, key, stored)

    claimed = await run_in_threadpool(claim)
    if claimed.outcome == "replay":
        stored = claimed.stored
        headers = {**stored.headers, idempotency.REPLAYED_HEADER: "true"}
        return Response(stored.body, stored.status_code, headers=headers)
    if claimed.outcome == "mismatch":
        raise Problem(
            422,
            "idempotency_key_reused",
            f"this {idempotency.HEADER} was used for a different request",
        )
    if claimed.outcome == "in_progress":
        raise Problem(
            409,
            "idempotency_key_in_use",
            f"a request with this {idempotency.HEADER} is still being answered; retry",
            headers={"Retry-After": "1"},
        )
    try:
        response = await run_in_threadpool(produce)
    except Problem as problem:
        response = problem_response(
            request, problem.status, problem.code, problem.detail, problem.headers, **problem.extra
        )
    except BaseException:
        await run_in_threadpool(keep, None)
        raise
    await run_in_threadpool(keep, response)
    return response
