"""Landing → raw → cleaned signals: one dynamic partition per landed file."""

from collections import Counter
from typing import NamedTuple

import dagster as dg

from batch_platform.defs.common.checks import (
    check_spec,
    counted_check_result,
    partitions_count_check,
)
from batch_platform.defs.common.metadata import table_metadata, table_spec
from batch_platform.defs.common.resources import LandingResource, WarehouseResource
from batch_platform.defs.signals.assets._common import OWNERS, landing_files, multi_asset_over
from batch_platform.defs.signals.logic.raw_signal_load import FileLoad, load_signal_file
from batch_platform.defs.signals.logic.signal_cleaning import (
    SignalCleanCounts,
    clean_signal_partitions,
    row_accounting_failures,
)
from batch_platform.defs.signals.partitions import signal_file_partitions
from batch_platform.lib.landing import find_landed_files
from batch_platform.lib.markdown import markdown_table
from batch_platform.lib.sql_files import SqlFolder

LANDING_SIGNALS = dg.AssetKey(["landing", "landing_signal_files"])
RAW_SIGNALS = dg.AssetKey(["raw", "raw_signals"])
RAW_SIGNAL_FILES = dg.AssetKey(["raw", "raw_signal_files"])
QUARANTINED_FILES = dg.AssetKey(["quarantine", "quarantine_signal_files"])
CLEAN_SIGNALS = dg.AssetKey(["clean", "clean_signals"])
DUPLICATES = dg.AssetKey(["clean", "clean_signal_duplicates"])
QUARANTINED_ROWS = dg.AssetKey(["quarantine", "quarantine_signal_rows"])
FIRMOGRAPHICS = dg.AssetKey(["clean", "clean_firmographics"])
PARTITION = "partition_key = $partition_key"
load_sql = SqlFolder.of_domain(__file__)


class RunCheck(NamedTuple):
    """An asset check whose SQL file counts the offending rows per partition of the run."""

    asset_key: dg.AssetKey
    name: str
    sql_file: str
    what: str


# Checked per partition of the run, which key_unique_check (a single count) cannot report:
# lines_unique also counts a missing source_line, and event_key_unique also finds a key kept by
# a partition outside the run.
RAW_CHECKS = [
    RunCheck(
        RAW_SIGNALS,
        "lines_unique",
        "check_raw_lines_unique",
        "repeated or missing source_line values",
    ),
    RunCheck(
        RAW_SIGNAL_FILES,
        "rows_match_file",
        "check_rows_match_file",
        "file rows missing or row counts that differ from raw.signals",
    ),
    RunCheck(
        QUARANTINED_FILES,
        "quarantine_has_reason",
        "check_quarantined_files_have_reason",
        "quarantined files without a recorded reason",
    ),
]
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

landing_signal_files = landing_files(
    LANDING_SIGNALS,
    "Signal files (.csv, .jsonl, .parquet, optionally .gz) in <landing>/signals/.",
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
    **multi_asset_over(signal_file_partitions),
)
def raw_signals(
    context: dg.AssetExecutionContext, duckdb: WarehouseResource, landing: LandingResource
):
    """Load each landed file of the run into raw.signals, untouched; quarantine unreadable files.

    A run covers one file, or a range of files that landed together; each file is written in its
    own transaction, in landing order.
    """
    keys = context.partition_keys
    paths = find_landed_files(landing.signals_dir, keys)
    missing = [key for key, path in paths.items() if path is None]
    if missing:
        raise dg.Failure(
            f"no file in {landing.signals_dir} has partition key(s) {', '.join(missing[:10])}; "
            "were they moved or deleted after they landed?"
        )
    loads: list[FileLoad] = []
    logged = {key for key, _ in _sampled(paths.items())}
    with duckdb.get_connection() as con:
        for number, (key, path) in enumerate(paths.items(), start=1):
            load = load_signal_file(con, path, key, path.name)
            loads.append(load)
            if load.quarantine_reason:
                context.log.warning(f"quarantined {path.name}: {load.quarantine_reason}")
            elif key in logged:
                context.log.info(
                    f"[{number}/{len(keys)}] {path.name}: {load.data_rows:,} rows loaded "
                    f"({load.file_format}, {load.size_bytes:,} bytes)"
                )
        where, params = partitions_filter(keys)
        yield dg.MaterializeResult(
            asset_key=RAW_SIGNALS,
            metadata=table_metadata(con, "raw.signals", where, params) | file_metadata(loads),
        )
        yield dg.MaterializeResult(
            asset_key=RAW_SIGNAL_FILES,
            metadata=table_metadata(con, "raw.signal_files", where, params),
        )
        reasons = {load.source_file: load.quarantine_reason for load in loads}
        yield dg.MaterializeResult(
            asset_key=QUARANTINED_FILES,
            metadata=table_metadata(con, "quarantine.signal_files", where, params)
            | {"reason": "; ".join(f"{f}: {r}" for f, r in reasons.items() if r)[:2000]},
        )
        yield from run_checks(con, keys, RAW_CHECKS)


def partitions_filter(keys: list[str]) -> tuple[str, dict]:
    """A WHERE clause (and its parameters) selecting the run's partitions."""
    if len(keys) == 1:
        return PARTITION, {"partition_key": keys[0]}
    return "list_contains($partition_keys, partition_key)", {"partition_keys": list(keys)}


def file_metadata(loads: list[FileLoad]) -> dict:
    """What the UI shows about the run's files: one file's details, or a table of many."""
    if len(loads) == 1:
        load = loads[0]
        return {
            "source_file": load.source_file,
            "file_format": load.file_format or "unreadable",
            "size_bytes": load.size_bytes,
            "exact_fallback_parser": load.used_fallback,
        }
    table = markdown_table(
        ["file", "format", "rows", "quarantined"],
        [
            (load.source_file, load.file_format or "unreadable", f"{load.data_rows:,}",
             load.quarantine_reason)
            for load in loads[:200]
        ],
        right_aligned=["rows"],
    )  # fmt: skip
    return {
        "files": len(loads),
        "size_bytes": sum(load.size_bytes for load in loads),
        "exact_fallback_parser": sum(load.used_fallback for load in loads),
        "source_files": dg.MetadataValue.md(
            table + (f"\n\n… and {len(loads) - 200} more" if len(loads) > 200 else "")
        ),
    }


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
        for key, counts in _sampled(by_partition.items()):
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


def run_checks(con, keys: list[str], checks: list[RunCheck]):
    """The results of ``checks`` over the run's partitions."""
    for check in checks:
        yield partitions_count_check(
            con,
            asset_key=check.asset_key,
            check_name=check.name,
            sql=load_sql(check.sql_file),
            partition_keys=keys,
            what=check.what,
        )


def _sampled(items, at_most: int = 20):
    """At most ``at_most`` of ``items``, evenly spread: progress in the log without one stored
    event per file of a run over hundreds of files."""
    items = list(items)
    step = max(1, len(items) // at_most)
    return items[::step]
