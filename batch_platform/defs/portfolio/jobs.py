"""Jobs of the portfolio domain."""

import dagster as dg

from batch_platform.defs.common.automation import asset_job
from batch_platform.defs.delivery.portfolio_assets import PORTFOLIO_RECORDS
from batch_platform.defs.portfolio.assets._common import GROUP

# The API path at 60 requests per minute per jurisdiction takes about (largest jurisdiction's
# registrations) minutes, in portfolio_office_api_responses, which holds no warehouse slot; a run
# still going after 6 hours is stopped by run monitoring (and a re-run resumes from what it staged).
monthly_portfolio_health_job = asset_job(
    "monthly_portfolio_health",
    dg.AssetSelection.groups(GROUP) | dg.AssetSelection.assets(PORTFOLIO_RECORDS),
    "The month's portfolio sweep: firm records, office data, baseline, status "
    "changes, renewals due, mismatches, the health report, and the records delivered to the "
    "firm's system.",
    max_runtime_hours=6,
)


@dg.definitions
def jobs() -> dg.Definitions:
    return dg.Definitions(jobs=[monthly_portfolio_health_job])
