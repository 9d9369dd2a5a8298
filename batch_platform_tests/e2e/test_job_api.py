"""The job API as a process (`batch-platform api`) in front of a real `dg dev`: keys, limits,
idempotency; a URL batch from a local site submitted, polled to completion, its results paged,
its webhook received; a small urgent batch passing a big queued one; batches canceled; a signal
file uploaded and ingested; a portfolio sweep launched with its priority."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from batch_platform.defs.content.logic.local_site import serve_site
from batch_platform.defs.portfolio.partitions import portfolio_months
from batch_platform_tests.defs.common.hooks import Hooks
from batch_platform_tests.defs.delivery.scores import SECRET
from batch_platform_tests.e2e.conftest import ROOT, running_dev_server, stop_process_group
from batch_platform_tests.e2e.runs import RUNS, wait_for_runs
from batch_platform_tests.support.postgres import free_port
from batch_platform_tests.support.priority import OTHER_SERVERS_NICENESS, at_niceness

# One worker runs this module, so its dev server starts once (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_job_api")

CLI = str(Path(sys.executable).with_name("batch-platform"))
FINISHED = {"succeeded", "failed", "canceled"}
SIGNALS_HEADER = "event_id,occurred_at,source,event_type,email\n"


class JobApi:
    def __init__(self, url: str, server, site, hooks: Hooks, state_db: Path, log: Path):
        self.url, self.server, self.site, self.hooks = url, server, site, hooks
        self.state_db, self.log = state_db, log
        self.token = self.new_key("e2e")

    def new_key(self, name: str, *limits: str) -> str:
        created = subprocess.run(
            [CLI, "api-keys", "create", name, *limits, "--state-db", str(self.state_db)],
            capture_output=True, text=True, timeout=60, check=True,
        )  # fmt: skip
        print(f"$ batch-platform api-keys create {name} {' '.join(limits)}\n{created.stdout}")
        return created.stdout.split()[-1]

    def client(self, token: str | None = None) -> httpx.Client:
        token = self.token if token is None else token
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60, trust_env=False)

    def status(self, batch_id: str) -> dict:
        with self.client() as client:
            response = client.get(f"/v1/batches/{batch_id}")
        assert response.status_code == 200, response.text
        return response.json()

    def wait(self, batch_id: str, done, timeout: float = 240, every: float = 0.5) -> list[dict]:
        """Every status seen until ``done(status)``."""
        seen, deadline = [], time.monotonic() + timeout
        while time.monotonic() < deadline:
            seen.append(self.status(batch_id))
            if done(seen[-1]):
                return seen
            time.sleep(every)
        tail = self.server.log.read_text()[-3000:]
        raise AssertionError(
            f"{batch_id} still {seen[-1]}:\n{tail}\n{self.log.read_text()[-2000:]}"
        )

    def submit(self, urls: list[str], **options) -> str:
        with self.client() as client:
            response = client.post("/v1/batches", json={"urls": urls, **options})
        assert response.status_code == 202, response.text
        return response.json()["batch_id"]


def content_runs(job_api: JobApi) -> dict[str, dict]:
    """The URL batch runs Dagster holds, by batch id: status, priority and times."""
    runs = job_api.server.graphql(RUNS, {"filter": {"pipelineName": "content_batch_ingest"}})
    by_batch = {}
    for run in runs["runsOrError"]["results"]:
        tags = {t["key"]: t["value"] for t in run["tags"]}
        by_batch.setdefault(tags.get("dagster/partition"), {
            "status": run["status"], "priority": tags.get("dagster/priority"),
            "created": run["creationTime"], "started": run["startTime"],
        })  # fmt: skip
    return by_batch


def wait_for_run_statuses(job_api: JobApi, wanted: dict[str, set[str]], timeout=120) -> dict:
    """Wait until each batch's latest run is in one of its wanted Dagster statuses."""
    deadline = time.monotonic() + timeout
    while True:
        runs = content_runs(job_api)
        if all(runs.get(batch, {}).get("status") in ok for batch, ok in wanted.items()):
            return {batch: runs[batch] for batch in wanted}
        assert time.monotonic() < deadline, f"wanted {wanted}, Dagster has {runs}"
        time.sleep(0.25)


