"""What every asset of the content domain shares."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import dagster as dg
import duckdb

from batch_platform.defs.common.checks import check_spec, count_check
from batch_platform.lib.sql_files import SqlFolder

load_sql = SqlFolder.of_domain(__file__)

OWNERS = ["team:data-platform"]
GROUP = "content"
PARTITION = "partition_key = $partition_key"

LANDING_URL_BATCHES = dg.AssetKey(["landing", "landing_url_batches"])
BATCHES = dg.AssetKey(["content", "content_batches"])
BATCH_REJECTS = dg.AssetKey(["content", "content_batch_rejects"])
BATCH_ITEMS = dg.AssetKey(["content", "content_batch_items"])
RAW_RESPONSES = dg.AssetKey(["content", "content_raw_responses"])
PAGES = dg.AssetKey(["content", "content_pages"])
CHUNKS = dg.AssetKey(["content", "content_chunks"])


@dataclass(frozen=True)
class RowCountCheck:
    """A check whose ``sql/<sql>.sql`` counts offending rows of one batch: zero passes. Its spec
    and its evaluation come from here, so the two cannot drift apart."""

    asset_key: dg.AssetKey
    name: str
    description: str
    sql: str
    what: str  # one offending row, as the check result reports it
    blocking: bool = False

    def spec(self) -> dg.AssetCheckSpec:
        return check_spec(self.asset_key, self.name, self.description, blocking=self.blocking)

    def evaluate(
        self, con: duckdb.DuckDBPyConnection, params: Mapping[str, Any]
    ) -> dg.AssetCheckResult:
        return count_check(
            con,
            asset_key=self.asset_key,
            check_name=self.name,
            sql=load_sql(self.sql),
            params=params,
            what=self.what,
        )
