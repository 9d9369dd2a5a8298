"""Bounded memory and bounded text: cleaning a cleaning batch at a time, and failure reasons cut
to size wherever they are stored or shown."""

import tracemalloc
from datetime import datetime

import pytest

from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.defs.content.assets import batch_items
from batch_platform.defs.content.assets.pages import clean_url_batch
from batch_platform.defs.content.logic import page_cleaning, url_fetcher
from batch_platform.defs.content.logic.cleaning import CleanSettings, clean_batch, staged_batches
from batch_platform.defs.content.logic.extract import Extracted, extract
from batch_platform.defs.content.logic.reasons import MAX_REASON_CHARS

PATHS = [
    "/page/1", "/dup/1", "/near/1", "/redirect/4", "/text/5", "/markdown/6", "/page/9",
    "/charset/idna/2", "/page/3", "/dup/3", "/near/3", "/page/10", "/missing/1", "/private/2",
]  # fmt: skip
PAGES_SQL = "SELECT * EXCLUDE (cleaned_at) FROM content.pages WHERE partition_key = $k ORDER BY url"
CHUNKS_SQL = "SELECT * FROM content.chunks WHERE partition_key = $k ORDER BY url, chunk_index"


def materialization(result, name: str):
    return next(
        m.materialization.metadata
        for m in result.get_asset_materialization_events()
        if m.asset_key.path == ["content", name]
    )


def test_cleaning_in_small_batches_gives_the_same_rows(content_platform):
    site = content_platform.site
    earlier = content_platform.write_list("earlier.txt", [site.url("/page/3")])
    assert content_platform.run(earlier).success
    key = content_platform.write_list("many.txt", [site.url(p) for p in PATHS])
    result = content_platform.run(key)  # one cleaning batch: 200 pages, 50 MB by default
    assert result.success
    pages = content_platform.query(PAGES_SQL, {"k": key})
    chunks = content_platform.query(CHUNKS_SQL, {"k": key})
    statuses = {row[1].split("/", 3)[3]: row[11] for row in pages}
    assert statuses == {
        "page/1": "unique", "dup/1": "exact_duplicate", "near/1": "near_duplicate",
        "redirect/4": "unique", "text/5": "unique", "markdown/6": "unique", "page/9": "unique",
        "charset/idna/2": "unique", "page/3": "exact_duplicate", "dup/3": "exact_duplicate",
        "near/3": "near_duplicate", "page/10": "unique",
    }  # fmt: skip
    assert len(chunks) > len(pages)
    # Cleaned again, two bodies at a time, then one (each body is over the byte limit): a
    # duplicate may now be read before the page it repeats, and still points at it.
    for small in ({"clean_batch_pages": 2}, {"clean_batch_bytes": 1}):
        again = content_platform.run(key, assets=[clean_url_batch], **small)
        assert again.success and all(c.passed for c in again.get_asset_check_evaluations())
        assert content_platform.query(PAGES_SQL, {"k": key}) == pages, small
        assert content_platform.query(CHUNKS_SQL, {"k": key}) == chunks, small
        metadata = materialization(again, "content_pages")
        assert metadata["dagster/row_count"].value == len(pages)
        assert metadata["exact_duplicates"].value == 3
    # The batches themselves: consecutive URLs, never more than the limits allow.
    warehouse = WarehouseResource(database=str(content_platform.warehouse))
    with warehouse.get_connection() as con:
        by_count = list(staged_batches(con, key, CleanSettings(batch_pages=5)))
        by_bytes = list(staged_batches(con, key, CleanSettings(batch_bytes=6000)))
    assert [len(b) for b in by_count] == [5, 5, 2]
    assert [row[0] for b in by_count for row in b] == sorted(row[1] for row in pages)
    assert sum(len(b) for b in by_bytes) == len(pages) and len(by_bytes) >= 4
    for rows in by_bytes:
        assert len(rows) == 1 or sum(len(row[6]) for row in rows) <= 6000


def _stage_padded_pages(con, key: str, count: int, size: int) -> None:
    """``count`` succeeded items whose staged HTML is ``size`` bytes, mostly an HTML comment."""
    now = datetime(2026, 1, 1)
    con.execute(
        "INSERT INTO content.batches VALUES ($k, 'padded.txt', $now, $n, 0)",
        {"k": key, "now": now, "n": count},
    )
    for n in range(count):
        url = f"http://example.org/padded/{n}"
        body = (
            f"<html><head><title>Padded {n}</title></head><body><!--".encode()
            + b"x" * size
            + f"--><p>Padded page {n} has a sentence of its own, number {n}.</p></body></html>"
            .encode()
        )  # fmt: skip
        con.execute(
            "INSERT INTO content.batch_items (partition_key, source_file, line_number, url, "
            "state, attempts, from_cache) VALUES ($k, 'padded.txt', $n, $url, 'succeeded', 1, "
            "false)",
            {"k": key, "n": n + 1, "url": url},
        )
        con.execute(
            "INSERT INTO content.raw_responses VALUES ($k, $url, $url, 200, 'text/html', NULL, "
            "$body, $now)",
            {"k": key, "url": url, "body": body, "now": now},
        )


