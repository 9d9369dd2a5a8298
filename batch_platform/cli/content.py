"""`batch-platform batch`: submit a URL list, follow its state, page through its results.

``submit`` validates the list, reports invalid and duplicate lines, drops the file into
<landing>/url_batches/ (atomically, with a .done marker) and prints the batch id at once; the
running instance's sensor starts the run. ``status`` asks the instance over its GraphQL API;
``results`` reads content.pages / content.chunks from the warehouse, read-only; ``export``
(cli/search.py) writes a batch's chunks with their vectors to Parquet or JSON Lines.
"""

import argparse
import json
import os
import shutil
import time
from pathlib import Path
from typing import Any

import httpx

from batch_platform.api.dagster_client import RUN_STATES
from batch_platform.cli.sql import CliError, echo, open_lake, reporting_errors
from batch_platform.defs import content as content_domain
from batch_platform.defs.content.logic.urls import UrlListError, parse_url_list
from batch_platform.lib.http_retry import RetryPolicy, send_with_retries
from batch_platform.lib.keys import partition_key_for
from batch_platform.lib.settings import load_settings
from batch_platform.lib.sql_files import SqlFolder

load_sql = SqlFolder.of_domain(content_domain.__file__)
JOB = "content_batch_ingest"
DEFAULT_URL = "http://127.0.0.1:3000"
STATUS_QUERY = """
query BatchStatus($partition: String!, $job: String!) {
  runsOrError(
    filter: {pipelineName: $job, tags: [{key: "dagster/partition", value: $partition}]}
    limit: 1
  ) {
    __typename
    ... on Runs { results { runId status startTime endTime } }
    ... on PythonError { message }
  }
  assetOrError(assetKey: {path: ["content", "content_batch_items"]}) {
    ... on Asset {
      assetMaterializations(partitions: [$partition], limit: 1) { runId ENTRIES }
      assetObservations(partitions: [$partition], limit: 1) { runId ENTRIES }
    }
  }
}
""".replace(
    "ENTRIES",
    "metadataEntries { label ... on IntMetadataEntry { intValue } "
    "... on FloatMetadataEntry { floatValue } ... on TextMetadataEntry { text } "
    "... on JsonMetadataEntry { jsonString } }",
)
FAILURE_QUERY = """
query RunFailure($runId: ID!) {
  logsForRun(runId: $runId, limit: 1000) {
    ... on EventConnection {
      events { __typename ... on ExecutionStepFailureEvent { error { message } } }
    }
  }
}
"""


def _batches_dir(landing: str | None) -> Path:
    return (Path(landing) if landing else load_settings().landing_dir) / "url_batches"


def submit(args: argparse.Namespace) -> int:
    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    try:
        listed = parse_url_list(path)
    except UrlListError as error:
        raise CliError(str(error)) from None
    batch_id = partition_key_for(path.name)
    if not listed.items:
        raise CliError(f"{path.name}: no valid URL to fetch ({len(listed.rejected)} rejected)")
    directory = _batches_dir(args.landing)
    directory.mkdir(parents=True, exist_ok=True)
    target = directory / path.name
    partial = directory / f"{path.name}.part"
    shutil.copyfile(path, partial)
    os.replace(partial, target)
    (directory / f"{path.name}.done").touch()
    echo(f"batch id: {batch_id}")
    echo(
        f"{len(listed.items)} URLs to fetch; {len(listed.invalid)} invalid and "
        f"{len(listed.duplicates)} duplicate lines not fetched"
    )
    for rejected in listed.rejected:
        echo(f"  line {rejected.line}: {rejected.reason}: {rejected.value[:200]}")
    echo(f"follow it with: batch-platform batch status {batch_id}")
    return 0


def graphql(url: str, query: str, variables: dict[str, Any], timeout: float = 30.0) -> dict:
    endpoint = f"{url.rstrip('/')}/graphql"
    with httpx.Client(timeout=timeout, trust_env=False) as client:
        outcome = send_with_retries(
            lambda: client.post(endpoint, json={"query": query, "variables": variables}),
            RetryPolicy(attempts=3, base=0.5, cap=5),
        )
    if outcome.response is None:
        raise CliError(f"cannot reach the Dagster instance at {url}: {outcome.error}")
    if not outcome.ok:
        raise CliError(f"{endpoint} answered {outcome.error}: {outcome.response.text[:500]}")
    payload = outcome.response.json()
    if payload.get("errors"):
        raise CliError(f"GraphQL error: {payload['errors'][0].get('message')}")
    return payload["data"]


def _entries(event: dict | None) -> dict[str, Any]:
    values = {}
    for entry in (event or {}).get("metadataEntries", []):
        for field in ("intValue", "floatValue", "text"):
            if field in entry:
                values[entry["label"]] = entry[field]
        if "jsonString" in entry:
            values[entry["label"]] = json.loads(entry["jsonString"])
    return values


