"""Landing → raw: every landed signal file of the run into raw.signals, untouched, with a row
per file in raw.signal_files; files that cannot be read at all are quarantined whole."""

import dagster as dg

from batch_platform.defs.common.checks import check_spec, counted_check_result
from batch_platform.defs.common.metadata import landing_spec, table_metadata, table_spec
from batch_platform.defs.common.resources import LandingResource, WarehouseResource
from batch_platform.defs.signals.assets._common import (
    LANDING_SIGNALS,
    QUARANTINED_FILES,
    RAW_SIGNAL_FILES,
    RAW_SIGNALS,
    RunCheck,
    multi_asset_over,
    partitions_filter,
    run_checks,
    run_file_keys,
    sampled_for_log,
)
from batch_platform.defs.signals.logic.line_stats import raw_line_failures
from batch_platform.defs.signals.logic.raw_signal_load import (
    FileLoad,
    FileToLoad,
    load_signal_files,
)
from batch_platform.defs.signals.logic.signal_partitions import run_partitions
from batch_platform.defs.signals.partitions import signal_file_partitions
from batch_platform.lib.landing import find_landed_files
from batch_platform.lib.markdown import markdown_table
from batch_platform.lib.warehouse import one_snapshot

# Checked per partition of the run, which KeyUniqueCheck (a single count) cannot report; so is
# lines_unique (line_stats: a bit per line, not a hash of every line), which also counts a
# missing source_line.
RAW_CHECKS = [
    RunCheck(
        RAW_SIGNAL_FILES,
        "rows_match_file",
        "check_rows_match_file",
        "file rows or partition ids missing or repeated, or row counts that differ from "
        "raw.signals",
    ),
    RunCheck(
        QUARANTINED_FILES,
        "quarantine_has_reason",
        "check_quarantined_files_have_reason",
        "quarantined files without a recorded reason",
    ),
]
landing_signal_files = landing_spec(
    LANDING_SIGNALS,
    "signals",
    "Signal files (.csv, .jsonl, .parquet, optionally .gz) in <landing>/signals/.",
)


@dg.multi_asset(
    specs=[
        table_spec(
            RAW_SIGNALS,
            "Every data row of a landed file, as text, with source_file/source_line.",
            deps=[LANDING_SIGNALS],
            layer="raw",
        ),
        table_spec(
            RAW_SIGNAL_FILES,
            "One row per landed file: format, size, modified time, rows, status.",
            deps=[LANDING_SIGNALS],
            layer="raw",
        ),
        table_spec(
            QUARANTINED_FILES,
            "Files that could not be read at all, with the reason.",
            deps=[LANDING_SIGNALS],
            layer="quarantine",
        ),
    ],
    check_specs=[
        check_spec(RAW_SIGNALS, "lines_unique", "(source_file, source_line) identifies a row."),
        check_spec(
            RAW_SIGNAL_FILES,
            "rows_match_file",
            "One row per file, whose data_rows equals the rows in raw.signals, and one "
            "partition id of its own (raw.signal_partitions).",
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

    A run covers one file, or the files that landed together (a landing batch, one partition;
    or a range of file partitions): plain CSV files of one header are read in one pass, the
    others one by one, then all are written together in one transaction, each file under its
    own key.
    """
    keys = run_file_keys(context, landing.signals_dir)
    paths = find_landed_files(landing.signals_dir, keys)
    missing = [key for key, path in paths.items() if path is None]
    if missing:
        raise dg.Failure(
            f"no file in {landing.signals_dir} has partition key(s) {', '.join(missing[:10])}; "
            "were they moved or deleted after they landed?"
        )
    logged = {key for key, _ in sampled_for_log(paths.items())}

    def staged(number: int, load: FileLoad) -> None:
        if load.quarantine_reason:
            context.log.warning(f"quarantined {load.source_file}: {load.quarantine_reason}")
        elif load.partition_key in logged:
            context.log.info(
                f"[{number}/{len(keys)}] {load.source_file}: {load.data_rows:,} rows read "
                f"({load.file_format}, {load.size_bytes:,} bytes)"
            )

    files = [FileToLoad(path, key, path.name) for key, path in paths.items()]
    with duckdb.get_connection() as con:
        loads = load_signal_files(con, files, staged)
        context.log.info(
            f"{sum(load.data_rows for load in loads):,} rows of {len(loads)} file(s) written to "
            "raw.signals in one transaction"
        )
        where, params = partitions_filter(keys)
        partitions = run_partitions(con, keys)
        with one_snapshot(con):
            yield dg.MaterializeResult(
                asset_key=RAW_SIGNALS,
                metadata=table_metadata(con, "raw.signals", partitions.where(), partitions.params())
                | file_metadata(loads),
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
            yield counted_check_result(
                asset_key=RAW_SIGNALS,
                check_name="lines_unique",
                failing_by_partition=raw_line_failures(con, partitions),
                what="repeated or missing source_line values",
            )
            yield from run_checks(con, partitions, RAW_CHECKS)


def file_metadata(loads: list[FileLoad]) -> dict:
    """What the UI shows about the run's files: one file's details, or a table of many."""
    if len(loads) == 1:
        load = loads[0]
        return {
            "source_file": load.source_file,
            "file_format": load.file_format or "unreadable",
            "size_bytes": load.size_bytes,
            "exact_fallback_parser": load.used_fallback,
            "rejected_rows_read_again": load.rows_read_again,
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
        "rejected_rows_read_again": sum(load.rows_read_again for load in loads),
        "source_files": dg.MetadataValue.md(
            table + (f"\n\n… and {len(loads) - 200} more" if len(loads) > 200 else "")
        ),
    }
