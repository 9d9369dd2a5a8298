"""What every asset of the signals domain shares: keys, group, owner, kinds, pool, lineage to
files, and the checks run once per run over its partitions."""

from pathlib import Path
from typing import NamedTuple

import dagster as dg
import duckdb

from batch_platform.defs.common.checks import partitions_count_check
from batch_platform.defs.common.metadata import stored_asset
from batch_platform.defs.common.resources import warehouse_pool
from batch_platform.defs.signals.logic.signal_batches import BatchManifestError, file_keys
from batch_platform.defs.signals.logic.signal_partitions import RunPartitions
from batch_platform.lib.sql_files import SqlFolder

load_sql = SqlFolder.of_domain(__file__)

LANDING_SIGNALS = dg.AssetKey(["landing", "landing_signal_files"])
RAW_SIGNALS = dg.AssetKey(["raw", "raw_signals"])
RAW_SIGNAL_FILES = dg.AssetKey(["raw", "raw_signal_files"])
QUARANTINED_FILES = dg.AssetKey(["quarantine", "quarantine_signal_files"])
CLEAN_SIGNALS = dg.AssetKey(["clean", "clean_signals"])
DUPLICATES = dg.AssetKey(["clean", "clean_signal_duplicates"])
QUARANTINED_ROWS = dg.AssetKey(["quarantine", "quarantine_signal_rows"])
FIRMOGRAPHICS = dg.AssetKey(["clean", "clean_firmographics"])
LEAD_SCORE_MODELS = dg.AssetKey(["scores", "scores_lead_score_models"])
LEAD_SCORE_MODEL_WEIGHTS = dg.AssetKey(["scores", "scores_lead_score_model_weights"])
PARTITION = "partition_key = $partition_key"


def warehouse_table(layer: str) -> dict:
    """Decorator arguments of a signals asset stored as a DuckDB table in the given layer."""
    return stored_asset("signals", layer)


def over_time(partitions_def: dg.PartitionsDefinition) -> dict:
    """Partitioned, and a backfill of many partitions runs as one run."""
    return {"partitions_def": partitions_def, "backfill_policy": dg.BackfillPolicy.single_run()}


def multi_asset_over(partitions_def: dg.PartitionsDefinition) -> dict:
    """Decorator arguments of a multi-asset of the domain whose backfills run as one run (for
    signal files: files that land together, a range the sensor requests, are loaded by one run)."""
    return over_time(partitions_def) | {"group_name": "signals", "pool": warehouse_pool("signals")}


def run_file_keys(context: dg.AssetExecutionContext, signals_dir: Path) -> list[str]:
    """The keys of the files a run loads: its partitions' keys, a landing batch's replaced by
    its files' (``signal_batches``); what every warehouse table of the domain is keyed by."""
    try:
        keys = file_keys(signals_dir, context.partition_keys)
    except BatchManifestError as error:
        raise dg.Failure(str(error)) from None
    if keys != list(context.partition_keys):
        context.log.info(
            f"{len(context.partition_keys)} partition(s) of {len(keys)} landed file(s)"
        )
    return keys


def partitions_filter(keys: list[str]) -> tuple[str, dict]:
    """A WHERE clause (and its parameters) selecting the run's partitions of a table without
    partition_id (one row per file: raw.signal_files, quarantine.signal_files)."""
    if len(keys) == 1:
        return PARTITION, {"partition_key": keys[0]}
    return "list_contains($partition_keys, partition_key)", {"partition_keys": list(keys)}


class RunCheck(NamedTuple):
    """An asset check whose SQL file counts the offending rows per partition of the run."""

    asset_key: dg.AssetKey
    name: str
    sql_file: str
    what: str


def run_checks(con: duckdb.DuckDBPyConnection, partitions: RunPartitions, checks: list[RunCheck]):
    """The results of ``checks`` over the run's partitions (their SQL reads ``$partition_keys``
    and the ids in ``{run_partition_ids}``)."""
    for check in checks:
        yield partitions_count_check(
            con,
            asset_key=check.asset_key,
            check_name=check.name,
            sql=partitions.sql(load_sql(check.sql_file)),
            partition_keys=partitions.keys,
            what=check.what,
        )


def sampled_for_log(items, at_most: int = 20):
    """At most ``at_most`` of ``items``, evenly spread: progress in the log without one stored
    event per file of a run over hundreds of files."""
    items = list(items)
    step = max(1, len(items) // at_most)
    return items[::step]
