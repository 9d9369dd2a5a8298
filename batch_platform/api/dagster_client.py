"""What the job API asks of the running Dagster instance, over its GraphQL API.

Runs of a partition (a batch's runs), a run by id, a batch's progress (the metadata of
``content/content_batch_items``), a failed run's step error, launching a job's partition with
tags (portfolio sweeps) and terminating a run (cancel). Blocking calls (httpx), retried on
connection errors and 5xx; an instance that cannot be reached is :class:`DagsterUnavailable`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx

from batch_platform.lib.http_retry import RetryPolicy, send_with_retries

RUN_STATES = {
    "QUEUED": "queued",
    "NOT_STARTED": "queued",
    "STARTING": "queued",
    "MANAGED": "queued",
    "STARTED": "running",
    "SUCCESS": "succeeded",
    "FAILURE": "failed",
    "CANCELING": "canceling",
    "CANCELED": "canceled",
}
FINISHED = {"succeeded", "failed", "canceled"}
_RUN_FIELDS = "runId pipelineName status creationTime startTime endTime tags { key value }"
RUNS_QUERY = f"""
query Runs($filter: RunsFilter!, $limit: Int) {{
  runsOrError(filter: $filter, limit: $limit) {{
    __typename
    ... on Runs {{ results {{ {_RUN_FIELDS} }} }}
    ... on PythonError {{ message }}
  }}
}}
"""
ENTRIES = (
    "metadataEntries { label ... on IntMetadataEntry { intValue } "
    "... on FloatMetadataEntry { floatValue } ... on TextMetadataEntry { text } "
    "... on JsonMetadataEntry { jsonString } }"
)
PROGRESS_QUERY = f"""
query Progress($assetKey: AssetKeyInput!, $partition: String!) {{
  assetOrError(assetKey: $assetKey) {{
    ... on Asset {{
      assetMaterializations(partitions: [$partition], limit: 1) {{ runId {ENTRIES} }}
      assetObservations(partitions: [$partition], limit: 1) {{ runId {ENTRIES} }}
    }}
  }}
}}
"""
FAILURE_QUERY = """
query RunFailure($runId: ID!) {
  logsForRun(runId: $runId, limit: 1000) {
    ... on EventConnection {
      events { __typename ... on ExecutionStepFailureEvent { error { message } } }
    }
  }
}
"""
REPOSITORIES_QUERY = """
query Repositories {
  repositoriesOrError {
    __typename
    ... on RepositoryConnection { nodes { name location { name } jobs { name } } }
    ... on PythonError { message }
  }
}
"""
LAUNCH_MUTATION = """
mutation Launch($executionParams: ExecutionParams!) {
  launchRun(executionParams: $executionParams) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on Error { message }
  }
}
"""
TERMINATE_MUTATION = """
mutation Terminate($runId: String!) {
  terminateRun(runId: $runId) {
    __typename
    ... on TerminateRunFailure { message }
    ... on PythonError { message }
  }
}
"""


class DagsterUnavailable(RuntimeError):
    """The Dagster instance could not be reached or answered with an error."""


@dataclass(frozen=True)
class RunInfo:
    run_id: str
    job: str
    status: str  # Dagster's, e.g. QUEUED, STARTED, SUCCESS
    created_at: float | None
    started_at: float | None
    finished_at: float | None
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def state(self) -> str:
        return RUN_STATES.get(self.status, self.status.lower())

    @classmethod
    def of(cls, run: dict[str, Any]) -> RunInfo:
        started, finished = run.get("startTime"), run.get("endTime")
        # A run that ended without starting (canceled in the queue, failed to launch) is given
        # its end time as its start time by Dagster's GraphQL API.
        if started is not None and started == finished:
            started = None
        return cls(
            run_id=run["runId"],
            job=run["pipelineName"],
            status=run["status"],
            created_at=run.get("creationTime"),
            started_at=started,
            finished_at=finished,
            tags={t["key"]: t["value"] for t in run.get("tags") or []},
        )


def metadata_values(event: dict | None) -> dict[str, Any]:
    """An event's metadata entries as plain values (JSON entries parsed)."""
    values: dict[str, Any] = {}
    for entry in (event or {}).get("metadataEntries", []):
        for name in ("intValue", "floatValue", "text"):
            if name in entry:
                values[entry["label"]] = entry[name]
        if "jsonString" in entry:
            values[entry["label"]] = json.loads(entry["jsonString"])
    return values


