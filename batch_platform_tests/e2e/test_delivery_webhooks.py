"""Under a real `dg dev`, the run-status sensors run by default and post a signed summary of a
run nobody launched by hand (a dropped file's ingest run) to the configured webhook."""

import time

import pytest

from batch_platform.lib.keys import partition_key_for
from batch_platform_tests.defs.common.hooks import Hooks
from batch_platform_tests.defs.delivery.scores import SECRET
from batch_platform_tests.e2e.conftest import ROOT, running_dev_server
from batch_platform_tests.e2e.runs import wait_for_runs

# One worker runs this module, so its dev server starts once (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("test_delivery_webhooks")

TICKS = """
query Ticks($selector: SensorSelector!) {
  sensorOrError(sensorSelector: $selector) {
    ... on Sensor { sensorState { status ticks(limit: 1) { status } } }
  }
}
"""


def _sensor_ticked(server, name: str) -> bool:
    selector = {"repositoryLocationName": "batch_platform", "repositoryName": "__repository__",
                "sensorName": name}  # fmt: skip
    state = server.graphql(TICKS, {"selector": selector})["sensorOrError"]["sensorState"]
    return state["status"] == "RUNNING" and bool(state["ticks"])


def test_a_finished_run_is_posted_to_the_webhook(tmp_path):
    hooks = Hooks()
    env = {"BATCH_PLATFORM_WEBHOOK_URLS": hooks.url, "BATCH_PLATFORM_SIGNING_SECRET": SECRET}
    try:
        with running_dev_server(tmp_path, ROOT / "dagster.yaml", env) as server:
            deadline = time.monotonic() + 120
            while not _sensor_ticked(server, "run_success_webhook_sensor"):
                assert time.monotonic() < deadline, server.log.read_text()[-3000:]
                time.sleep(1)
            signals = server.landing / "signals"
            (signals / "hooked.csv").write_text(
                "event_id,occurred_at,source,event_type,email\n"
                "e1,2026-05-04T10:00:00Z,website,page_view,ann@acme.io\n"
                "e2,2026-05-04T10:05:00Z,website,demo_request,ann@acme.io\n"
            )
            (signals / "hooked.csv.done").write_text("")
            key = partition_key_for("hooked.csv")
            run = wait_for_runs(server, [key])[key]
            assert run["status"] == "SUCCESS"
            deadline = time.monotonic() + 120
            while not any(b["run_id"] == run["runId"] for b in hooks.bodies):
                assert time.monotonic() < deadline, server.log.read_text()[-3000:]
                time.sleep(1)
    finally:
        hooks.close()
    body = next(b for b in hooks.bodies if b["run_id"] == run["runId"])
    assert (body["job"], body["partition"], body["status"], body["failures"]) == (
        "signal_file_ingest", key, "SUCCESS", 0
    )  # fmt: skip
    assert body["rows_processed"] >= 2
    assert body["url"] == f"http://127.0.0.1:3000/runs/{run['runId']}"
