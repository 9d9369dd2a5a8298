"""The url_batches sensor: one partition and run per complete list, none twice."""

import os
import time

import dagster as dg

from batch_platform.defs.common.resources import LandingResource
from batch_platform.defs.content.sensors import url_batches_sensor


def evaluate(instance, landing_dir, cursor=None):
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"landing": LandingResource(landing_dir=str(landing_dir), settle_seconds=30)},
    )
    return url_batches_sensor(context)


def test_complete_lists_become_partitions_and_runs(tmp_path):
    batches = tmp_path / "url_batches"
    batches.mkdir()
    (batches / "news, week 1.txt").write_text("https://a.example/\n")
    (batches / "news, week 1.txt.done").write_text("")
    (batches / "still writing.csv").write_text("url\n")  # too new, no marker
    (batches / "later.txt.part").write_text("https://b.example/\n")
    old = time.time() - 60
    (batches / "settled.csv").write_text("url\nhttps://c.example/\n")
    os.utime(batches / "settled.csv", (old, old))
    with dg.DagsterInstance.ephemeral() as instance:
        result = evaluate(instance, tmp_path)
        assert isinstance(result, dg.SensorResult)
        keys = sorted(r.partition_key for r in result.run_requests)
        assert keys == ["news_week_1.txt-" + keys[0].rsplit("-", 1)[1], "settled.csv"]
        assert {r.tags["batch_platform/source_file"] for r in result.run_requests} == {
            "news, week 1.txt",
            "settled.csv",
        }
        assert sorted(result.dynamic_partitions_requests[0].partition_keys) == keys
        instance.add_dynamic_partitions("url_batches", keys)  # as the daemon does
        again = evaluate(instance, tmp_path, cursor=result.cursor)
        assert isinstance(again, dg.SkipReason)
        # A list that changes is run again, into the same partition.
        (batches / "settled.csv").write_text("url\nhttps://c.example/\nhttps://d.example/\n")
        os.utime(batches / "settled.csv", (old + 1, old + 1))
        changed = evaluate(instance, tmp_path, cursor=result.cursor)
        assert [r.partition_key for r in changed.run_requests] == ["settled.csv"]
        assert changed.dynamic_partitions_requests == []


def test_sensor_runs_by_default():
    assert url_batches_sensor.default_status == dg.DefaultSensorStatus.RUNNING
