"""Raw → cleaned signals: validated, normalised, de-duplicated and enriched; every row of raw
ends in exactly one of clean.signals, clean.signal_duplicates and quarantine.signal_rows."""

from collections import Counter

import dagster as dg

from batch_platform.defs.common.checks import check_spec, counted_check_result
from batch_platform.defs.common.metadata import table_metadata, table_spec
from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.defs.signals.assets._common import (
    CLEAN_SIGNALS,
    DUPLICATES,
    FIRMOGRAPHICS,
    QUARANTINED_ROWS,
    RAW_SIGNALS,
    RunCheck,
    multi_asset_over,
    partitions_filter,
    run_checks,
    sampled_for_log,
)
from batch_platform.defs.signals.logic.signal_cleaning import (
    SignalCleanCounts,
    clean_signal_partitions,
    row_accounting_failures,
)
from batch_platform.defs.signals.partitions import signal_file_partitions
from batch_platform.lib.markdown import markdown_table

CLEAN_CHECKS = [
    RunCheck(
        CLEAN_SIGNALS,
        "event_key_unique",
        "check_event_key_unique",
        "cleaned rows whose event key is kept more than once",
    ),
    RunCheck(
        CLEAN_SIGNALS,
        "no_null_keys",
        "check_clean_keys_not_null",
        "cleaned rows with a null key column",
    ),
    RunCheck(
        DUPLICATES,
        "points_at_kept_row",
        "check_duplicates_point_at_kept_rows",
        "duplicates pointing at no kept row",
    ),
    RunCheck(
        QUARANTINED_ROWS,
        "has_reason",
        "check_quarantined_rows_have_reason",
        "quarantined rows without a reason",
    ),
]
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


@dg.multi_asset(
    specs=[
        table_spec(
            CLEAN_SIGNALS,
            "Validated, normalised, de-duplicated signals enriched with "
            "firmographics. Key: event_key.",
            deps=[RAW_SIGNALS, FIRMOGRAPHICS],
            layer="clean",
        ),
        table_spec(
            DUPLICATES,
            "Rows repeating an event already kept, pointing at the kept row.",
            deps=[RAW_SIGNALS],
            layer="clean",
        ),
        table_spec(
            QUARANTINED_ROWS,
            "Rows that failed validation, with original values and the reason.",
            deps=[RAW_SIGNALS],
            layer="quarantine",
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
    **multi_asset_over(signal_file_partitions),
)
def clean_signals(context: dg.AssetExecutionContext, duckdb: WarehouseResource):
    """Validate, normalise, de-duplicate (first seen wins) and enrich each file's rows.

    The files of a run are cleaned together, as if one after another in landing order (so the
    first file to carry an event keeps it), in one transaction for the whole run.
    """
    keys = context.partition_keys
    with duckdb.get_connection() as con:
        context.log.info(f"cleaning {len(keys)} file(s) in one pass")
        by_partition = clean_signal_partitions(con, keys)
        totals = sum(by_partition.values(), SignalCleanCounts(0, 0, 0, 0))
        for key, counts in sampled_for_log(by_partition.items()):
            context.log.info(
                f"{key}: {counts.raw_rows:,} raw rows: {counts.cleaned:,} cleaned, "
                f"{counts.duplicates:,} duplicates, {counts.quarantined:,} quarantined"
            )
        reasons = Counter(totals.reasons)
        where, params = partitions_filter(keys)
        yield dg.MaterializeResult(
            asset_key=CLEAN_SIGNALS,
            metadata=table_metadata(con, "clean.signals", where, params)
            | {
                "raw_rows": totals.raw_rows,
                "duplicates": totals.duplicates,
                "dagster/column_lineage": CLEAN_COLUMN_LINEAGE,
            },
        )
        yield dg.MaterializeResult(
            asset_key=DUPLICATES,
            metadata=table_metadata(con, "clean.signal_duplicates", where, params),
        )
        yield dg.MaterializeResult(
            asset_key=QUARANTINED_ROWS,
            metadata=table_metadata(con, "quarantine.signal_rows", where, params)
            | {
                "reasons": dg.MetadataValue.md(
                    markdown_table(["reason", "rows"], reasons.most_common(20))
                )
            },
        )
        yield counted_check_result(
            asset_key=CLEAN_SIGNALS,
            check_name="row_accounting",
            failing_by_partition=row_accounting_failures(con, keys),
            what="raw rows not placed in exactly one of cleaned / duplicate / quarantined",
        )
        yield from run_checks(con, keys, CLEAN_CHECKS)
