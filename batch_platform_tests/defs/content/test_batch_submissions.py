"""Submissions of the job API: a list lands with its options, the sensor turns them into run
tags (``dagster/priority``), and the batch's own webhook is called, signed, when its run ends."""

import json
import os

import dagster as dg
import pytest

from batch_platform.defs.common.resources import LandingResource
from batch_platform.defs.content.assets._common import BATCH_ITEMS
from batch_platform.defs.content.batch_webhooks import (
    url_batch_canceled_webhook_sensor,
    url_batch_success_webhook_sensor,
)
from batch_platform.defs.content.logic.batch_submissions import (
    BatchSubmission,
    check_webhook_url,
    land_url_list,
    read_submission,
    submission_path,
    webhook_policy,
    write_submission,
)
from batch_platform.defs.content.logic.urls import UrlListError
from batch_platform.defs.content.sensors import url_batches_sensor
from batch_platform.lib.network_guard import AddressPolicy
from batch_platform_tests.defs.common.hooks import Hooks
from batch_platform_tests.defs.delivery.scores import SECRET


def submission(batch_id="api-1.txt", **options) -> BatchSubmission:
    return BatchSubmission(batch_id=batch_id, submitted_at="2026-11-22T10:00:00+00:00", **options)


def test_a_list_lands_after_its_submission_and_before_its_marker(tmp_path):
    batches = tmp_path / "url_batches"
    listed = land_url_list(
        batches, "api-1.txt", b"https://a.example/\nnope\n", submission(priority=9)
    )
    assert [i.url for i in listed.items] == ["https://a.example/"] and len(listed.invalid) == 1
    assert sorted(p.name for p in batches.iterdir()) == [
        ".incoming", ".submissions", "api-1.txt", "api-1.txt.done"]  # fmt: skip
    assert read_submission(batches, "api-1.txt") == submission(priority=9)
    assert list((batches / ".incoming").iterdir()) == []


@pytest.mark.parametrize("data", [b"nope\n# only junk\n", b"\x00\x01binary", b"", b"\xff\xfe"])
def test_an_unusable_list_lands_nothing(tmp_path, data):
    batches = tmp_path / "url_batches"
    with pytest.raises(UrlListError):
        land_url_list(batches, "api-2.txt", data, submission("api-2.txt"))
    assert sorted(p.name for p in batches.rglob("*")) == [".incoming"]


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        json.dumps({"batch_id": "other.txt", "submitted_at": "x"}),
        json.dumps({"batch_id": "api-1.txt", "submitted_at": "x", "priority": 1000}),
        json.dumps({"batch_id": "api-1.txt", "submitted_at": "x", "priority": "5"}),
        json.dumps({"batch_id": "api-1.txt", "submitted_at": "x", "colour": "red"}),
        json.dumps({"batch_id": "api-1.txt", "submitted_at": "x", "pad": "x" * 70_000}),
    ],
)
def test_a_submission_that_is_not_one_is_ignored(tmp_path, content):
    path = submission_path(tmp_path, "api-1.txt")
    path.parent.mkdir(parents=True)
    path.write_text(content)
    assert read_submission(tmp_path, "api-1.txt") is None


def test_a_batch_id_cannot_name_a_path(tmp_path):
    with pytest.raises(ValueError, match="not a batch id"):
        submission_path(tmp_path, "../x")
    assert read_submission(tmp_path, "../../etc/passwd") is None


def test_the_sensor_gives_a_submitted_batch_its_priority(tmp_path):
    batches = tmp_path / "url_batches"
    land_url_list(batches, "api-1.txt", b"https://a.example/\n", submission(priority=7,
                  submitted_by="crawler-team"))  # fmt: skip
    (batches / "dropped.txt").write_text("https://b.example/\n")
    (batches / "dropped.txt.done").touch()
    context = dg.build_sensor_context(
        instance=dg.DagsterInstance.ephemeral(),
        resources={"landing": LandingResource(landing_dir=str(tmp_path), settle_seconds=30)},
    )
    result = url_batches_sensor(context)
    tags = {r.partition_key: r.tags for r in result.run_requests}
    assert tags["api-1.txt"] == {
        "batch_platform/source_file": "api-1.txt",
        "dagster/priority": "7",
        "batch_platform/submitted_by": "crawler-team",
    }
    assert tags["dropped.txt"] == {"batch_platform/source_file": "dropped.txt"}


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example/x", "is not http or https"),
        ("https:///x", "no host"),
        ("https://u:p@hooks.example/x", "carries credentials"),
        ("https://hooks.example/a b", "whitespace"),
        ("https://hooks.example:99999/", "unparseable"),
        ("https://hooks.example/" + "x" * 2048, "longer than"),
        ("http://127.0.0.1:8080/hook", "address not allowed: 127.0.0.1"),
        ("http://localhost/hook", "address not allowed: 127.0.0.1"),
        ("http://[::1]/hook", "address not allowed: ::1"),
        ("http://169.254.169.254/latest", "address not allowed"),
        ("http://10.1.2.3/hook", "address not allowed"),
    ],
)
def test_webhook_urls_that_are_refused(url, reason):
    with pytest.raises(ValueError, match=reason.replace("?", r"\?")):
        check_webhook_url(url, AddressPolicy())


