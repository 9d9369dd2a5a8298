"""Landing → raw → cleaned signals: one dynamic partition per landed file."""

import dagster as dg

from batch_platform.defs.common.checks import check_spec, count_check
from batch_platform.defs.common.metadata import table_metadata, table_spec
from batch_platform.defs.common.resources import WAREHOUSE_POOL, LandingResource, WarehouseResource
from batch_platform.defs.signals.assets._common import OWNERS
from batch_platform.defs.signals.partitions import signal_file_partitions
from batch_platform.defs.signals.transforms import (
    clean_signal_partition,
    load_signal_file,
    load_sql,
    row_accounting_check_sql,
)
from batch_platform.lib.landing import find_landed_file

LANDING_SIGNALS = dg.AssetKey(["landing", "signal_files"])
RAW_SIGNALS = dg.AssetKey(["raw", "signals"])
RAW_SIGNAL_FILES = dg.AssetKey(["raw", "signal_files"])
QUARANTINED_FILES = dg.AssetKey(["quarantine", "signal_files"])
CLEAN_SIGNALS = dg.AssetKey(["clean", "signals"])
DUPLICATES = dg.AssetKey(["clean", "signal_duplicates"])
QUARANTINED_ROWS = dg.AssetKey(["quarantine", "signal_rows"])
FIRMOGRAPHICS = dg.AssetKey(["clean", "firmographics"])
PARTITION = "partition_key = $partition_key"
# Columns of clean.signals that come straight (normalised) from raw.signals columns.
CLEAN_COLUMN_LINEAGE = dg.TableColumnLineage(
    deps_by_column={
        column: [dg.TableColumnDep(asset_key=RAW_SIGNALS, column_name=source)]
        for column, source in {
            "source_file": "source_file",
            "source_line": "source_line",
            "event_id": "event_id",
            "occurred_at": "occurred_at",
            "source": "source",
            "event_type": "event_type",
            "original_event_type": "event_type",
            "email": "email",
            "account_domain": "account_domain",
            "properties": "properties",
        }.items()
    }
    | {
        column: [dg.TableColumnDep(asset_key=FIRMOGRAPHICS, column_name=column)]
        for column in ("company_name", "industry", "employee_count", "country")
    }
)

landing_signal_files = dg.AssetSpec(
    LANDING_SIGNALS,
    description="Signal files (.csv, .jsonl, .parquet, optionally .gz) in <landing>/signals/.",
    group_name="signals",
    kinds={"file"},
    owners=OWNERS,
)


@dg.multi_asset(
    specs=[
        table_spec(
            RAW_SIGNALS,
            "Every data row of a landed file, as text, with source_file/source_line.",
            deps=[LANDING_SIGNALS],
            layer="raw",
            owners=OWNERS,
        ),
        table_spec(
            RAW_SIGNAL_FILES,
            "One row per landed file: format, size, modified time, rows, status.",
            deps=[LANDING_SIGNALS],
            layer="raw",
            owners=OWNERS,
        ),
        table_spec(
            QUARANTINED_FILES,
            "Files that could not be read at all, with the reason.",
            deps=[LANDING_SIGNALS],
            layer="quarantine",
            owners=OWNERS,
        ),
    ],
    check_specs=[
        check_spec(RAW_SIGNALS, "lines_unique", "(source_file, source_line) identifies a row."),
        check_spec(
            RAW_SIGNAL_FILES,
            "rows_match_file",
            "One row per file, whose data_rows equals the rows in raw.signals.",
        ),
        check_spec(
            QUARANTINED_FILES,
            "quarantine_has_reason",
            "A file quarantined whole is recorded with a reason a user can act on.",
        ),
    ],
    partitions_def=signal_file_partitions,
    group_name="signals",
    pool=WAREHOUSE_POOL,
)
def raw_signals(
    context: dg.AssetExecutionContext, duckdb: WarehouseResource, landing: LandingResource
):
    """Load one landed file into raw.signals, untouched; quarantine it whole if unreadable."""
    key = context.partition_key
    path = find_landed_file(landing.signals_dir, key)
    if path is None:
        raise dg.Failure(
            f"no file in {landing.signals_dir} has partition key {key!r}; "
            "was it moved or deleted after it landed?"
        )
    context.log.info(f"loading {path} ({path.stat().st_size:,} bytes)")
    with duckdb.get_connection() as con:
        load = load_signal_file(con, path, key, path.name)
        params = {"partition_key": key}
        if load.quarantine_reason:
            context.log.warning(f"quarantined {path.name}: {load.quarantine_reason}")
        else:
            context.log.info(f"{load.data_rows:,} rows loaded ({load.file_format})")
        yield dg.MaterializeResult(
            asset_key=RAW_SIGNALS,
            metadata=table_metadata(con, "raw.signals", PARTITION, params)
            | {
                "source_file": path.name,
                "file_format": load.file_format or "unreadable",
                "size_bytes": load.size_bytes,
                "exact_fallback_parser": load.used_fallback,
            },
        )
        yield dg.MaterializeResult(
            asset_key=RAW_SIGNAL_FILES,
            metadata=table_metadata(con, "raw.signal_files", PARTITION, params),
        )
        yield dg.MaterializeResult(
            asset_key=QUARANTINED_FILES,
            metadata=table_metadata(con, "quarantine.signal_files", PARTITION, params)
            | {"reason": load.quarantine_reason or ""},
        )
        yield count_check(
            con,
            asset_key=RAW_SIGNALS,
            check_name="lines_unique",
            sql="SELECT count(*) - count(DISTINCT source_line) + count(*) FILTER "
            "(WHERE source_line IS NULL) FROM raw.signals WHERE partition_key = $partition_key",
            params=params,
            what="repeated or missing source_line values",
        )
        yield count_check(
            con,
            asset_key=RAW_SIGNAL_FILES,
            check_name="rows_match_file",
            sql="SELECT abs(count(*) - 1) + abs(coalesce(sum(data_rows), 0) - (SELECT count(*) "
            "FROM raw.signals WHERE partition_key = $partition_key)) FROM raw.signal_files "
            "WHERE partition_key = $partition_key",
            params=params,
            what="file rows missing or row counts that differ from raw.signals",
        )
        yield count_check(
            con,
            asset_key=QUARANTINED_FILES,
            check_name="quarantine_has_reason",
            sql="SELECT count(*) FROM raw.signal_files AS f WHERE f.partition_key = $partition_key "
            "AND f.status = 'quarantined' AND NOT EXISTS (SELECT 1 FROM quarantine.signal_files "
            "AS q WHERE q.partition_key = f.partition_key AND coalesce(q.reason, '') <> '')",
            params=params,
            what="quarantined files without a recorded reason",
        )


