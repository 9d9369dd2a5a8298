"""``/v1/batches``: submit a URL batch, follow it, page through its results, cancel it.

A batch lands like any URL list (``<landing>/url_batches/``, through
:func:`~batch_platform.defs.content.logic.batch_submissions.land_url_list`), with its priority,
webhook and submitter beside it; the ``url_batches_sensor`` starts its run with
``dagster/priority``. The batch id is the list's partition key.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from batch_platform.api.access import Caller, api_settings, authenticated, dagster, respond_once
from batch_platform.api.batch_status import BatchRecord, describe_batch
from batch_platform.api.bodies import read_limited
from batch_platform.api.dagster_client import FINISHED, DagsterClient, DagsterUnavailable
from batch_platform.api.problems import Problem
from batch_platform.api.results import CursorError, ThroughputHistory, read_results
from batch_platform.api.settings import ApiSettings
from batch_platform.api.state_store import immediate, open_state
from batch_platform.api.url_lists import (
    SUFFIX_BY_MEDIA_TYPE,
    BatchRequest,
    json_list_as_csv,
    new_batch_name,
    rejected_lines,
)
from batch_platform.defs.content.logic.batch_submissions import (
    MAX_PRIORITY,
    MIN_PRIORITY,
    BatchSubmission,
    check_webhook_url,
    land_url_list,
    webhook_policy,
)
from batch_platform.defs.content.logic.urls import UrlListError
from batch_platform.lib.landing import find_landed_file
from batch_platform.lib.warehouse import WarehouseError

JOB = "content_batch_ingest"
BATCH_ITEMS = ["content", "content_batch_items"]
_BATCH_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")
router = APIRouter(prefix="/v1/batches", tags=["batches"])
history = ThroughputHistory()

LIST_BODIES = {
    "application/json": {"schema": BatchRequest.model_json_schema()},
    "text/plain": {"schema": {"type": "string", "description": "one URL a line; # comments"}},
    "text/csv": {"schema": {"type": "string", "description": "a url column, metadata columns"}},
}


def _list_file(
    media_type: str, body: bytes, priority: int | None, webhook: str | None
) -> tuple[bytes, int, str | None, bool]:
    """The list file's bytes, the priority, the webhook URL, and whether it came as JSON
    (whose own fields win over the query's)."""
    if media_type != "application/json":
        return body, priority or 0, webhook, False
    try:
        batch = BatchRequest.model_validate_json(body)
    except ValidationError as error:
        errors = [
            {"location": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in error.errors()
        ]
        raise Problem(
            422, "invalid_request", "the batch is not valid; see errors", errors=errors
        ) from None
    priority = batch.priority if batch.priority is not None else priority
    return json_list_as_csv(batch.urls), priority or 0, batch.webhook_url or webhook, True


def submit(
    settings: ApiSettings,
    caller: Caller,
    media_type: str,
    body: bytes,
    priority: int | None,
    webhook_url: str | None,
) -> JSONResponse:
    data, priority, webhook, from_json = _list_file(media_type, body, priority, webhook_url)
    if webhook is not None:
        try:
            check_webhook_url(webhook, webhook_policy())
        except ValueError as error:
            raise Problem(422, "invalid_webhook_url", f"webhook_url: {error}") from None
    now = datetime.now(UTC)
    name = new_batch_name(SUFFIX_BY_MEDIA_TYPE[media_type], now)
    submission = BatchSubmission(
        batch_id=name,
        submitted_at=now.isoformat(),
        priority=priority,
        webhook_url=webhook,
        submitted_by=caller.key.name,
    )
    directory = settings.platform.url_batches_dir
    try:
        listed = land_url_list(directory, name, data, submission)
    except UrlListError as error:
        raise Problem(422, "invalid_url_list", str(error).removeprefix(f"{name}: ")) from None
    with open_state(settings.state_db) as con, immediate(con):
        con.execute(
            "INSERT INTO batches (batch_id, key_name, total_urls, priority, has_webhook, "
            "submitted_at) VALUES (?, ?, ?, ?, ?, ?)",
            (name, caller.key.name, len(listed.items), priority, webhook is not None,
             now.timestamp()),
        )  # fmt: skip
    location = f"/v1/batches/{name}"
    document = {
        "batch_id": name,
        "state": "submitted",
        "urls": len(listed.items),
        "invalid": len(listed.invalid),
        "duplicates": len(listed.duplicates),
        "rejected": rejected_lines(listed, from_json),
        "priority": priority,
        "webhook": webhook is not None,
        "submitted_at": now.isoformat(),
        "links": {"self": location, "results": f"{location}/results"},
    }
    return JSONResponse(document, status_code=202, headers={"Location": location})


@router.post(
    "",
    status_code=202,
    summary="Submit a URL batch",
    openapi_extra={"requestBody": {"required": True, "content": LIST_BODIES}},
    responses={202: {"description": "taken: the batch id, URLs to fetch, rejected lines"}},
)
async def submit_batch(
    request: Request,
    caller: Annotated[Caller, Depends(authenticated)],
    priority: Annotated[int | None, Query(ge=MIN_PRIORITY, le=MAX_PRIORITY)] = None,
    webhook_url: Annotated[str | None, Query(max_length=2048)] = None,
) -> JSONResponse:
    """A list of URLs as JSON (`{"urls": [...], "priority": 0, "webhook_url": "…"}`), or as a
    text list (`text/plain`, one URL a line) or CSV (`text/csv`, a `url` column) with
    `?priority=` and `?webhook_url=`. Answers 202 with the batch id at once; the run starts
    within seconds. `Idempotency-Key` makes a retry safe."""
    settings = api_settings(request)
    media_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    if media_type not in SUFFIX_BY_MEDIA_TYPE:
        raise Problem(
            415,
            "unsupported_media_type",
            "send application/json, text/plain or text/csv",
        )
    body = await read_limited(request, settings.max_request_bytes)
    return await respond_once(
        request,
        caller,
        body,
        lambda: submit(settings, caller, media_type, body, priority, webhook_url),
    )


def _checked_id(batch_id: str) -> str:
    if not _BATCH_ID.fullmatch(batch_id):
        raise Problem(404, "batch_not_found", f"no batch {batch_id[:130]!r}")
    return batch_id


def _record(settings: ApiSettings, batch_id: str) -> BatchRecord | None:
    with open_state(settings.state_db) as con:
        row = con.execute("SELECT * FROM batches WHERE batch_id = ?", (batch_id,)).fetchone()
    if row is None:
        return None
    return BatchRecord(
        batch_id=row["batch_id"],
        key_name=row["key_name"],
        total_urls=row["total_urls"],
        priority=row["priority"],
        has_webhook=bool(row["has_webhook"]),
        submitted_at=row["submitted_at"],
        canceled_at=row["canceled_at"],
    )


def _unavailable(error: DagsterUnavailable) -> Problem:
    return Problem(503, "dagster_unavailable", str(error), headers={"Retry-After": "5"})


def status_document(settings: ApiSettings, client: DagsterClient, batch_id: str) -> dict:
    record = _record(settings, batch_id)
    try:
        runs = client.partition_runs(JOB, batch_id)
        progress = client.latest_progress(BATCH_ITEMS, batch_id) if runs else {}
    except DagsterUnavailable as error:
        raise _unavailable(error) from None
    landed = find_landed_file(settings.platform.url_batches_dir, batch_id) is not None
    waiting = not runs or runs[0].state in ("queued", "running")
    status = describe_batch(
        batch_id,
        record=record,
        runs=runs,
        progress=progress,
        landed=landed,
        now=time.time(),
        history_rate=history.urls_per_second() if waiting else None,
    )
    if status is None:
        raise Problem(404, "batch_not_found", f"no batch {batch_id!r}")
    if status["state"] == "failed":
        try:
            status["error"] = client.step_error(status["run_id"])
        except DagsterUnavailable as error:
            raise _unavailable(error) from None
    return status


@router.get("/{batch_id}", summary="A batch's state, progress, failures and estimate")
def get_batch(
    batch_id: str,
    request: Request,
    caller: Annotated[Caller, Depends(authenticated)],
) -> dict:
    """State (`submitted`, `queued`, `running`, `succeeded`, `failed`, `canceling`,
    `canceled`), completed/total URLs, failures with reasons, start and finish, and an
    estimated completion from measured throughput."""
    return status_document(api_settings(request), dagster(request), _checked_id(batch_id))


@router.get("/{batch_id}/results", summary="A batch's pages or chunks, a page at a time")
def get_results(
    batch_id: str,
    request: Request,
    caller: Annotated[Caller, Depends(authenticated)],
    kind: Literal["pages", "chunks"] = "pages",
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    cursor: str | None = None,
) -> dict:
    """Clean pages (text, title, language, duplicate flags) or chunks, in list order. Pass
    `next_cursor` back as `cursor` for the next page; it is null on the last."""
    _checked_id(batch_id)
    try:
        return read_results(batch_id, kind, limit, cursor)
    except CursorError as error:
        raise Problem(400, "invalid_cursor", str(error)) from None
    except WarehouseError as error:
        raise Problem(503, "warehouse_unavailable", str(error)) from None


@router.delete("/{batch_id}", status_code=202, summary="Cancel a batch")
def cancel_batch(
    batch_id: str,
    request: Request,
    caller: Annotated[Caller, Depends(authenticated)],
) -> JSONResponse:
    """A queued or running batch's run is terminated (its unfinished URLs end `canceled`); a
    batch whose run has not started yet is taken out of the landing directory. 409 when the
    batch has already ended."""
    settings, client = api_settings(request), dagster(request)
    status = status_document(settings, client, _checked_id(batch_id))
    if status["state"] in FINISHED:
        raise Problem(409, "batch_ended", f"batch {batch_id} has already ended ({status['state']})")
    if status["state"] == "canceling":
        return JSONResponse(
            {"batch_id": batch_id, "state": "canceling", "runs_terminated": 0}, status_code=202
        )
    with open_state(settings.state_db) as con, immediate(con):
        con.execute(
            "UPDATE batches SET canceled_at = coalesce(canceled_at, ?) WHERE batch_id = ?",
            (time.time(), batch_id),
        )
    try:
        if status["state"] == "submitted":
            _take_back_list(settings, batch_id)
        # Also a run the sensor started while the list was taken back.
        active = [r for r in client.partition_runs(JOB, batch_id) if r.state not in FINISHED]
        refusals = [why for run in active if (why := client.terminate(run.run_id))]
    except DagsterUnavailable as error:
        raise _unavailable(error) from None
    if refusals:
        raise Problem(409, "cancel_refused", f"Dagster refused: {'; '.join(refusals)}")
    state = "canceling" if active else "canceled"
    return JSONResponse(
        {"batch_id": batch_id, "state": state, "runs_terminated": len(active)}, status_code=202
    )


def _take_back_list(settings: ApiSettings, batch_id: str) -> None:
    directory = settings.platform.url_batches_dir
    landed = find_landed_file(directory, batch_id)
    if landed is not None:
        landed.unlink(missing_ok=True)
        landed.with_name(f"{landed.name}.done").unlink(missing_ok=True)
