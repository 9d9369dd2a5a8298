"""Jobs of the alerts domain."""

import dagster as dg

from batch_platform.defs.alerts.assets import DATA_CONDITIONS_KEY
from batch_platform.defs.common.automation import asset_job

hourly_data_conditions_job = asset_job(
    "hourly_data_conditions",
    dg.AssetSelection.assets(DATA_CONDITIONS_KEY),
    "Evaluate the data conditions alerts watch (quarantine shares, the newest signal, delivery "
    "success) and record them, with a check each.",
    max_runtime_hours=0.5,
)


@dg.definitions
def jobs() -> dg.Definitions:
    return dg.Definitions(jobs=[hourly_data_conditions_job])