class DagsterClient:
    def __init__(self, url: str, timeout: float = 15.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def graphql(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        endpoint = f"{self.url}/graphql"
        with httpx.Client(timeout=self.timeout, trust_env=False) as client:
            outcome = send_with_retries(
                lambda: client.post(endpoint, json={"query": query, "variables": variables or {}}),
                RetryPolicy(attempts=3, base=0.3, cap=2),
            )
        if outcome.response is None or not outcome.ok:
            raise DagsterUnavailable(f"the Dagster instance at {self.url}: {outcome.error}")
        payload = outcome.response.json()
        if payload.get("errors"):
            raise DagsterUnavailable(f"GraphQL error: {payload['errors'][0].get('message')}")
        return payload["data"]

    def runs(self, filter_: dict[str, Any], limit: int | None = None) -> list[RunInfo]:
        """Runs matching ``filter_`` (Dagster's RunsFilter), newest first."""
        answer = self.graphql(RUNS_QUERY, {"filter": filter_, "limit": limit})["runsOrError"]
        if answer["__typename"] != "Runs":
            raise DagsterUnavailable(f"cannot list runs: {answer.get('message')}")
        return [RunInfo.of(run) for run in answer["results"]]

    def partition_runs(self, job: str, partition: str, limit: int = 20) -> list[RunInfo]:
        tag = {"key": "dagster/partition", "value": partition}
        return self.runs({"pipelineName": job, "tags": [tag]}, limit)

    def run(self, run_id: str) -> RunInfo | None:
        found = self.runs({"runIds": [run_id]}, 1)
        return found[0] if found else None

    def latest_progress(self, asset_path: list[str], partition: str) -> dict[str, dict]:
        """The partition's latest materialization and observation of an asset, each as
        ``{"run_id": …, "values": {label: value}}`` (absent when there is none)."""
        data = self.graphql(
            PROGRESS_QUERY, {"assetKey": {"path": asset_path}, "partition": partition}
        )
        asset = data.get("assetOrError") or {}
        events = {}
        for kind, field_name in (("materialization", "assetMaterializations"),
                                 ("observation", "assetObservations")):  # fmt: skip
            latest = next(iter(asset.get(field_name) or []), None)
            if latest:
                events[kind] = {"run_id": latest["runId"], "values": metadata_values(latest)}
        return events

    def step_error(self, run_id: str) -> str | None:
        logs = self.graphql(FAILURE_QUERY, {"runId": run_id})["logsForRun"]
        messages = [
            event["error"]["message"].strip()
            for event in logs.get("events", [])
            if event["__typename"] == "ExecutionStepFailureEvent" and event.get("error")
        ]
        return messages[-1] if messages else None

    def launch(self, job: str, tags: dict[str, str]) -> str:
        """Launch ``job`` (found in whichever code location has it) with ``tags``; its run id."""
        answer = self.graphql(REPOSITORIES_QUERY)["repositoriesOrError"]
        if answer["__typename"] != "RepositoryConnection":
            raise DagsterUnavailable(f"cannot list repositories: {answer.get('message')}")
        repository = next(
            (r for r in answer["nodes"] if any(j["name"] == job for j in r["jobs"])), None
        )
        if repository is None:
            raise DagsterUnavailable(f"no code location has the job {job!r}")
        params = {
            "selector": {
                "repositoryLocationName": repository["location"]["name"],
                "repositoryName": repository["name"],
                "jobName": job,
            },
            "runConfigData": {},
            "executionMetadata": {"tags": [{"key": k, "value": v} for k, v in tags.items()]},
        }
        launched = self.graphql(LAUNCH_MUTATION, {"executionParams": params})["launchRun"]
        if launched["__typename"] != "LaunchRunSuccess":
            raise DagsterUnavailable(
                f"launching {job} failed: {launched['__typename']}: {launched.get('message')}"
            )
        return launched["run"]["runId"]

    def terminate(self, run_id: str) -> str | None:
        """Stop a queued or running run; None when done, else why not."""
        answer = self.graphql(TERMINATE_MUTATION, {"runId": run_id})["terminateRun"]
        if answer["__typename"] == "TerminateRunSuccess":
            return None
        return answer.get("message") or answer["__typename"]
