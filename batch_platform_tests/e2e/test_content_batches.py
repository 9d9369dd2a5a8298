"""Content batches through a real `dg dev`: submit → status → results with the CLI, and a run
terminated mid-batch leaving its unfinished URLs `canceled`, never `running` or `queued`."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from batch_platform.defs.content.logic.local_site import serve_site
from batch_platform.lib.warehouse import connect
from batch_platform_tests.e2e.conftest import ROOT, running_dev_server

# One worker runs this module, so its dev server starts once (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_content_batches")

CLI = str(Path(sys.executable).with_name("batch-platform"))
TERMINATE = """
mutation Terminate($runId: String!) {
  terminateRun(runId: $runId) { __typename ... on PythonError { message } }
}
"""


@pytest.fixture(scope="module")
def content_server(tmp_path_factory):
    env = {
        "BATCH_PLATFORM_CONTENT_ALLOWED_NETWORKS": "127.0.0.1/32",
        "BATCH_PLATFORM_CONTENT_PER_HOST_CONCURRENCY": "2",
        "BATCH_PLATFORM_CONTENT_TOTAL_TIMEOUT": "2",
        "BATCH_PLATFORM_CONTENT_READ_TIMEOUT": "2",
        "BATCH_PLATFORM_CONTENT_RETRY_BASE": "0.05",
        "BATCH_PLATFORM_CONTENT_MAX_FAILURE_RATE": "0.5",
    }
    root = tmp_path_factory.mktemp("content")
    with serve_site() as site, running_dev_server(root, ROOT / "dagster.yaml", env) as server:
        server.site = site
        yield server


def cli(server, *args: str) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "BATCH_PLATFORM_LANDING_DIR": str(server.landing),
        "BATCH_PLATFORM_WAREHOUSE": str(server.warehouse),
    }
    return subprocess.run(
        [CLI, "batch", *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def status(server, batch_id: str) -> dict:
    done = cli(server, "status", batch_id, "--url", server.url, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def wait_for_state(server, batch_id: str, states: set[str], timeout: float = 240) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        current = status(server, batch_id)
        if current["state"] in states:
            return current
        time.sleep(1)
    raise AssertionError(f"{batch_id} still {current}:\n{server.log.read_text()[-3000:]}")


def test_submit_status_results_through_the_cli(content_server, tmp_path):
    site = content_server.site
    paths = [f"/page/{n}" for n in range(1, 21)] + ["/dup/1", "/near/2", "/missing/1"]
    listing = tmp_path / "weekly news.csv"
    rows = [f"{site.url(p)},news" for p in paths] + ["not-a-url,x", f"{site.url('/page/1')},y"]
    listing.write_text("url,topic\n" + "\n".join(rows) + "\n")
    started = time.monotonic()
    submitted = cli(content_server, "submit", str(listing))
    assert submitted.returncode == 0, submitted.stderr
    assert time.monotonic() - started < 10
    print(f"$ batch-platform batch submit {listing.name}\n{submitted.stdout}")
    lines = submitted.stdout.splitlines()
    batch_id = lines[0].removeprefix("batch id: ")
    assert batch_id.startswith("weekly_news.csv-")
    assert lines[1] == "23 URLs to fetch; 1 invalid and 1 duplicate lines not fetched"
    assert "line 25: invalid URL" in submitted.stdout and "line 26: duplicate of line 2" in (
        submitted.stdout
    )
    assert status(content_server, batch_id)["state"] in ("queued", "running", "succeeded")
    final = wait_for_state(content_server, batch_id, {"succeeded", "failed", "canceled"})
    assert final["state"] == "succeeded", final
    assert (final["completed"], final["total"], final["failed"]) == (23, 23, 1)
    assert final["failures"] == [
        {"url": site.url("/missing/1"), "state": "failed", "reason": "HTTP 404 Not Found"}
    ]
    assert final["duration_seconds"] > 0
    text = cli(content_server, "status", batch_id, "--url", content_server.url).stdout
    page = cli(content_server, "results", batch_id, "--page", "3", "--page-size", "10").stdout
    print(f"$ batch-platform batch status {batch_id}\n{text}\n{page}")
    assert text.startswith(f"batch {batch_id}: succeeded, 23/23 URLs done, 1 failed, ")
    first = json.loads(
        cli(content_server, "results", batch_id, "--page-size", "10", "--json").stdout
    )
    assert (first["page"], first["pages"], first["total"]) == (1, 3, 22)
    assert first["rows"][0]["url"] == site.url("/page/1")
    assert first["rows"][0]["title"] == "Article 1"
    last = json.loads(
        cli(
            content_server, "results", batch_id, "--page", "3", "--page-size", "10", "--json"
        ).stdout
    )
    assert [(r["url"], r["dup_status"]) for r in last["rows"]] == [
        (site.url("/dup/1"), "exact_duplicate"),
        (site.url("/near/2"), "near_duplicate"),
    ]
    chunks = json.loads(cli(content_server, "results", batch_id, "--chunks", "--json").stdout)
    assert chunks["total"] > 20 and chunks["rows"][0]["url"] == site.url("/page/1")
    assert (
        cli(content_server, "status", "no-such-batch", "--url", content_server.url).returncode == 2
    )


def test_a_terminated_run_leaves_unfinished_urls_canceled(content_server, tmp_path):
    site = content_server.site
    listing = tmp_path / "slow.txt"
    # Per-host cap 2 and 1.5 s per page: 30 pages take ~23 s, so the run is stopped midway.
    listing.write_text("\n".join(site.url(f"/slow/{n}?seconds=1.5") for n in range(30)) + "\n")
    batch_id = cli(content_server, "submit", str(listing)).stdout.splitlines()[0].split(": ")[1]
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        current = status(content_server, batch_id)
        if current["state"] == "running" and current.get("completed", 0) >= 2:
            break
        time.sleep(0.5)
    else:
        raise AssertionError(f"never saw the run make progress: {current}")
    answer = content_server.graphql(TERMINATE, {"runId": current["run_id"]})
    assert answer["terminateRun"]["__typename"] == "TerminateRunSuccess", answer
    final = wait_for_state(content_server, batch_id, {"canceled", "failed", "succeeded"})
    assert final["state"] == "canceled", final
    # The run process has exited: read the warehouse.
    con = connect(content_server.warehouse, read_only=True)
    try:
        states = dict(
            con.execute(
                "SELECT state, count(*) FROM content.batch_items WHERE partition_key = ? "
                "GROUP BY 1",
                [batch_id],
            ).fetchall()
        )
    finally:
        con.close()
    assert set(states) == {"succeeded", "canceled"}, states
    assert states["succeeded"] >= 2 and states["canceled"] >= 1
    assert sum(states.values()) == 30
