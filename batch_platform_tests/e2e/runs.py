"""Polling a running Dagster's GraphQL API for runs."""

import time

from batch_platform.defs.signals.logic.signal_batches import file_keys, is_batch_key

RUNS = """
query Runs($filter: RunsFilter) {
  runsOrError(filter: $filter) {
    ... on Runs { results { runId status creationTime startTime tags { key value } } }
  }
}
"""
CHECKS = """
query Checks($runId: ID!) {
  runOrError(runId: $runId) {
    ... on Run {
      stepStats { stepKey status }
      assetCheckSelection { name }
    }
  }
  logsForRun(runId: $runId) {
    ... on EventConnection {
      events { __typename ... on AssetCheckEvaluationEvent { evaluation { checkName success } } }
    }
  }
}
"""
PARTITION_KEYS = """
query Keys($assetKey: AssetKeyInput!) {
  assetNodeOrError(assetKey: $assetKey) { ... on AssetNode { partitionKeys } }
}
"""
FINISHED = ("SUCCESS", "FAILURE", "CANCELED")
RANGE_START, RANGE_END = "dagster/asset_partition_range_start", "dagster/asset_partition_range_end"


def runs_for_partition(server, partition_key: str) -> list[dict]:
    """Runs of one landed file: its own runs, runs of a landing batch that holds it (by the
    batch's manifest), and runs over a range of files that includes it."""
    own = server.graphql(
        RUNS, {"filter": {"tags": [{"key": "dagster/partition", "value": partition_key}]}}
    )["runsOrError"]["results"]
    ingest_runs = server.graphql(RUNS, {"filter": {"pipelineName": "signal_file_ingest"}})[
        "runsOrError"
    ]["results"]
    for run in ingest_runs:
        batch = next((t["value"] for t in run["tags"] if t["key"] == "dagster/partition"), "")
        if is_batch_key(batch) and partition_key in file_keys(server.landing / "signals", [batch]):
            own.append(run)
    ranged = [run for run in ingest_runs if any(tag["key"] == RANGE_START for tag in run["tags"])]
    if not ranged:
        return own
    order = server.graphql(PARTITION_KEYS, {"assetKey": {"path": ["raw", "raw_signals"]}})[
        "assetNodeOrError"
    ]["partitionKeys"]
    if partition_key not in order:
        return own
    position = order.index(partition_key)
    for run in ranged:
        tags = {tag["key"]: tag["value"] for tag in run["tags"]}
        if order.index(tags[RANGE_START]) <= position <= order.index(tags[RANGE_END]):
            own.append(run)
    return own


def wait_for_runs(server, partition_keys: list[str], timeout: float = 240) -> dict[str, dict]:
    """The first finished run of each partition, waiting until all have one."""
    deadline = time.monotonic() + timeout
    done: dict[str, dict] = {}
    while time.monotonic() < deadline:
        for key in partition_keys:
            if key not in done:
                finished = [r for r in runs_for_partition(server, key) if r["status"] in FINISHED]
                if finished:
                    done[key] = finished[0]
        if len(done) == len(partition_keys):
            return done
        time.sleep(1)
    missing = sorted(set(partition_keys) - set(done))
    raise AssertionError(f"no finished run for {missing}:\n{server.log.read_text()[-3000:]}")


def check_results(server, run_id: str) -> dict[str, bool]:
    events = server.graphql(CHECKS, {"runId": run_id})["logsForRun"]["events"]
    return {
        e["evaluation"]["checkName"]: e["evaluation"]["success"]
        for e in events
        if e["__typename"] == "AssetCheckEvaluationEvent"
    }


def wait_for_job_run(server, job_name: str, timeout: float = 240) -> dict:
    """The first finished run of an unpartitioned job."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = server.graphql(RUNS, {"filter": {"pipelineName": job_name}})["runsOrError"]
        finished = [r for r in runs["results"] if r["status"] in FINISHED]
        if finished:
            return finished[0]
        time.sleep(1)
    raise AssertionError(f"no finished {job_name} run:\n{server.log.read_text()[-3000:]}")
