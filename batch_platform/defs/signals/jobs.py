"""Jobs of the signals domain: what runs together, and why."""

import dagster as dg

from batch_platform.defs.signals.assets.firmographics import FIRMOGRAPHICS
from batch_platform.defs.signals.assets.ingest import (
    CLEAN_SIGNALS,
    DUPLICATES,
    QUARANTINED_FILES,
    QUARANTINED_ROWS,
    RAW_SIGNAL_FILES,
    RAW_SIGNALS,
)
from batch_platform.defs.signals.assets.reports import FILE_ACCOUNTING, PIPELINE_REPORT
from batch_platform.defs.signals.assets.rollups import DAILY_USAGE, WEB_SESSIONS
from batch_platform.defs.signals.assets.scores import ACCOUNT_HEALTH, LEAD_SCORES

# A step running longer than this is stopped by run monitoring.
MAX_RUNTIME = {"dagster/max_runtime": str(4 * 3600)}

signal_file_ingest_job = dg.define_asset_job(
    "signal_file_ingest",
    selection=dg.AssetSelection.assets(
        RAW_SIGNALS, RAW_SIGNAL_FILES, QUARANTINED_FILES, CLEAN_SIGNALS, DUPLICATES,
        QUARANTINED_ROWS,
    ),
    description="Load one landed signal file into raw and cleaned tables.",
    tags=MAX_RUNTIME,
)  # fmt: skip

firmographics_job = dg.define_asset_job(
    "firmographics_refresh",
    selection=dg.AssetSelection.assets(FIRMOGRAPHICS),
    description="Rebuild the latest firmographics per domain.",
    tags=MAX_RUNTIME,
)

nightly_lead_scoring_job = dg.define_asset_job(
    "nightly_lead_scoring",
    selection=dg.AssetSelection.assets(
        WEB_SESSIONS, DAILY_USAGE, LEAD_SCORES, PIPELINE_REPORT, FILE_ACCOUNTING
    ),
    description="Rollups, lead scores and the pipeline report for the day just ended.",
    tags=MAX_RUNTIME,
)

weekly_account_health_job = dg.define_asset_job(
    "weekly_account_health",
    selection=dg.AssetSelection.assets(ACCOUNT_HEALTH),
    description="Account health for the week ending Sunday.",
    tags=MAX_RUNTIME,
)


@dg.definitions
def jobs() -> dg.Definitions:
    return dg.Definitions(
        jobs=[
            signal_file_ingest_job,
            firmographics_job,
            nightly_lead_scoring_job,
            weekly_account_health_job,
        ]
    )