def test_cleaning_holds_one_batch_of_bodies_at_a_time(tmp_path, monkeypatch):
    """40 bodies of 1 MB, cleaned 3 MB at a time: Python never holds many more bytes than that.
    (The extractor is stubbed: trafilatura's own working memory is not what is measured.)"""

    def cheap_extract(body, content_type, language, extractor):
        return Extracted("html", None, None, body[-80:].decode())

    # Replaced and measured in this process: extracted here, not in worker processes.
    monkeypatch.setattr(page_cleaning, "extract", cheap_extract)
    warehouse = WarehouseResource(database=str(tmp_path / "warehouse"))
    with warehouse.get_connection() as con:
        _stage_padded_pages(con, "padded.txt", 40, 1_000_000)
        peaks = {}
        for label, settings in (
            ("batched", CleanSettings(batch_bytes=3_000_000, workers=0)),
            ("at once", CleanSettings(batch_pages=1000, batch_bytes=10**12, workers=0)),
        ):
            tracemalloc.start()
            try:
                counts = clean_batch(con, "padded.txt", settings)
                peaks[label] = tracemalloc.get_traced_memory()[1]
            finally:
                tracemalloc.stop()
            assert counts.by_status == {"unique": 40}
    assert peaks["batched"] < 8_000_000, peaks  # two or three bodies, and a copy of one
    assert peaks["at once"] > 35_000_000, peaks  # every body at once


def test_a_huge_failure_reason_is_stored_and_shown_cut(content_platform, monkeypatch):
    site = content_platform.site
    urls = [site.url(f"/page/{n}") for n in (1, 2, 3)]
    original = url_fetcher.Fetcher.fetch

    async def fetch_or_explode(self, url):
        if url == urls[1]:
            raise RuntimeError("x" * 100_000)
        return await original(self, url)

    def extract_or_explode(body, content_type, language, extractor):
        if b"Article 3" in body:
            raise ValueError("y" * 100_000)
        return extract(body, content_type, language, extractor)

    monkeypatch.setattr(url_fetcher.Fetcher, "fetch", fetch_or_explode)
    monkeypatch.setattr(page_cleaning, "extract", extract_or_explode)
    key = content_platform.write_list("huge_reasons.txt", urls)
    result = content_platform.run(key, extract_workers=0)  # the replaced extract runs here
    assert result.success
    [(error,)] = content_platform.query(
        "SELECT error FROM content.batch_items WHERE partition_key = $k AND url = $u",
        {"k": key, "u": urls[1]},
    )
    assert len(error) == MAX_REASON_CHARS
    assert error.startswith("RuntimeError: xxx") and error.endswith("x…")
    [(clean_error,)] = content_platform.query(
        "SELECT metadata->>'clean_error' FROM content.pages WHERE partition_key = $k AND url = $u",
        {"k": key, "u": urls[2]},
    )
    assert len(clean_error) == MAX_REASON_CHARS and clean_error.startswith("ValueError: yyy")
    [failure] = materialization(result, "content_batch_items")["failures_json"].value
    assert failure == {"url": urls[1], "state": "failed", "reason": error}
    pages = materialization(result, "content_pages")
    assert pages["unreadable"].value == 1


@pytest.mark.parametrize(("threshold", "succeeds"), [(1.0, True), (0.1, False)])
def test_failure_metadata_lists_a_bounded_number(
    content_platform, monkeypatch, threshold, succeeds
):
    monkeypatch.setattr(batch_items, "FAILURES_SHOWN", 2)
    monkeypatch.setattr(batch_items, "FAILURES_LISTED", 3)
    site = content_platform.site
    urls = [site.url(f"/missing/{n}") for n in range(6)] + [site.url("/page/1")]
    key = content_platform.write_list("many_failures.txt", urls)
    result = content_platform.run(key, max_failure_rate=threshold)
    assert result.success is succeeds
    metadata = materialization(result, "content_batch_items")
    assert metadata["failed"].value == 6
    assert [f["url"] for f in metadata["failures_json"].value] == urls[:3]
    assert metadata["failures_not_listed"].value == 3
    table = metadata["failures"].value
    assert urls[1] in table and urls[2] not in table and table.endswith("… and 4 more")
    if not succeeds:
        failure = next(e for e in result.all_events if e.is_step_failure)
        message = failure.step_failure_data.error.message
        assert f"- {urls[1]}: HTTP 404 Not Found" in message
        assert urls[2] not in message and "… and 4 more" in message
