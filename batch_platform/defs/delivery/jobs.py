"""Jobs of the delivery domain."""

import dagster as dg

from batch_platform.defs.common.automation import asset_job
from batch_platform.defs.delivery.assets import DELIVERED_SCORES

score_delivery_job = asset_job(
    "score_delivery",
    dg.AssetSelection.assets(DELIVERED_SCORES),
    "Send the day's changed lead scores to every destination (or the outbox).",
    max_runtime_hours=4,
)


@dg.definitions
def jobs() -> dg.Definitions:
    return dg.Definitions(jobs=[score_delivery_job])
