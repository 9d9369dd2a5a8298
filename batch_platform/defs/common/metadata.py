"""Metadata a user looks at in the UI: row counts, schemas, previews."""

from __future__ import annotations

from typing import Any

import dagster as dg
import duckdb

from batch_platform.defs.common.resources import warehouse_pool
from batch_platform.lib.markdown import markdown_table
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import checked_table, current_snapshot, scalar

load_sql = SqlFolder.of_domain(__file__)


# Who answers for every asset of the platform (shown in the UI and in the asset catalog).
OWNERS = ("team:data-platform",)


def table_metadata(
    con: duckdb.DuckDBPyConnection,
    table: str,
    where: str = "true",
    params: dict[str, Any] | None = None,
    preview_rows: int = 5,
) -> dict[str, Any]:
    """Row count of the partition, the table's column schema, a Markdown preview, and the lake
    snapshot read (the one this run wrote, read it with ``batch-platform sql --at-snapshot``)."""
    table = checked_table(table)
    schema, name = table.split(".")
    columns = con.execute(
        load_sql("select_table_columns"), {"schema": schema, "name": name}
    ).fetchall()
    rows = int(scalar(con, f"SELECT count(*) FROM {table} WHERE {where}", params))
    preview = con.execute(f"SELECT * FROM {table} WHERE {where} LIMIT {preview_rows}", params)
    headers = [d[0] for d in preview.description]
    markdown = markdown_table(headers, preview.fetchall(), max_chars=60)
    return {
        "dagster/row_count": rows,
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name=c, type=t) for c, t in columns]
        ),
        "dagster/table_name": table,
        "preview": dg.MetadataValue.md(markdown),
    } | _snapshot_metadata(con)


def _snapshot_metadata(con: duckdb.DuckDBPyConnection) -> dict[str, Any]:
    snapshot = current_snapshot(con)
    return {} if snapshot is None else {"lake_snapshot": snapshot}


def stored_asset(group: str, layer: str, *, kinds: tuple[str, ...] = ("duckdb",)) -> dict:
    """Decorator arguments of an asset stored in the warehouse: its domain's group, kinds, owner,
    layer tag, and the warehouse pool its writes queue on."""
    return {
        "group_name": group,
        "kinds": set(kinds),
        "owners": list(OWNERS),
        "tags": {"layer": layer},
        "pool": warehouse_pool(group),
    }


def landing_spec(key: dg.AssetKey, group: str, description: str) -> dg.AssetSpec:
    """Files users drop into a landing folder: the external source a domain's tables read."""
    return dg.AssetSpec(
        key, description=description, group_name=group, kinds={"file"}, owners=list(OWNERS)
    )


def table_spec(key: dg.AssetKey, description: str, deps: list, layer: str) -> dg.AssetSpec:
    """The spec of an asset stored as a DuckDB table (for multi-assets)."""
    return dg.AssetSpec(
        key,
        deps=deps,
        description=description,
        kinds={"duckdb"},
        owners=list(OWNERS),
        tags={"layer": layer},
    )
