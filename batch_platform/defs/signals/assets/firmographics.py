"""Firmographics: the latest company facts per domain, from <landing>/firmographics/*.csv."""

import dagster as dg

from batch_platform.defs.common.checks import KeyUniqueCheck
from batch_platform.defs.common.metadata import landing_spec, table_metadata
from batch_platform.defs.common.resources import LandingResource, WarehouseResource
from batch_platform.defs.signals.assets._common import FIRMOGRAPHICS, warehouse_table
from batch_platform.defs.signals.logic.firmographics_load import load_firmographics

LANDING_FIRMOGRAPHICS = dg.AssetKey(["landing", "landing_firmographics_files"])

landing_firmographics_files = landing_spec(
    LANDING_FIRMOGRAPHICS,
    "signals",
    "CSV files with domain, company_name, industry, employee_count, country.",
)

DOMAIN_UNIQUE = KeyUniqueCheck(
    FIRMOGRAPHICS,
    "clean.firmographics",
    ("domain",),
    "One row per domain.",
    name="domain_unique",
    blocking=True,
)


@dg.asset(
    key=FIRMOGRAPHICS,
    deps=[LANDING_FIRMOGRAPHICS],
    **warehouse_table("clean"),
    check_specs=[DOMAIN_UNIQUE.spec()],
)
def firmographics(
    context: dg.AssetExecutionContext, duckdb: WarehouseResource, landing: LandingResource
):
    """Company facts per domain; when files disagree, the newest file wins. Key: domain."""
    directory = landing.firmographics_dir
    files = sorted(directory.glob("*.csv")) if directory.is_dir() else []
    with duckdb.get_connection() as con:
        result = load_firmographics(con, [(p, p.name) for p in files])
        for name, reason in result.files_skipped.items():
            context.log.warning(f"skipped firmographics file {name}: {reason}")
        yield dg.MaterializeResult(
            metadata=table_metadata(con, "clean.firmographics")
            | {"files_read": result.files_read, "files_skipped": len(result.files_skipped)}
        )
        yield DOMAIN_UNIQUE.evaluate(con)
