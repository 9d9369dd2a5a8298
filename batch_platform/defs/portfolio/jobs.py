"""Jobs of the portfolio domain."""

import dagster as dg

from batch_platform.defs.common.automation import asset_job
from batch_platform.defs.portfolio.assets._common import GROUP

# The API path at 60 requests per minute per jurisdiction takes about (largest jurisdiction's
# registrations) minutes; a run still going after 6 hours is stopped by run monitoring.
monthly_portfolio_health_job = asset_job(
    "monthly_portfolio_health",
    dg.AssetSelection.groups(GROUP),
    "The month's portfolio sweep: firm records, office data, baseline, status "
    "changes, renewals due, mismatches and the health report.",
    max_runtime_hours=6,
)


@dg.definitions
def jobs() -> dg.Definitions:
    return dg.Definitions(jobs=[monthly_portfolio_health_job])