def batch_status(url: str, batch_id: str, landing: str | None = None) -> dict[str, Any]:
    data = graphql(url, STATUS_QUERY, {"partition": batch_id, "job": JOB})
    runs = data["runsOrError"]
    if runs["__typename"] != "Runs":
        raise CliError(f"cannot list runs: {runs.get('message')}")
    if not runs["results"]:
        if (_batches_dir(landing) / batch_id).exists() or any(
            partition_key_for(p.name) == batch_id for p in _batches_dir(landing).glob("*")
        ):
            return {"batch_id": batch_id, "state": "queued", "detail": "waiting for the sensor"}
        raise CliError(f"no batch {batch_id!r}: no run and no file in {_batches_dir(landing)}")
    run = runs["results"][0]
    asset = data.get("assetOrError") or {}
    materialized = next(iter(asset.get("assetMaterializations") or []), None)
    observed = next(iter(asset.get("assetObservations") or []), None)
    status: dict[str, Any] = {
        "batch_id": batch_id,
        "run_id": run["runId"],
        "state": RUN_STATES.get(run["status"], run["status"].lower()),
    }
    if run.get("startTime"):
        end = run.get("endTime") or time.time()
        status["duration_seconds"] = round(end - run["startTime"], 1)
    if materialized and materialized["runId"] == run["runId"]:
        values = _entries(materialized)
        status |= {
            k: values[k]
            for k in ("completed", "total", "succeeded", "failed", "skipped", "canceled")
            if k in values
        }
        status["failures"] = values.get("failures_json", [])
    elif observed and observed["runId"] == run["runId"]:
        values = _entries(observed)
        status |= {k: values[k] for k in ("completed", "total", "failed") if k in values}
    if status["state"] == "failed":
        logs = graphql(url, FAILURE_QUERY, {"runId": run["runId"]})["logsForRun"]
        messages = [
            e["error"]["message"].strip()
            for e in logs.get("events", [])
            if e["__typename"] == "ExecutionStepFailureEvent" and e.get("error")
        ]
        if messages:
            status["error"] = messages[-1]
    return status


def status(args: argparse.Namespace) -> int:
    result = batch_status(args.url, args.batch_id, args.landing)
    if args.json:
        echo(json.dumps(result))
        return 0
    line = f"batch {result['batch_id']}: {result['state']}"
    if "total" in result:
        line += f", {result.get('completed', 0)}/{result['total']} URLs done"
    if "failed" in result:
        line += f", {result['failed']} failed"
    if "duration_seconds" in result:
        line += f", {result['duration_seconds']} s"
    echo(line)
    for failure in result.get("failures", []):
        echo(f"  {failure['state']}: {failure['url']}: {failure['reason']}")
    if "error" in result:
        echo(f"run error: {result['error']}")
    return 0


RESULT_QUERIES = {
    "pages": (
        load_sql("select_result_pages"),
        "SELECT count(*) FROM content.pages WHERE partition_key = $batch",
    ),
    "chunks": (
        load_sql("select_result_chunks"),
        "SELECT count(*) FROM content.chunks WHERE partition_key = $batch",
    ),
}


def results(args: argparse.Namespace) -> int:
    if args.page < 1 or args.page_size < 1:
        raise CliError("--page and --page-size must be at least 1")
    select, count = RESULT_QUERIES["chunks" if args.chunks else "pages"]
    params = {"batch": args.batch_id}
    con = open_lake(args.warehouse, read_only=True)  # answers while runs write
    try:
        total = con.execute(count, params).fetchone()[0]
        cursor = con.execute(
            select, params | {"limit": args.page_size, "offset": (args.page - 1) * args.page_size}
        )
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()
    pages = max(1, -(-total // args.page_size))
    if args.json:
        echo(json.dumps({"page": args.page, "pages": pages, "total": total, "rows": rows}))
        return 0
    kind = "chunks" if args.chunks else "pages"
    echo(f"batch {args.batch_id}: {kind} {args.page} of {pages} ({total} {kind})")
    for row in rows:
        echo("  " + " | ".join(str(v)[:80].replace("\n", " ") for v in row.values()))
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("batch", help="content ingestion batches (URL lists)")
    commands = parser.add_subparsers(dest="batch_command", required=True, metavar="COMMAND")
    landing = {"help": "landing directory (default: $BATCH_PLATFORM_LANDING_DIR)"}
    url = {"default": DEFAULT_URL, "help": f"the Dagster webserver (default {DEFAULT_URL})"}

    submit_parser = commands.add_parser("submit", help="submit a URL list; prints the batch id")
    submit_parser.add_argument("file", help=".txt (one URL a line) or .csv with a url column")
    submit_parser.add_argument("--landing", **landing)
    submit_parser.set_defaults(handler=reporting_errors(submit))

    status_parser = commands.add_parser("status", help="state, completed/total, failures")
    status_parser.add_argument("batch_id")
    status_parser.add_argument("--url", **url)
    status_parser.add_argument("--landing", **landing)
    status_parser.add_argument("--json", action="store_true", help="one JSON object")
    status_parser.set_defaults(handler=reporting_errors(status))

    results_parser = commands.add_parser("results", help="page through pages or chunks")
    results_parser.add_argument("batch_id")
    results_parser.add_argument("--page", type=int, default=1)
    results_parser.add_argument("--page-size", type=int, default=20)
    results_parser.add_argument("--chunks", action="store_true", help="chunks instead of pages")
    results_parser.add_argument(
        "--warehouse", help="warehouse directory (default: $BATCH_PLATFORM_WAREHOUSE)"
    )
    results_parser.add_argument("--json", action="store_true", help="one JSON object")
    results_parser.set_defaults(handler=reporting_errors(results))

    from batch_platform.cli.search import add_export_parser

    add_export_parser(commands)
