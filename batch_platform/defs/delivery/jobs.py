"""Jobs of the delivery domain."""

import dagster as dg

from batch_platform.defs.delivery.assets import DELIVERED_SCORES
from batch_platform.defs.signals.assets.monthly_intent import MONTHLY_INTENT
from batch_platform.defs.signals.jobs import MAX_RUNTIME

score_delivery_job = dg.define_asset_job(
    "score_delivery",
    selection=dg.AssetSelection.assets(DELIVERED_SCORES),
    description="Send the day's changed lead scores to every destination (or the outbox).",
    tags=MAX_RUNTIME,
)

monthly_intent_job = dg.define_asset_job(
    "monthly_intent_report",
    selection=dg.AssetSelection.assets(MONTHLY_INTENT),
    description="Accounts with rising research activity by topic, for the month just ended.",
    tags=MAX_RUNTIME,
)


@dg.definitions
def jobs() -> dg.Definitions:
    return dg.Definitions(jobs=[score_delivery_job, monthly_intent_job])
