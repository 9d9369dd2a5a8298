"""A throwaway content platform: warehouse, landing/url_batches, instance, and the local site."""

from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest

from batch_platform.defs.common.resources import LandingResource, WarehouseResource
from batch_platform.defs.content.assets.batch_items import record_url_batch
from batch_platform.defs.content.assets.fetch_results import fetch_url_batch
from batch_platform.defs.content.assets.pages import clean_url_batch
from batch_platform.defs.content.logic.local_site import LocalSite, serve_site
from batch_platform.defs.content.resources import ContentResource, EmbeddingsResource
from batch_platform.lib.keys import partition_key_for

# Small limits so retries and the huge body take well under a second each. The timeouts leave a
# page on a loaded machine (the suite keeps both cores busy) its 2 s: at 0.5 s the first pages of
# a batch, which also open the connections, were once retried; the slow page sleeps 5 s.
FAST = {
    "connect_timeout": 2.0,
    "read_timeout": 2.0,
    "total_timeout": 2.0,
    "max_bytes": 1_000_000,
    "attempts": 3,
    "retry_base": 0.05,
    "max_retry_after": 5.0,
    "max_failure_rate": 1.0,
    "chunk_size": 300,
    "chunk_overlap": 120,
}


class ContentPlatform:
    def __init__(self, root: Path, site: LocalSite):
        self.site = site
        self.batches_dir = root / "landing" / "url_batches"
        self.batches_dir.mkdir(parents=True)
        self.warehouse = root / "warehouse"
        self.instance = dg.DagsterInstance.ephemeral()
        self.settings = dict(FAST)

    def resources(self, **content) -> dict:
        return {
            "duckdb": WarehouseResource(database=str(self.warehouse)),
            "landing": LandingResource(landing_dir=str(self.batches_dir.parent), settle_seconds=0),
            "content": ContentResource(**(self.settings | content)),
            "embeddings": EmbeddingsResource(),
        }

    def write_list(self, name: str, lines: list[str]) -> str:
        (self.batches_dir / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        key = partition_key_for(name)
        self.instance.add_dynamic_partitions("url_batches", [key])
        return key

    def run(self, key: str, assets=None, **content) -> dg.ExecuteInProcessResult:
        return dg.materialize(
            assets or [fetch_url_batch, record_url_batch, clean_url_batch],
            partition_key=key,
            resources=self.resources(**content),
            instance=self.instance,
            raise_on_error=False,
        )

    def query(self, sql: str, params=None) -> list[tuple]:
        with WarehouseResource(database=str(self.warehouse)).get_connection() as con:
            return con.execute(sql, params).fetchall()

    def states(self, key: str) -> dict[str, tuple]:
        rows = self.query(
            "SELECT url, state, http_status, error, attempts FROM content.batch_items "
            "WHERE partition_key = ? ORDER BY line_number",
            [key],
        )
        return {url.split("/", 3)[3]: tuple(rest) for url, *rest in rows}


@pytest.fixture(autouse=True)
def allow_the_local_site(monkeypatch):
    """The content tests serve on 127.0.0.1, which URLs may reach only when allowed."""
    monkeypatch.setenv("BATCH_PLATFORM_CONTENT_ALLOWED_NETWORKS", "127.0.0.1/32")


@pytest.fixture
def content_platform(tmp_path) -> Iterator[ContentPlatform]:
    with serve_site() as site:
        platform = ContentPlatform(tmp_path, site)
        yield platform
        platform.instance.dispose()
