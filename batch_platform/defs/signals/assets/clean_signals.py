"""Raw → cleaned signals: validated, normalised, de-duplicated and enriched; every row of raw
ends in exactly one of clean.signals, clean.signal_duplicates and quarantine.signal_rows."""

from collections import Counter

import dagster as dg

from batch_platform.defs.common.checks import check_spec, counted_check_result
from batch_platform.defs.common.metadata import table_metadata, table_spec
from batch_platform.defs.common.resources import LandingResource, WarehouseResource
from batch_platform.defs.reference.keys import (
    EVENT_TYPE_SPELLINGS,
    FREE_MAIL_DOMAINS,
    SIGNAL_SOURCES,
)
from batch_platform.defs.signals.assets._common import (
    CLEAN_SIGNALS,
    DUPLICATES,
    FIRMOGRAPHICS,
    QUARANTINED_ROWS,
    RAW_SIGNALS,
    RunCheck,
    multi_asset_over,
    run_checks,
    run_file_keys,
    sampled_for_log,
)
from batch_platform.defs.signals.logic.signal_cleaning import (
    SignalCleanCounts,
    clean_signal_partitions,
    duplicates_without_kept_row,
    event_key_repeats,
    row_accounting_failures,
)
from batch_platform.defs.signals.logic.signal_partitions import (
    RunPartitions,
    run_partitions,
    window_days,
)
from batch_platform.defs.signals.logic.signal_reference import signal_reference
from batch_platform.defs.signals.logic.unmapped_values import (
    unmapped_summary,
    unmapped_table,
    unmapped_values,
)
from batch_platform.defs.signals.partitions import signal_file_partitions
from batch_platform.lib.markdown import markdown_table
from batch_platform.lib.warehouse import one_snapshot

CLEAN_CHECKS = [
    RunCheck(
        CLEAN_SIGNALS,
        "no_null_keys",
        "check_clean_keys_not_null",
        "cleaned rows with a null key column",
    ),
    RunCheck(
        QUARANTINED_ROWS,
        "has_reason",
        "check_quarantined_rows_have_reason",
        "quarantined rows without a reason",
    ),
]
# The reference sets the cleaning reads: a change to one makes every cleaned file stale.
CLEANING_REFERENCE = [EVENT_TYPE_SPELLINGS, SIGNAL_SOURCES, FREE_MAIL_DOMAINS]
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
            "source_raw": "source",
            "event_type": "event_type",
            "event_type_raw": "event_type",
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
            "firmographics; an event type or source in no list of the reference data is kept as "
            "'unmapped' (original in event_type_raw / source_raw). Key: event_key.",
            deps=[RAW_SIGNALS, FIRMOGRAPHICS, *CLEANING_REFERENCE],
            layer="clean",
        ),
        table_spec(
            DUPLICATES,
            "Rows repeating an event already kept, pointing at the kept row.",
            deps=[RAW_SIGNALS, *CLEANING_REFERENCE],
            layer="clean",
        ),
        table_spec(
            QUARANTINED_ROWS,
            "Rows that failed validation, with original values and the reason.",
            deps=[RAW_SIGNALS, *CLEANING_REFERENCE],
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
            "No event_key of the run's files appears twice in clean.signals: within the run, "
            "or also kept by another file within the de-duplication window "
            "($BATCH_PLATFORM_SIGNAL_DEDUP_WINDOW_DAYS) of the rows' days.",
            blocking=True,
        ),
        check_spec(CLEAN_SIGNALS, "no_null_keys", "event_key, email, occurred_at are set."),
        check_spec(
            DUPLICATES, "points_at_kept_row", "Every duplicate points at a row in clean.signals."
        ),
        check_spec(QUARANTINED_ROWS, "has_reason", "Every quarantined row says why."),
        check_spec(
            CLEAN_SIGNALS,
            "values_mapped",
            "Warns when rows were kept with an event type or source in no list of the "
            "reference data ('unmapped'), with counts per spelling.",
        ),
    ],
    **multi_asset_over(signal_file_partitions),
)
def clean_signals(
    context: dg.AssetExecutionContext, duckdb: WarehouseResource, landing: LandingResource
):
    """Validate, normalise, de-duplicate (first seen wins) and enrich each file's rows.

    The files of a run are cleaned together, as if one after another in landing order (so the
    first file to carry an event keeps it), in one transaction for the whole run. Rows are
    compared with the history kept within the de-duplication window of their own day.
    """
    keys = run_file_keys(context, landing.signals_dir)
    reference = signal_reference()
    window = window_days()
    with duckdb.get_connection() as con:
        context.log.info(
            f"cleaning {len(keys)} file(s) in one pass; reference: {reference.source}; "
            f"history compared within {_window_text(window)} of each row's day"
        )
        by_partition = clean_signal_partitions(con, keys, reference, window)
        partitions = run_partitions(con, keys)
        totals = sum(by_partition.values(), SignalCleanCounts(0, 0, 0, 0))
        for key, counts in sampled_for_log(by_partition.items()):
            context.log.info(
                f"{key}: {counts.raw_rows:,} raw rows: {counts.cleaned:,} cleaned, "
                f"{counts.duplicates:,} duplicates, {counts.quarantined:,} quarantined"
            )
        reasons = Counter(totals.reasons)
        where, params = partitions.where(), partitions.params()
        with one_snapshot(con):
            yield dg.MaterializeResult(
                asset_key=CLEAN_SIGNALS,
                metadata=table_metadata(con, "clean.signals", where, params)
                | {
                    "raw_rows": totals.raw_rows,
                    "duplicates": totals.duplicates,
                    "dedup_window_days": _window_text(window),
                    "dagster/column_lineage": CLEAN_COLUMN_LINEAGE,
                    "reference_versions": reference.versions(),
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
            yield counted_check_result(
                asset_key=CLEAN_SIGNALS,
                check_name="event_key_unique",
                failing_by_partition=event_key_repeats(con, partitions, window),
                what="cleaned rows whose event key is kept more than once",
            )
            yield from run_checks(con, partitions, CLEAN_CHECKS)
            yield counted_check_result(
                asset_key=DUPLICATES,
                check_name="points_at_kept_row",
                failing_by_partition=duplicates_without_kept_row(con, partitions),
                what="duplicates pointing at no kept row",
            )
            yield values_mapped_check(con, partitions)


def _window_text(window: int | None) -> str:
    return "all history" if window is None else f"{window} day(s)"


def values_mapped_check(con, partitions: RunPartitions) -> dg.AssetCheckResult:
    """Warns about rows kept with an event type or source in no list, with counts per spelling;
    what to do about it is to add them to the reference file and re-run the files."""
    values = unmapped_values(con, partitions)
    if values:
        description = (
            f"{sum(v.rows for v in values):,} rows with values in no list, kept as 'unmapped' "
            f"(scoring 0): {unmapped_summary(values)}; map them in the reference file "
            "($BATCH_PLATFORM_REFERENCE) and re-run these files"
        )
    else:
        description = "every event type and source is in the reference data"
    return dg.AssetCheckResult(
        asset_key=CLEAN_SIGNALS,
        check_name="values_mapped",
        passed=not values,
        severity=dg.AssetCheckSeverity.WARN,
        description=description,
        metadata={
            "unmapped_rows": sum(v.rows for v in values),
            "unmapped_values": dg.MetadataValue.md(unmapped_table(values[:50])),
        },
    )
