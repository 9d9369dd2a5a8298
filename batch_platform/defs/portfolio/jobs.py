"""Jobs of the portfolio domain."""

import dagster as dg

from batch_platform.defs.portfolio.assets._common import GROUP

# A step running longer than this is stopped by run monitoring. The API path at 60 requests per
# minute per jurisdiction takes about (largest jurisdiction's registrations) minutes.
MAX_RUNTIME = {"dagster/max_runtime": str(6 * 3600)}

monthly_portfolio_health_job = dg.define_asset_job(
    "monthly_portfolio_health",
    selection=dg.AssetSelection.groups(GROUP),
    description="The month's portfolio sweep: firm records, office data, baseline, status "
    "changes, renewals due, mismatches and the health report.",
    tags=MAX_RUNTIME,
)


@dg.definitions
def jobs() -> dg.Definitions:
    return dg.Definitions(jobs=[monthly_portfolio_health_job])
