"""``/v1/portfolio/sweeps``: an on-demand portfolio sweep of a month, besides the monthly one.

A sweep is a run of ``monthly_portfolio_health`` for the month's partition, launched over
Dagster's GraphQL API with ``dagster/priority``; the sweep id is the run id, so a sweep the
schedule started can be looked at too. A registration list is validated and kept with the
sweep (and counted in a run tag), but the sweep covers every registration of the firm's records
for the month: the portfolio assets take no list to narrow it to.
"""

from __future__ import annotations

import json
import re
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from batch_platform.api.access import Caller, api_settings, authenticated, dagster, respond_once
from batch_platform.api.batch_status import iso
from batch_platform.api.bodies import read_limited
from batch_platform.api.dagster_client import FINISHED, DagsterClient, DagsterUnavailable
from batch_platform.api.problems import Problem
from batch_platform.api.settings import ApiSettings
from batch_platform.api.state_store import immediate, open_state
from batch_platform.defs.content.logic.batch_submissions import (
    MAX_PRIORITY,
    MIN_PRIORITY,
    PRIORITY_TAG,
    SUBMITTED_BY_TAG,
)
from batch_platform.defs.portfolio.partitions import portfolio_months

JOB = "monthly_portfolio_health"
REPORT = ["reports", "reports_portfolio_health_report"]
REGISTRATIONS_TAG = "batch_platform/requested_registrations"
MAX_REGISTRATIONS = 10_000
SCOPE = "the sweep covers every registration in the firm's records for the month"
_RUN_ID = re.compile(r"[0-9a-f-]{36}")
router = APIRouter(prefix="/v1/portfolio/sweeps", tags=["portfolio sweeps"])

RegistrationId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9 ./:_-]{0,63}$")]


class SweepRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    month: str = Field(pattern=r"^[0-9]{4}-[0-9]{2}$", description="the month, YYYY-MM")
    registrations: list[RegistrationId] | None = Field(
        default=None,
        max_length=MAX_REGISTRATIONS,
        description=f"registration ids, recorded with the sweep ({SCOPE})",
    )
    priority: int = Field(default=0, ge=MIN_PRIORITY, le=MAX_PRIORITY)


def launch(
    settings: ApiSettings, client: DagsterClient, caller: Caller, body: bytes
) -> JSONResponse:
    try:
        sweep = SweepRequest.model_validate_json(body)
    except ValidationError as error:
        errors = [
            {"location": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
            for e in error.errors()
        ]
        raise Problem(
            422, "invalid_request", "the sweep is not valid; see errors", errors=errors
        ) from None
    partition = f"{sweep.month}-01"
    months = portfolio_months.get_partition_keys()
    if partition not in months:
        raise Problem(
            422,
            "invalid_month",
            f"month {sweep.month} is not one the portfolio sweeps "
            f"({months[0][:7]} to {months[-1][:7]})",
        )
    tags = {
        "dagster/partition": partition,
        PRIORITY_TAG: str(sweep.priority),
        SUBMITTED_BY_TAG: caller.key.name,
    }
    if sweep.registrations is not None:
        tags[REGISTRATIONS_TAG] = str(len(sweep.registrations))
    try:
        run_id = client.launch(JOB, tags)
    except DagsterUnavailable as error:
        raise Problem(
            503, "dagster_unavailable", str(error), headers={"Retry-After": "5"}
        ) from None
    registrations = json.dumps(sweep.registrations) if sweep.registrations is not None else None
    with open_state(settings.state_db) as con, immediate(con):
        con.execute(
            "INSERT INTO sweeps (sweep_id, key_name, month, registrations, priority, run_id, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (run_id, caller.key.name, sweep.month, registrations, sweep.priority, run_id,
             time.time()),
        )  # fmt: skip
    location = f"/v1/portfolio/sweeps/{run_id}"
    document = {
        "sweep_id": run_id,
        "month": sweep.month,
        "state": "queued",
        "priority": sweep.priority,
        "registrations_requested": len(sweep.registrations) if sweep.registrations else None,
        "scope": SCOPE,
        "links": {"self": location},
    }
    return JSONResponse(document, status_code=202, headers={"Location": location})


@router.post(
    "",
    status_code=202,
    summary="Start a portfolio sweep of a month",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": SweepRequest.model_json_schema()}},
        }
    },
)
async def start_sweep(
    request: Request, caller: Annotated[Caller, Depends(authenticated)]
) -> JSONResponse:
    """Runs the month's portfolio health sweep now, at the given priority in Dagster's queue.
    `Idempotency-Key` makes a retry safe."""
    settings = api_settings(request)
    body = await read_limited(request, settings.max_request_bytes)
    client = dagster(request)
    return await respond_once(request, caller, body, lambda: launch(settings, client, caller, body))


@router.get("/{sweep_id}", summary="A sweep's state and summary")
def get_sweep(
    sweep_id: str, request: Request, caller: Annotated[Caller, Depends(authenticated)]
) -> dict:
    """State, start and finish, the report's summary once it succeeded, the step error if it
    failed, and the registrations recorded with it."""
    if not _RUN_ID.fullmatch(sweep_id):
        raise Problem(404, "sweep_not_found", f"no sweep {sweep_id[:40]!r}")
    settings, client = api_settings(request), dagster(request)
    try:
        run = client.run(sweep_id)
        if run is None or run.job != JOB:
            raise Problem(404, "sweep_not_found", f"no sweep {sweep_id!r}")
        partition = run.tags.get("dagster/partition", "")
        document = {
            "sweep_id": sweep_id,
            "month": partition[:7],
            "state": run.state,
            "priority": int(run.tags.get(PRIORITY_TAG, 0)),
            "created_at": iso(run.created_at),
            "started_at": iso(run.started_at),
            "finished_at": iso(run.finished_at) if run.state in FINISHED else None,
        }
        if run.state == "succeeded":
            report = client.latest_progress(REPORT, partition).get("materialization")
            if report and report["run_id"] == sweep_id:
                document["summary"] = report["values"].get("summary")
        if run.state == "failed":
            document["error"] = client.step_error(sweep_id)
    except DagsterUnavailable as error:
        raise Problem(
            503, "dagster_unavailable", str(error), headers={"Retry-After": "5"}
        ) from None
    with open_state(settings.state_db) as con:
        row = con.execute(
            "SELECT key_name, registrations FROM sweeps WHERE sweep_id = ?", (sweep_id,)
        ).fetchone()
    registrations = json.loads(row["registrations"]) if row and row["registrations"] else None
    document["submitted_by"] = row["key_name"] if row else run.tags.get(SUBMITTED_BY_TAG)
    document["registrations"] = registrations
    document["scope"] = SCOPE
    return document
