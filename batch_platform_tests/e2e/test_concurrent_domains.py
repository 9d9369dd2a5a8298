"""Readers never wait and domains do not queue behind each other, through a real `dg dev`.

A content batch fetching a slow local site for over a minute holds no warehouse slot while it
fetches: a signal file landed meanwhile is loaded at once and finishes while the batch still
fetches, a second small batch is fetched and written meanwhile too, and `batch-platform sql`
answers during all of it. Then a 5M-row signal file is ingested and
`batch-platform sql` keeps answering in under 2 s while it is written.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from batch_platform.defs.content.logic.local_site import serve_site
from batch_platform_tests.e2e.conftest import ROOT, running_dev_server
from batch_platform_tests.e2e.runs import wait_for_runs
from batch_platform_tests.support.priority import LATENCY_NICENESS, normal_priority

# One worker runs this module, so its dev server starts once (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_concurrent_domains")

CLI = str(Path(sys.executable).with_name("batch-platform"))
HEADER = "event_id,occurred_at,source,event_type,email\n"
RUNS = """
query Runs($filter: RunsFilter) {
  runsOrError(filter: $filter) {
    ... on Runs { results { runId status startTime endTime tags { key value } } }
  }
}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    env = {
        "BATCH_PLATFORM_CONTENT_ALLOWED_NETWORKS": "127.0.0.1/32",
        "BATCH_PLATFORM_CONTENT_PER_HOST_CONCURRENCY": "2",
        "BATCH_PLATFORM_CONTENT_TOTAL_TIMEOUT": "10",
        "BATCH_PLATFORM_CONTENT_READ_TIMEOUT": "10",
    }
    root = tmp_path_factory.mktemp("concurrent")
    with (
        serve_site() as site,
        running_dev_server(root, ROOT / "dagster.yaml", env, niceness=LATENCY_NICENESS) as dev,
    ):
        dev.site = site
        yield dev


