"""The fetch step stages results as files; the write step folds them in, in one transaction."""

from datetime import UTC, datetime

import pytest

from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.defs.content.assets.batch_items import record_url_batch
from batch_platform.defs.content.assets.fetch_results import fetch_url_batch
from batch_platform.defs.content.logic import batch_store
from batch_platform.defs.content.logic.fetch_staging import ResultStager, staged_states
from batch_platform.defs.content.logic.url_fetcher import UrlFetchResult


def test_the_fetch_step_stages_and_the_write_step_writes_then_removes(content_platform):
    site = content_platform.site
    key = content_platform.write_list("two.txt", [site.url(f"/page/{n}") for n in range(120)])
    fetched = content_platform.run(key, assets=[fetch_url_batch])
    assert fetched.success
    staging = WarehouseResource(database=str(content_platform.warehouse)).staging("content", key)
    # Written every 50 results: at least three segments, nothing in the warehouse yet.
    assert len(staging.segments()) >= 3
    assert set(staged_states(staging).values()) == {"succeeded"}
    assert content_platform.query("SELECT count(*) FROM content.batch_items") == [(0,)]
    written = content_platform.run(key, assets=[record_url_batch])
    assert written.success
    assert content_platform.query(
        "SELECT state, count(*), sum(attempts) FROM content.batch_items GROUP BY 1"
    ) == [("succeeded", 120, 120)]
    assert content_platform.query("SELECT count(*) FROM content.raw_responses") == [(120,)]
    assert not staging.directory.exists()


def test_a_write_that_fails_midway_leaves_the_segments_and_a_rerun_writes_them_once(
    content_platform, monkeypatch
):
    site = content_platform.site
    key = content_platform.write_list("fails.txt", [site.url(f"/page/{n}") for n in range(120)])
    assert content_platform.run(key, assets=[fetch_url_batch]).success
    staging = WarehouseResource(database=str(content_platform.warehouse)).staging("content", key)
    segments = staging.segments()
    original = batch_store._record_results

    def fail_once_written(con, partition_key, segments, results):
        original(con, partition_key, segments, results)
        raise OSError("disk went away")

    monkeypatch.setattr(batch_store, "_record_results", fail_once_written)
    assert not content_platform.run(key, assets=[record_url_batch]).success
    assert staging.segments() == segments
    # The transaction rolled back: not even the batch's registration is there.
    assert content_platform.query("SELECT count(*) FROM content.batch_items") == [(0,)]
    monkeypatch.setattr(batch_store, "_record_results", original)
    assert content_platform.run(key, assets=[record_url_batch]).success
    assert content_platform.query(
        "SELECT state, count(*), sum(attempts) FROM content.batch_items GROUP BY 1"
    ) == [("succeeded", 120, 120)]
    assert site.stats.requests["/page/0"] == 1


@pytest.mark.parametrize("added", [1, 5])
def test_urls_added_to_the_list_after_the_fetch_are_canceled_not_lost(content_platform, added):
    site = content_platform.site
    urls = [site.url(f"/page/{n}") for n in range(4)]
    key = content_platform.write_list("grows.txt", urls)
    assert content_platform.run(key, assets=[fetch_url_batch]).success
    more = [site.url(f"/page/{100 + n}") for n in range(added)]
    (content_platform.batches_dir / "grows.txt").write_text("\n".join(urls + more) + "\n")
    assert content_platform.run(key, assets=[record_url_batch]).success
    rows = content_platform.query(
        "SELECT state, count(*), any_value(error) FROM content.batch_items GROUP BY 1 ORDER BY 1"
    )
    assert rows[0][:2] == ("canceled", added) and "joined the list" in rows[0][2]
    assert rows[1][:2] == ("succeeded", 4)


def test_a_url_staged_by_two_runs_keeps_its_latest_result_and_every_attempt(content_platform):
    """Segments an earlier run left (it died before writing them) hold a failure of a URL the
    next run fetched: the write keeps the latest result, adds up the attempts, stores one body."""
    site = content_platform.site
    urls = [site.url(f"/page/{n}") for n in range(3)]
    key = content_platform.write_list("twice.txt", urls)
    staging = WarehouseResource(database=str(content_platform.warehouse)).staging("content", key)
    earlier = ResultStager(staging, "the-run-that-died", total=1)
    now = datetime.now(UTC)
    earlier.add(
        UrlFetchResult(urls[0], "failed", 2, 503, "HTTP 503", None, None, None, None, now, now)
    )
    earlier.flush()
    assert content_platform.run(key, assets=[fetch_url_batch]).success
    assert len(staging.segments()) == 2
    assert content_platform.run(key, assets=[record_url_batch]).success
    assert content_platform.states(key)["page/0"] == ("succeeded", 200, None, 3)
    assert content_platform.query(
        "SELECT url, count(*) FROM content.raw_responses GROUP BY 1 ORDER BY 1"
    ) == [(url, 1) for url in urls]
