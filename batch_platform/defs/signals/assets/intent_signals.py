"""Third-party intent: an intent provider's exports (account domain, topic, score, date), one
partition per landed file, validated and kept like signals — every row cleaned, a duplicate or
quarantined with its reason; a file that cannot be read is quarantined whole."""

from collections import Counter

import dagster as dg

from batch_platform.defs.common.checks import check_spec, partitions_count_check
from batch_platform.defs.common.metadata import landing_spec, table_metadata, table_spec
from batch_platform.defs.common.resources import LandingResource, WarehouseResource
from batch_platform.defs.signals.assets._common import (
    multi_asset_over,
    partitions_filter,
    sampled_for_log,
)
from batch_platform.defs.signals.logic.intent_loading import IntentFile, load_intent_files
from batch_platform.defs.signals.partitions import intent_file_partitions
from batch_platform.lib.landing import find_landed_files
from batch_platform.lib.markdown import markdown_table
from batch_platform.lib.sql_files import SqlFolder

load_sql = SqlFolder.of_domain(__file__)
LANDING_INTENT = dg.AssetKey(["landing", "landing_intent_files"])
RAW_INTENT_FILES = dg.AssetKey(["raw", "raw_intent_files"])
CLEAN_INTENT = dg.AssetKey(["clean", "clean_intent_signals"])
INTENT_DUPLICATES = dg.AssetKey(["clean", "clean_intent_signal_duplicates"])
QUARANTINED_INTENT = dg.AssetKey(["quarantine", "quarantine_intent_rows"])
# Every landed export, for the monthly and weekly assets that read third-party intent.
ALL_INTENT_FILES = dg.AssetDep(CLEAN_INTENT, partition_mapping=dg.AllPartitionMapping())
INTENT_CHECKS = {
    "row_accounting": (
        CLEAN_INTENT,
        "check_intent_row_accounting",
        "data rows not placed in exactly one of cleaned / duplicate / quarantined",
    ),
    "key_unique": (
        CLEAN_INTENT,
        "check_intent_key_unique",
        "kept rows whose (account_domain, topic, signal_date) is kept more than once",
    ),
    "has_reason": (
        QUARANTINED_INTENT,
        "check_quarantined_intent_rows_have_reason",
        "quarantined rows without a reason",
    ),
    "points_at_kept_row": (
        INTENT_DUPLICATES,
        "check_intent_duplicates_point_at_kept_rows",
        "duplicates pointing at no kept row",
    ),
    "quarantine_has_reason": (
        RAW_INTENT_FILES,
        "check_intent_files_quarantined_with_reason",
        "files quarantined whole without a reason",
    ),
}

landing_intent_files = landing_spec(
    LANDING_INTENT,
    "signals",
    "Intent-provider exports (.csv or .jsonl, optionally .gz) in <landing>/intent/ with "
    "account_domain, topic, score (0-100) and date.",
)


@dg.multi_asset(
    specs=[
        table_spec(
            RAW_INTENT_FILES,
            "One row per landed intent export: size, rows, loaded or quarantined (with reason).",
            deps=[LANDING_INTENT],
            layer="raw",
        ),
        table_spec(
            CLEAN_INTENT,
            "A provider's intent score per account, topic and day: domain normalised, topic "
            "lower-cased, score 0-100. Key: (account_domain, topic, signal_date), first seen "
            "wins.",
            deps=[LANDING_INTENT],
            layer="clean",
        ),
        table_spec(
            INTENT_DUPLICATES,
            "Intent rows repeating a score already kept, pointing at the kept row.",
            deps=[LANDING_INTENT],
            layer="clean",
        ),
        table_spec(
            QUARANTINED_INTENT,
            "Intent rows that failed validation, as written, with every reason.",
            deps=[LANDING_INTENT],
            layer="quarantine",
        ),
    ],
    check_specs=[
        check_spec(
            CLEAN_INTENT,
            "row_accounting",
            "Every data row of the file is in exactly one of clean.intent_signals, "
            "clean.intent_signal_duplicates and quarantine.intent_rows.",
            blocking=True,
        ),
        check_spec(
            CLEAN_INTENT,
            "key_unique",
            "No (account_domain, topic, signal_date) is kept twice.",
            blocking=True,
        ),
        check_spec(QUARANTINED_INTENT, "has_reason", "Every quarantined intent row says why."),
        check_spec(
            INTENT_DUPLICATES,
            "points_at_kept_row",
            "Every duplicate points at a row in clean.intent_signals.",
        ),
        check_spec(
            RAW_INTENT_FILES,
            "quarantine_has_reason",
            "A file quarantined whole is recorded with a reason a user can act on.",
        ),
    ],
    **multi_asset_over(intent_file_partitions),
)
def intent_signals(
    context: dg.AssetExecutionContext, duckdb: WarehouseResource, landing: LandingResource
):
    """Validate each intent export of the run (a file, or a range that landed together, in
    landing order) and replace its rows in the three tables in one transaction."""
    keys = context.partition_keys
    paths = find_landed_files(landing.intent_dir, keys)
    missing = [key for key, path in paths.items() if path is None]
    if missing:
        raise dg.Failure(
            f"no file in {landing.intent_dir} has partition key(s) {', '.join(missing[:10])}; "
            "were they moved or deleted after they landed?"
        )
    files = [IntentFile(key, path, path.name) for key, path in paths.items()]
    with duckdb.get_connection() as con:
        loads = load_intent_files(con, files)
        reasons: Counter = Counter()
        for load in loads.values():
            reasons.update(load.reasons)
            if load.file_reason:
                context.log.warning(f"quarantined {load.source_file}: {load.file_reason}")
        for load in sampled_for_log(loads.values()):
            context.log.info(
                f"{load.source_file}: {load.data_rows:,} rows: {load.cleaned:,} cleaned, "
                f"{load.duplicates:,} duplicates, {load.quarantined:,} quarantined"
            )
        where, params = partitions_filter(keys)
        for key, table in (
            (RAW_INTENT_FILES, "raw.intent_files"),
            (CLEAN_INTENT, "clean.intent_signals"),
            (INTENT_DUPLICATES, "clean.intent_signal_duplicates"),
        ):
            yield dg.MaterializeResult(
                asset_key=key, metadata=table_metadata(con, table, where, params)
            )
        yield dg.MaterializeResult(
            asset_key=QUARANTINED_INTENT,
            metadata=table_metadata(con, "quarantine.intent_rows", where, params)
            | {
                "reasons": dg.MetadataValue.md(
                    markdown_table(["reason", "rows"], reasons.most_common(20))
                )
            },
        )
        for name, (asset_key, sql_file, what) in INTENT_CHECKS.items():
            yield partitions_count_check(
                con,
                asset_key=asset_key,
                check_name=name,
                sql=load_sql(sql_file),
                partition_keys=keys,
                what=what,
            )