@pytest.fixture(scope="module")
def job_api(tmp_path_factory):
    root = tmp_path_factory.mktemp("job_api")
    # One run at a time, so that runs queue and the queue's order shows.
    dagster_yaml = root / "dagster.yaml"
    dagster_yaml.write_text(
        (ROOT / "dagster.yaml")
        .read_text()
        .replace("max_concurrent_runs: 4", "max_concurrent_runs: 1")
    )
    assert "max_concurrent_runs: 1" in dagster_yaml.read_text()
    env = {
        "BATCH_PLATFORM_CONTENT_ALLOWED_NETWORKS": "127.0.0.1/32",
        "BATCH_PLATFORM_CONTENT_PER_HOST_CONCURRENCY": "2",
        "BATCH_PLATFORM_CONTENT_TOTAL_TIMEOUT": "5",
        "BATCH_PLATFORM_CONTENT_RETRY_BASE": "0.05",
        "BATCH_PLATFORM_CONTENT_MAX_FAILURE_RATE": "0.5",
        "BATCH_PLATFORM_API_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32",
        "BATCH_PLATFORM_SIGNING_SECRET": SECRET,
    }
    hooks = Hooks()
    with serve_site() as site, running_dev_server(root, dagster_yaml, env) as server:
        state_db = root / "api" / "state.sqlite"
        api_env = {
            **os.environ,
            **env,
            "BATCH_PLATFORM_LANDING_DIR": str(server.landing),
            "BATCH_PLATFORM_WAREHOUSE": str(server.warehouse),
            "BATCH_PLATFORM_API_STATE_DB": str(state_db),
            "BATCH_PLATFORM_API_DAGSTER_URL": server.url,
            "BATCH_PLATFORM_API_MAX_REQUEST_BYTES": "65536",
            "BATCH_PLATFORM_API_RATE_PER_MINUTE": "6000",
            "BATCH_PLATFORM_API_RATE_BURST": "200",
        }
        port, log = free_port(), root / "api.log"
        with open(log, "wb") as out:
            process = subprocess.Popen(
                [CLI, "api", "--host", "127.0.0.1", "--port", str(port)],
                env=api_env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                preexec_fn=at_niceness(OTHER_SERVERS_NICENESS),
            )  # fmt: skip
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"{url}/openapi.json", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if process.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"the API did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.2)
            yield JobApi(url, server, site, hooks, state_db, log)
        finally:
            stop_process_group(process)
            hooks.close()


def test_401_without_a_key_429_past_the_limit_413_over_the_size(job_api):
    with job_api.client(token="") as anonymous:
        refused = anonymous.get("/v1/batches/anything")
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert anonymous.get("/docs").status_code == 200
    limited = job_api.new_key("limited", "--rate-per-minute", "6", "--burst", "2")
    with job_api.client(limited) as client:
        answers = [client.get("/v1/batches/no-such-batch") for _ in range(3)]
    assert [a.status_code for a in answers] == [404, 404, 429]
    # 6 a minute: a token every 10 s, less what passed since the burst was spent (under load,
    # a second or more between requests).
    assert 1 <= int(answers[2].headers["retry-after"]) <= 10
    assert answers[2].json()["code"] == "rate_limited"
    big = "\n".join(job_api.site.url(f"/page/{n}") for n in range(3000)).encode()
    with job_api.client() as client:
        too_big = client.post("/v1/batches", content=big, headers={"Content-Type": "text/plain"})
    assert too_big.status_code == 413 and too_big.json()["limit_bytes"] == 65536
    print(f"401: {refused.json()}\n429: {answers[2].json()}\n413: {too_big.json()}")