def platform_cli(server, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    env = {
        **os.environ,
        "BATCH_PLATFORM_LANDING_DIR": str(server.landing),
        "BATCH_PLATFORM_WAREHOUSE": str(server.warehouse),
    }
    return subprocess.run(
        [CLI, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        preexec_fn=normal_priority,  # timed as a user would see it (support/priority.py)
    )


def timed_sql(server, query: str) -> tuple[float, str]:
    started = time.monotonic()
    done = platform_cli(server, "sql", query, "--format", "csv")
    assert done.returncode == 0, done.stderr
    return time.monotonic() - started, done.stdout


def runs_of(server, job: str) -> list[dict]:
    return server.graphql(RUNS, {"filter": {"pipelineName": job}})["runsOrError"]["results"]


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_signal_file_does_not_wait_for_a_long_content_batch(server, tmp_path):
    # 80 pages answering after 1.5 s each, 2 at a time on one host: about a minute of fetching.
    urls = [server.site.url(f"/slow/{n}?seconds=1.5") for n in range(1, 81)]
    listing = tmp_path / "slow site.txt"
    listing.write_text("\n".join(urls) + "\n")
    submitted = platform_cli(server, "batch", "submit", str(listing))
    assert submitted.returncode == 0, submitted.stderr
    content = wait_for(
        lambda: [r for r in runs_of(server, "content_batch_ingest") if r["status"] == "STARTED"],
        120,
        "the content run to start",
    )[0]
    time.sleep(5)
    path = server.landing / "signals" / "during_content.csv"
    rows = "".join(f"c-{i},2026-01-05T10:00:00Z,website,page_view,u{i}@c.io\n" for i in range(500))
    path.write_text(HEADER + rows)
    path.with_name("during_content.csv.done").touch()
    completed_at = time.time()
    signal_run = wait_for_runs(server, ["during_content.csv"], timeout=120)["during_content.csv"]
    started_after = signal_run["startTime"] - completed_at
    print(f"signal file complete → run started {started_after:.1f} s (content run still going)")
    assert signal_run["status"] == "SUCCESS"
    # Sensor every 2 s, queue every 1 s, then the run's process loads the code location: about
    # 4 s on an idle machine, 13 s seen in CI with the other test worker busy. What must hold is
    # that it does not wait for the content run (a minute of fetching, asserted still running
    # below); how fast it starts is measured in `make bench` (fixed costs), not here.
    assert started_after < 40
    seconds, answer = timed_sql(server, "SELECT count(*) AS n FROM clean.signals")
    assert answer.splitlines()[1] == "500" and seconds < 2
    content_runs = runs_of(server, "content_batch_ingest")
    still = next(r for r in content_runs if r["runId"] == content["runId"])
    assert still["status"] == "STARTED", "the content batch should still be fetching"
    # The fetch step holds no warehouse slot: a second, small batch is fetched and written
    # (its write step taking the content slot) while the first one still fetches.
    quick = tmp_path / "quick.txt"
    quick.write_text("".join(server.site.url(f"/page/{n}") + "\n" for n in range(3)))
    assert platform_cli(server, "batch", "submit", str(quick)).returncode == 0
    quick_run = wait_for(
        lambda: [
            r
            for r in runs_of(server, "content_batch_ingest")
            if r["runId"] != content["runId"] and r["status"] in ("SUCCESS", "FAILURE")
        ],
        120,
        "the small batch to finish",
    )[0]
    assert quick_run["status"] == "SUCCESS", server.log.read_text()[-4000:]
    still = next(
        r for r in runs_of(server, "content_batch_ingest") if r["runId"] == content["runId"]
    )
    assert still["status"] == "STARTED", "the first batch should still be fetching"
    finished = wait_for(
        lambda: [
            r
            for r in runs_of(server, "content_batch_ingest")
            if r["runId"] == content["runId"] and r["status"] in ("SUCCESS", "FAILURE")
        ],
        300,
        "the content run to finish",
    )[0]
    assert finished["status"] == "SUCCESS", server.log.read_text()[-4000:]
    signal_runs = runs_of(server, "signal_file_ingest")
    signal_end = next(r for r in signal_runs if r["runId"] == signal_run["runId"])["endTime"]
    assert finished["endTime"] > signal_end
    log = server.log.read_text()
    assert "Could not set lock" not in log and "Conflicting lock" not in log


def test_sql_answers_in_under_two_seconds_while_5m_rows_are_written(server, tmp_path):
    # A warehouse to read: run alone (`pytest -k`), the 5M-row run would otherwise be the one
    # creating it, and `sql` rightly says there is no warehouse until it has.
    first = server.landing / "signals" / "before_five_million.csv"
    first.write_text(HEADER + "b-1,2026-01-05T10:00:00Z,website,page_view,b@c.io\n")
    first.with_name("before_five_million.csv.done").touch()
    ran = wait_for_runs(server, ["before_five_million.csv"], timeout=120)
    assert ran["before_five_million.csv"]["status"] == "SUCCESS", server.log.read_text()[-4000:]
    big = server.landing / "signals" / "five_million.csv.part"
    duckdb.connect().execute(
        "COPY (SELECT 'f' || i AS event_id, '2026-01-06T10:00:00Z' AS occurred_at, "
        "'product' AS source, 'login' AS event_type, 'u' || (i % 100000) || '@big.io' AS email "
        f"FROM range(5000000) t(i)) TO '{big}' (HEADER, FORMAT csv)"
    )
    big.rename(big.with_suffix(""))
    big.with_suffix("").with_name("five_million.csv.done").touch()
    answers: list[float] = []
    while True:
        runs = [
            r
            for r in runs_of(server, "signal_file_ingest")
            if any(t["value"] == "five_million.csv" for t in r["tags"])
        ]
        if runs and runs[0]["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
            break
        if runs and runs[0]["status"] == "STARTED":
            seconds, _ = timed_sql(server, "SELECT count(*) FROM clean.signals")
            answers.append(seconds)
        time.sleep(0.5)
    assert runs[0]["status"] == "SUCCESS", server.log.read_text()[-4000:]
    print(f"{len(answers)} answers during the 5M-row run, slowest {max(answers):.2f} s")
    assert len(answers) >= 5
    assert max(answers) < 2
    _, total = timed_sql(server, "SELECT count(*) FROM raw.signals WHERE source_file = "
                         "'five_million.csv'")  # fmt: skip
    assert total.splitlines()[1] == "5000000"
