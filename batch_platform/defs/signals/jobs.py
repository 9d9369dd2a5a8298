"""Jobs of the signals domain: what runs together, and why."""

import dagster as dg

from batch_platform.defs.common.automation import asset_job
from batch_platform.defs.signals.assets._common import (
    CLEAN_SIGNALS,
    DUPLICATES,
    LEAD_SCORE_MODEL_WEIGHTS,
    LEAD_SCORE_MODELS,
    QUARANTINED_FILES,
    QUARANTINED_ROWS,
    RAW_SIGNAL_FILES,
    RAW_SIGNALS,
)
from batch_platform.defs.signals.assets.firmographics import FIRMOGRAPHICS
from batch_platform.defs.signals.assets.intent_signals import (
    CLEAN_INTENT,
    INTENT_DUPLICATES,
    QUARANTINED_INTENT,
    RAW_INTENT_FILES,
)
from batch_platform.defs.signals.assets.monthly_intent import MONTHLY_INTENT
from batch_platform.defs.signals.assets.reports import FILE_ACCOUNTING, PIPELINE_REPORT
from batch_platform.defs.signals.assets.rollups import DAILY_USAGE, WEB_SESSIONS
from batch_platform.defs.signals.assets.scores import ACCOUNT_HEALTH, LEAD_SCORES

# A run still going after this many hours is stopped by run monitoring.
MAX_RUNTIME_HOURS = 4

signal_file_ingest_job = asset_job(
    "signal_file_ingest",
    dg.AssetSelection.assets(
        RAW_SIGNALS, RAW_SIGNAL_FILES, QUARANTINED_FILES, CLEAN_SIGNALS, DUPLICATES,
        QUARANTINED_ROWS,
    ),
    "Load one landed signal file into raw and cleaned tables.",
    MAX_RUNTIME_HOURS,
)  # fmt: skip

intent_file_ingest_job = asset_job(
    "intent_file_ingest",
    dg.AssetSelection.assets(RAW_INTENT_FILES, CLEAN_INTENT, INTENT_DUPLICATES, QUARANTINED_INTENT),
    "Validate one landed intent-provider export into clean and quarantined intent rows.",
    MAX_RUNTIME_HOURS,
)

firmographics_job = asset_job(
    "firmographics_refresh",
    dg.AssetSelection.assets(FIRMOGRAPHICS),
    "Rebuild the latest firmographics per domain.",
    MAX_RUNTIME_HOURS,
)

nightly_lead_scoring_job = asset_job(
    "nightly_lead_scoring",
    dg.AssetSelection.assets(
        WEB_SESSIONS, DAILY_USAGE, LEAD_SCORES, PIPELINE_REPORT, FILE_ACCOUNTING
    ),
    "Rollups, lead scores and the pipeline report for the day just ended.",
    MAX_RUNTIME_HOURS,
)

weekly_account_health_job = asset_job(
    "weekly_account_health",
    dg.AssetSelection.assets(ACCOUNT_HEALTH),
    "Account health for the week ending Sunday.",
    MAX_RUNTIME_HOURS,
)

weekly_lead_score_model_training_job = asset_job(
    "weekly_lead_score_model_training",
    dg.AssetSelection.assets(LEAD_SCORE_MODELS, LEAD_SCORE_MODEL_WEIGHTS),
    "Train the lead-score model on the outcomes so far; lead scores use it once approved.",
    MAX_RUNTIME_HOURS,
)

monthly_intent_job = asset_job(
    "monthly_intent_report",
    dg.AssetSelection.assets(MONTHLY_INTENT),
    "Accounts with rising research activity by topic, for the month just ended.",
    MAX_RUNTIME_HOURS,
)


@dg.definitions
def jobs() -> dg.Definitions:
    return dg.Definitions(
        jobs=[
            signal_file_ingest_job,
            intent_file_ingest_job,
            firmographics_job,
            nightly_lead_scoring_job,
            weekly_account_health_job,
            weekly_lead_score_model_training_job,
            monthly_intent_job,
        ]
    )