def test_a_batch_is_submitted_polled_to_completion_and_its_results_paged(job_api):
    site = job_api.site
    urls = [site.url(f"/page/{n}") for n in range(1, 16)]
    urls += [site.url(f"/slow/{n}?seconds=1.5") for n in range(1, 9)]
    urls += [site.url("/missing/1"), "not-a-url"]
    request = {"urls": urls, "webhook_url": job_api.hooks.url, "priority": 1}
    with job_api.client() as client:
        first = client.post("/v1/batches", json=request, headers={"Idempotency-Key": "e2e-1"})
        again = client.post("/v1/batches", json=request, headers={"Idempotency-Key": "e2e-1"})
    assert first.status_code == again.status_code == 202, first.text
    assert again.json() == first.json() and again.headers["idempotency-replayed"] == "true"
    submitted = first.json()
    batch_id = submitted["batch_id"]
    print(f"POST /v1/batches → {first.status_code} {json.dumps(submitted)}")
    assert (submitted["urls"], submitted["invalid"]) == (24, 1)
    assert submitted["rejected"][0]["index"] == 24
    seen = job_api.wait(batch_id, lambda s: s["state"] in FINISHED)
    final = seen[-1]
    print(f"GET /v1/batches/{batch_id} → {json.dumps(final)}")
    assert final["state"] == "succeeded", final
    assert (final["completed"], final["total"], final["failed"]) == (24, 24, 1)
    assert final["failures"] == [
        {"url": site.url("/missing/1"), "state": "failed", "reason": "HTTP 404 Not Found"}
    ]
    assert final["started_at"] < final["finished_at"] and final["duration_seconds"] > 0
    assert final["priority"] == 1 and final["estimated_completion"] is None
    running = [s for s in seen if s["state"] == "running" and s["completed"] > 0]
    assert running, [s["state"] for s in seen]
    estimated = [s for s in running if s["estimate"] and s["estimate"]["basis"] == "measured"]
    assert estimated and all(s["estimated_completion"] > s["started_at"] for s in estimated)
    print(f"while running: {json.dumps(estimated[0])}")
    # Page through the results by cursor: every page once, in list order.
    with job_api.client() as client:
        for kind, limit in (("pages", 5), ("chunks", 7)):
            rows, cursor, calls = [], None, 0
            while True:
                params = {"kind": kind, "limit": limit} | ({"cursor": cursor} if cursor else {})
                page = client.get(f"/v1/batches/{batch_id}/results", params=params).json()
                rows += page["items"]
                calls += 1
                cursor = page["next_cursor"]
                if cursor is None:
                    break
            assert len(rows) == page["total"] > 0 and calls == -(-page["total"] // limit)
            if kind == "pages":
                assert page["total"] == 23
                lines = [r["line_number"] for r in rows]
                assert lines == sorted(set(lines))
                assert rows[0]["url"] == site.url("/page/1") and rows[0]["text"]
            else:
                keys = [(r["line_number"], r["chunk_index"]) for r in rows]
                assert keys == sorted(set(keys))
    # The batch's webhook, signed, when its run ended.
    deadline = time.monotonic() + 60
    while not any(b.get("batch_id") == batch_id for b in job_api.hooks.bodies):
        assert time.monotonic() < deadline, (job_api.hooks.statuses, job_api.server.log)
        time.sleep(1)
    hook = next(b for b in job_api.hooks.bodies if b["batch_id"] == batch_id)
    assert (hook["event"], hook["state"], hook["run_id"]) == (
        "url_batch.ended", "succeeded", final["run_id"])  # fmt: skip
    assert (hook["completed"], hook["failed"]) == (24, 1)
    assert set(job_api.hooks.statuses) == {204}  # every call carried a valid signature


def test_a_small_urgent_batch_passes_a_big_queued_one_and_others_are_canceled(job_api):
    site = job_api.site
    # 60 pages of 1.5 s, 2 at a time: the only run slot is busy for about 45 s, time enough for
    # the two other batches to reach Dagster's queue on a loaded machine; it is canceled then.
    blocker = job_api.submit([site.url(f"/slow/{n}?seconds=1.5") for n in range(100, 160)])
    job_api.wait(blocker, lambda s: s["state"] == "running")
    big = job_api.submit([site.url(f"/page/{n}") for n in range(200, 260)])
    job_api.wait(big, lambda s: s["state"] == "queued")
    small = job_api.submit([site.url(f"/page/{n}") for n in range(300, 303)], priority=10)
    job_api.wait(small, lambda s: s["state"] == "queued")
    # The API says "queued" from the run's creation on; the order shows only once both runs
    # stand in the queue itself (QUEUED, not NOT_STARTED) behind the running blocker.
    queue = wait_for_run_statuses(
        job_api, {blocker: {"STARTED"}, big: {"QUEUED"}, small: {"QUEUED"}}
    )
    with job_api.client() as client:
        canceled = client.delete(f"/v1/batches/{blocker}")
    assert canceled.status_code == 202 and canceled.json()["state"] == "canceling", canceled.text
    assert job_api.wait(blocker, lambda s: s["state"] in FINISHED)[-1]["state"] == "canceled"
    # The slot is free: the urgent batch, submitted last, starts before the big one.
    small_started = job_api.wait(small, lambda s: s["started_at"] is not None)[-1]
    big_now = job_api.status(big)
    assert big_now["state"] == "queued" or big_now["started_at"] > small_started["started_at"], (
        f"before the cancel: {queue}\nafter: {content_runs(job_api)}\n"
        f"{job_api.server.log.read_text()[-4000:]}"
    )
    with job_api.client() as client:
        answer = client.delete(f"/v1/batches/{big}")
    assert answer.status_code == 202, answer.text
    big_final = job_api.wait(big, lambda s: s["state"] in FINISHED)[-1]
    small_final = job_api.wait(small, lambda s: s["state"] in FINISHED)[-1]
    assert big_final["state"] == "canceled" and small_final["state"] == "succeeded"
    runs = {
        run["runId"]: run
        for run in job_api.server.graphql(
            RUNS, {"filter": {"pipelineName": "content_batch_ingest"}}
        )["runsOrError"]["results"]
    }
    small_run, big_run = runs[small_final["run_id"]], runs[big_final["run_id"]]
    assert big_run["creationTime"] < small_run["creationTime"]
    # Canceled in the queue, the big batch never started (the API says so: Dagster gives such a
    # run its end time as start time); else it started after the small one.
    big_started = big_final["started_at"]
    assert big_started is None or big_started > small_final["started_at"]
    tags = {key: {t["key"]: t["value"] for t in runs[key]["tags"]} for key in runs}
    assert tags[small_run["runId"]]["dagster/priority"] == "10"
    assert tags[big_run["runId"]]["dagster/priority"] == "0"
    print(
        f"big queued at {big_run['creationTime']:.1f}, small queued at "
        f"{small_run['creationTime']:.1f} and started at {small_run['startTime']:.1f}; big "
        f"{'never started' if big_started is None else f'started at {big_started}'}"
    )
    with job_api.client() as client:
        ended = client.delete(f"/v1/batches/{small}")
    assert ended.status_code == 409 and ended.json()["code"] == "batch_ended"


def test_a_signal_file_uploaded_through_the_api_is_ingested(job_api):
    body = (
        SIGNALS_HEADER + "api-1,2026-01-05T10:00:00Z,website,demo_request,api@example.io\n"
        "api-2,2026-01-05T10:05:00Z,website,page_view,api@example.io\n"
    )
    with job_api.client() as client:
        uploaded = client.put("/v1/signals/files/..%2Fapi upload.csv", content=body.encode())
    assert uploaded.status_code == 201, uploaded.text
    document = uploaded.json()
    assert document["name"] == "../api upload.csv" and document["bytes"] == len(body)
    assert document["stored_as"] == "_api upload.csv"
    run = wait_for_runs(job_api.server, [document["partition_key"]])[document["partition_key"]]
    assert run["status"] == "SUCCESS", job_api.server.log.read_text()[-3000:]


def test_a_portfolio_sweep_is_launched_with_its_priority(job_api):
    month = portfolio_months.get_last_partition_key()[:7]
    request = {"month": month, "registrations": ["US-1234567", "EM-018000001"], "priority": 5}
    with job_api.client() as client:
        launched = client.post(
            "/v1/portfolio/sweeps", json=request, headers={"Idempotency-Key": "s1"}
        )
        again = client.post("/v1/portfolio/sweeps", json=request, headers={"Idempotency-Key": "s1"})
        assert launched.status_code == 202, launched.text
        assert again.json()["sweep_id"] == launched.json()["sweep_id"]
        sweep_id = launched.json()["sweep_id"]
        status = client.get(f"/v1/portfolio/sweeps/{sweep_id}").json()
    print(f"POST /v1/portfolio/sweeps → {launched.json()}\nGET → {status}")
    assert status["month"] == month and status["priority"] == 5
    assert status["registrations"] == request["registrations"] and status["submitted_by"] == "e2e"
    assert status["state"] in {"queued", "running", "succeeded", "failed"}
    (run,) = job_api.server.graphql(RUNS, {"filter": {"runIds": [sweep_id]}})["runsOrError"][
        "results"
    ]
    tags = {t["key"]: t["value"] for t in run["tags"]}
    assert tags["dagster/partition"] == f"{month}-01" and tags["dagster/priority"] == "5"
    assert tags["batch_platform/requested_registrations"] == "2"