@dg.multi_asset(
    specs=[
        table_spec(
            CLEAN_SIGNALS,
            "Validated, normalised, de-duplicated signals enriched with "
            "firmographics. Key: event_key.",
            deps=[RAW_SIGNALS, FIRMOGRAPHICS],
            layer="clean",
            owners=OWNERS,
        ),
        table_spec(
            DUPLICATES,
            "Rows repeating an event already kept, pointing at the kept row.",
            deps=[RAW_SIGNALS],
            layer="clean",
            owners=OWNERS,
        ),
        table_spec(
            QUARANTINED_ROWS,
            "Rows that failed validation, with original values and the reason.",
            deps=[RAW_SIGNALS],
            layer="quarantine",
            owners=OWNERS,
        ),
    ],
    check_specs=[
        check_spec(
            CLEAN_SIGNALS,
            "row_accounting",
            "Every raw row of the file is in exactly one of clean.signals, "
            "clean.signal_duplicates and quarantine.signal_rows.",
            blocking=True,
        ),
        check_spec(
            CLEAN_SIGNALS,
            "event_key_unique",
            "No event_key appears twice in clean.signals.",
            blocking=True,
        ),
        check_spec(CLEAN_SIGNALS, "no_null_keys", "event_key, email, occurred_at are set."),
        check_spec(
            DUPLICATES, "points_at_kept_row", "Every duplicate points at a row in clean.signals."
        ),
        check_spec(QUARANTINED_ROWS, "has_reason", "Every quarantined row says why."),
    ],
    partitions_def=signal_file_partitions,
    group_name="signals",
    pool=WAREHOUSE_POOL,
)
def clean_signals(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """Validate, normalise, de-duplicate (first seen wins) and enrich one file's rows."""
    key = context.partition_key
    params = {"partition_key": key}
    with duckdb.get_connection() as con:
        counts = clean_signal_partition(con, key)
        context.log.info(
            f"{counts.raw_rows:,} raw rows: {counts.cleaned:,} cleaned, "
            f"{counts.duplicates:,} duplicates, {counts.quarantined:,} quarantined"
        )
        yield dg.MaterializeResult(
            asset_key=CLEAN_SIGNALS,
            metadata=table_metadata(con, "clean.signals", PARTITION, params)
            | {
                "raw_rows": counts.raw_rows,
                "duplicates": counts.duplicates,
                "dagster/column_lineage": CLEAN_COLUMN_LINEAGE,
            },
        )
        yield dg.MaterializeResult(
            asset_key=DUPLICATES,
            metadata=table_metadata(con, "clean.signal_duplicates", PARTITION, params),
        )
        accounting_sql, accounting_params = row_accounting_check_sql(con, key)
        reasons = "\n".join(f"| {r} | {n} |" for r, n in counts.reasons.items())
        yield dg.MaterializeResult(
            asset_key=QUARANTINED_ROWS,
            metadata=table_metadata(con, "quarantine.signal_rows", PARTITION, params)
            | {"reasons": dg.MetadataValue.md("| reason | rows |\n|---|---|\n" + reasons)},
        )
        yield count_check(
            con,
            asset_key=CLEAN_SIGNALS,
            check_name="row_accounting",
            sql=accounting_sql,
            params=accounting_params,
            what="raw rows not placed in exactly one of cleaned / duplicate / quarantined",
        )
        yield count_check(
            con,
            asset_key=CLEAN_SIGNALS,
            check_name="event_key_unique",
            sql=load_sql("check_event_key_unique"),
            params=params,
            what="event keys kept more than once",
        )
        yield count_check(
            con,
            asset_key=CLEAN_SIGNALS,
            check_name="no_null_keys",
            sql="SELECT count(*) FROM clean.signals WHERE partition_key = $partition_key "
            "AND (event_key IS NULL OR email IS NULL OR occurred_at IS NULL)",
            params=params,
            what="cleaned rows with a null key column",
        )
        yield count_check(
            con,
            asset_key=DUPLICATES,
            check_name="points_at_kept_row",
            sql="SELECT count(*) FROM clean.signal_duplicates AS d "
            "WHERE d.partition_key = $partition_key AND NOT EXISTS (SELECT 1 FROM clean.signals "
            "AS s WHERE s.source_file = d.duplicate_of_file "
            "AND s.source_line = d.duplicate_of_line AND s.event_key = d.event_key)",
            params=params,
            what="duplicates pointing at no kept row",
        )
        yield count_check(
            con,
            asset_key=QUARANTINED_ROWS,
            check_name="has_reason",
            sql="SELECT count(*) FROM quarantine.signal_rows WHERE partition_key = $partition_key "
            "AND coalesce(reason, '') = ''",
            params=params,
            what="quarantined rows without a reason",
        )
