"""A batch's status as the API tells it, from what Dagster and the API's own record know.

The state comes from the batch's latest run (``submitted`` before the sensor has started one);
counts from its progress: the ``content/content_batch_items`` materialization when the run has
written it (every count and the failures with their reasons), else the run's latest progress
observation (completed, total, failed; every 2 s while URLs are fetched). No I/O here.

The estimated completion is when the last URL will have been fetched: from the running batch's
own throughput once it has completed URLs (completed ÷ seconds since its run started), else
from the throughput of recent batches (``history``; for a batch not yet started, counted from
now: the wait in Dagster's queue is not in it). Cleaning follows fetching, and takes seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from batch_platform.api.dagster_client import FINISHED, RunInfo

COUNTS = ("succeeded", "failed", "skipped", "canceled")


@dataclass(frozen=True)
class BatchRecord:
    """What the API recorded when it took a batch."""

    batch_id: str
    key_name: str
    total_urls: int
    priority: int
    has_webhook: bool
    submitted_at: float
    canceled_at: float | None = None


@dataclass(frozen=True)
class Estimate:
    at: float
    basis: str  # "measured" (this run) or "history" (recent batches)
    urls_per_second: float


def iso(timestamp: float | None) -> str | None:
    return None if timestamp is None else datetime.fromtimestamp(timestamp, UTC).isoformat()


def estimate_completion(
    state: str,
    started_at: float | None,
    completed: int,
    total: int | None,
    now: float,
    history_rate: float | None,
) -> Estimate | None:
    """When the batch's last URL will be fetched, and from which throughput; None when it has
    ended, or when nothing is known to estimate from."""
    if state in FINISHED or state == "canceling" or not total:
        return None
    remaining = max(0, total - completed)
    if state == "running" and started_at is not None and completed > 0 and now > started_at:
        rate = completed / (now - started_at)
        return Estimate(now + remaining / rate, "measured", round(rate, 3))
    if history_rate:
        return Estimate(now + remaining / history_rate, "history", round(history_rate, 3))
    return None


def _state(record: BatchRecord | None, latest: RunInfo | None, landed: bool) -> str | None:
    canceled_at = record.canceled_at if record else None
    if latest is None:
        if canceled_at is not None:
            return "canceled"
        return "submitted" if record is not None or landed else None
    # A run the sensor started just as the batch was canceled finds its list gone and fails.
    late = latest.created_at is not None and canceled_at is not None
    if late and latest.state == "failed" and latest.created_at >= canceled_at - 5:
        return "canceled"
    return latest.state


def describe_batch(
    batch_id: str,
    *,
    record: BatchRecord | None,
    runs: list[RunInfo],
    progress: dict[str, dict],
    landed: bool,
    now: float,
    history_rate: float | None,
) -> dict[str, Any] | None:
    """The status document of ``batch_id``; None when nothing knows the batch."""
    latest = runs[0] if runs else None
    state = _state(record, latest, landed)
    if state is None:
        return None
    values: dict[str, Any] = {}
    for kind in ("materialization", "observation"):
        event = progress.get(kind)
        if latest is not None and event and event["run_id"] == latest.run_id:
            values = event["values"]
            break
    total = values.get("total", record.total_urls if record else None)
    completed = int(values.get("completed", 0))
    status: dict[str, Any] = {"batch_id": batch_id, "state": state, "total": total,
                              "completed": completed}  # fmt: skip
    status |= {name: values[name] for name in COUNTS if name in values}
    status["failures"] = values.get("failures_json", [])
    status["failures_not_listed"] = values.get("failures_not_listed", 0)
    if record is not None:
        status["priority"] = record.priority
    elif latest is not None and "dagster/priority" in latest.tags:
        status["priority"] = int(latest.tags["dagster/priority"])
    started = latest.started_at if latest else None
    finished = latest.finished_at if latest and latest.state in FINISHED else None
    status["submitted_at"] = iso(record.submitted_at if record else latest and latest.created_at)
    status["started_at"] = iso(started)
    status["finished_at"] = iso(finished)
    if started is not None:
        status["duration_seconds"] = round((finished or now) - started, 1)
    estimate = estimate_completion(state, started, completed, total, now, history_rate)
    status["estimated_completion"] = iso(estimate.at) if estimate else None
    status["estimate"] = (
        {"basis": estimate.basis, "urls_per_second": estimate.urls_per_second} if estimate else None
    )
    status["run_id"] = latest.run_id if latest else None
    status["runs"] = len(runs)
    status["links"] = {
        "self": f"/v1/batches/{batch_id}",
        "results": f"/v1/batches/{batch_id}/results",
    }
    return status
