"""Compaction: each table's small Parquet files merged into few larger ones."""

import time

import dagster as dg

from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.defs.lake.assets._common import COMPACTED_FILES, upkeep_asset
from batch_platform.defs.lake.checks import SMALL_FILES, small_files_result
from batch_platform.defs.lake.logic.compaction import (
    COMPACTION_HEADERS,
    Compaction,
    compaction_plan,
    compaction_totals,
)
from batch_platform.defs.lake.logic.lake_catalog import (
    compact_table,
    lake_catalog,
    lake_tables,
    table_files,
)
from batch_platform.defs.lake.logic.upkeep_settings import load_upkeep_settings
from batch_platform.lib.markdown import markdown_table
from batch_platform.lib.warehouse import current_snapshot


@dg.asset(key=COMPACTED_FILES, **upkeep_asset(), check_specs=[SMALL_FILES])
def compacted_files(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """Every table's small files merged: each write commits at least one Parquet file, so a
    table written partition by partition ends up with thousands of small ones, and every query
    opens them all. Files with deleted rows (a partition replaced) are first rewritten without
    them (small ones always, large ones once 10% of their rows are deleted), then DuckLake's
    ``ducklake_merge_adjacent_files`` merges the files of each table, one merged file per
    transaction so that writers are not held up for long. The rows, and time travel to earlier
    snapshots, are unchanged; the old files are scheduled for deletion
    (``lake/lake_cleaned_files`` deletes them).
    """
    settings = load_upkeep_settings()
    started = time.monotonic()
    with duckdb.get_connection() as con:
        catalog = lake_catalog(con)
        tables, compactions = [], []
        for schema, table in lake_tables(con):
            files = table_files(con, catalog, schema, table)
            plan = compaction_plan(files, settings.small_file_bytes)
            if plan is not None:
                after = compact_table(con, catalog, files, plan)
                if after.files != files.files:
                    compactions.append(Compaction(files, after))
                    context.log.info(
                        f"{files.name}: {files.file_count:,} files ({files.size_bytes:,} bytes) "
                        f"-> {after.file_count:,} ({after.size_bytes:,} bytes)"
                    )
                files = after
            tables.append(files)
        snapshot = current_snapshot(con)
    totals = compaction_totals(compactions)
    context.log.info(
        f"compacted {totals['tables_compacted']} of {len(tables)} tables: "
        f"{totals['files_before']:,} files -> {totals['files_after']:,}"
    )
    rows = [c.row() for c in compactions]
    yield dg.MaterializeResult(
        metadata={
            **totals,
            "tables": len(tables),
            "files_in_lake": sum(t.file_count for t in tables),
            "compacted": dg.MetadataValue.md(
                markdown_table(COMPACTION_HEADERS, rows, right_aligned=COMPACTION_HEADERS[1:])
            ),
            "seconds": round(time.monotonic() - started, 2),
            **({"lake_snapshot": snapshot} if snapshot is not None else {}),
        }
    )
    yield small_files_result(tables, settings)