def test_webhook_urls_that_are_accepted():
    assert check_webhook_url("https://hooks.example/x?token=1", AddressPolicy())
    allowed = webhook_policy({"BATCH_PLATFORM_API_WEBHOOK_ALLOWED_NETWORKS": "127.0.0.1/32"})
    assert check_webhook_url("http://127.0.0.1:8080/hook", allowed)


@dg.op
def fetch_and_record(context):
    observed = {"completed": 1, "total": 3, "failed": 0}
    context.log_event(dg.AssetObservation(asset_key=BATCH_ITEMS, partition="api-1.txt",
                                          metadata=observed))  # fmt: skip
    recorded = {"completed": 3, "total": 3, "succeeded": 2, "failed": 1, "skipped": 0,
                "canceled": 0, "failures_json": dg.MetadataValue.json([])}  # fmt: skip
    context.log_event(dg.AssetMaterialization(asset_key=BATCH_ITEMS, partition="api-1.txt",
                                              metadata=recorded))  # fmt: skip


@dg.job(name="content_batch_ingest")
def batch_run():
    fetch_and_record()


def ended_run_context(instance, sensor_name):
    result = batch_run.execute_in_process(
        instance=instance, tags={"dagster/partition": "api-1.txt"}
    )
    run = instance.get_run_by_id(result.run_id)
    end = next(
        e.dagster_event
        for e in instance.all_logs(run.run_id)
        if e.dagster_event and e.dagster_event.event_type_value == "PIPELINE_SUCCESS"
    )
    return dg.build_run_status_sensor_context(
        sensor_name=sensor_name, dagster_event=end, dagster_instance=instance, dagster_run=run
    )


def test_the_batch_webhook_is_called_signed_when_its_run_ends(tmp_path, monkeypatch):
    hooks = Hooks()
    try:
        monkeypatch.setenv("BATCH_PLATFORM_LANDING_DIR", str(tmp_path))
        monkeypatch.setenv("BATCH_PLATFORM_SIGNING_SECRET", SECRET)
        monkeypatch.delenv("BATCH_PLATFORM_WEBHOOK_SIGNING_SECRET", raising=False)
        write_submission(tmp_path / "url_batches", submission(webhook_url=hooks.url))
        with dg.DagsterInstance.ephemeral() as instance:
            context = ended_run_context(instance, "url_batch_success_webhook_sensor")
            # Not an allowed network yet: nothing is sent to 127.0.0.1.
            monkeypatch.delenv("BATCH_PLATFORM_API_WEBHOOK_ALLOWED_NETWORKS", raising=False)
            url_batch_success_webhook_sensor(context)
            assert hooks.requests == []
            monkeypatch.setenv("BATCH_PLATFORM_API_WEBHOOK_ALLOWED_NETWORKS", "127.0.0.1/32")
            url_batch_success_webhook_sensor(context)
            url_batch_success_webhook_sensor(context)
            run_id = context.dagster_run.run_id
    finally:
        hooks.close()
    assert hooks.statuses == [204, 204]  # signed with the shared secret
    (first_headers, _), (second_headers, _) = hooks.requests
    assert first_headers["webhook-id"] == second_headers["webhook-id"]
    body = hooks.bodies[0]
    assert {k: body[k] for k in ("event", "batch_id", "state", "run_id")} == {
        "event": "url_batch.ended", "batch_id": "api-1.txt", "state": "succeeded",
        "run_id": run_id}  # fmt: skip
    assert (body["completed"], body["total"], body["succeeded"], body["failed"]) == (3, 3, 2, 1)
    assert body["started_at"] and body["finished_at"] and body["run_url"].endswith(run_id)


def test_a_batch_without_a_webhook_is_skipped(tmp_path, monkeypatch):
    monkeypatch.setenv("BATCH_PLATFORM_LANDING_DIR", str(tmp_path))
    with dg.DagsterInstance.ephemeral() as instance:
        context = ended_run_context(instance, "url_batch_canceled_webhook_sensor")
        skipped = url_batch_canceled_webhook_sensor(context)
    assert "asked for no webhook" in skipped.skip_message
    assert not os.path.exists(tmp_path / "url_batches")
