"""The firm's own records: validated and normalised, invalid rows quarantined with reasons."""

import dagster as dg

from batch_platform.defs.common.checks import RowCountCheck
from batch_platform.defs.common.metadata import landing_spec, table_metadata, table_spec
from batch_platform.defs.common.resources import LandingResource, WarehouseResource, warehouse_pool
from batch_platform.defs.portfolio.assets._common import (
    FIRM_RECORDS,
    GROUP,
    LANDING_FIRM_RECORDS,
    LANDING_OFFICE,
    MONTH,
    QUARANTINED_FIRM_ROWS,
    load_sql,
    registration_key_unique,
)
from batch_platform.defs.portfolio.logic.firm_records_load import load_firm_records
from batch_platform.defs.portfolio.logic.registration_records import ignored_files, record_files
from batch_platform.defs.portfolio.partitions import month_of, portfolio_months
from batch_platform.defs.reference.keys import JURISDICTIONS, OFFICE_STATUS_SPELLINGS
from batch_platform.lib.markdown import markdown_table

FIRM_RECORDS_KEY_UNIQUE = registration_key_unique(
    FIRM_RECORDS, "portfolio.firm_records", "One row per registration_id.", "registration_id_unique"
)
REASONS_PRESENT = RowCountCheck(
    QUARANTINED_FIRM_ROWS,
    "reasons_present",
    "Every quarantined row says why.",
    load_sql("count_quarantined_firm_rows_without_reason"),
    "quarantined rows without a reason",
)

landing_portfolio_firm_records = landing_spec(
    LANDING_FIRM_RECORDS,
    GROUP,
    "The firm's records: CSV files in <landing>/portfolio/firm_records/ with "
    "registration_id, jurisdiction, mark, owner, status, filing_date, registration_date, "
    "next_renewal_date, classes (';'-separated).",
)

landing_portfolio_office_snapshots = landing_spec(
    LANDING_OFFICE,
    GROUP,
    "Office export snapshots: CSV or JSONL files in <landing>/portfolio/office/ with "
    "the firm-record fields plus as_of, in each office's date format and status words.",
)


@dg.multi_asset(
    specs=[
        table_spec(
            FIRM_RECORDS,
            "The firm's trademark registrations for the month: jurisdiction codes checked, "
            "statuses mapped to the canonical set, dates parsed (ISO or the office's format).",
            deps=[LANDING_FIRM_RECORDS, JURISDICTIONS, OFFICE_STATUS_SPELLINGS],
            layer="clean",
        ),
        table_spec(
            QUARANTINED_FIRM_ROWS,
            "Firm-record rows that could not be used (unknown jurisdiction, unparseable date, "
            "unknown status, missing or duplicate registration_id), with every reason.",
            deps=[LANDING_FIRM_RECORDS, JURISDICTIONS, OFFICE_STATUS_SPELLINGS],
            layer="quarantine",
        ),
    ],
    check_specs=[
        FIRM_RECORDS_KEY_UNIQUE.spec(),
        REASONS_PRESENT.spec(),
    ],
    partitions_def=portfolio_months,
    group_name=GROUP,
    pool=warehouse_pool("portfolio"),
)
def portfolio_firm_records(
    context: dg.AssetExecutionContext, duckdb: WarehouseResource, landing: LandingResource
):
    """Read every firm-record file, keep the valid rows, quarantine the rest with reasons."""
    month = month_of(context)
    files = record_files(landing.portfolio_firm_records_dir)
    ignored = ignored_files(landing.portfolio_firm_records_dir)
    if ignored:
        context.log.warning(f"not CSV/JSONL, so not read: {', '.join(ignored)}")
    if not files:
        raise FileNotFoundError(
            f"no firm-record files (.csv) in {landing.portfolio_firm_records_dir}"
        )
    with duckdb.get_connection() as con:
        load = load_firm_records(con, month, files)
        context.log.info(
            f"{month:%Y-%m}: {load.rows_read:,} firm-record rows in {len(files)} file(s): "
            f"{load.valid:,} valid, {load.quarantined:,} quarantined"
        )
        if load.quarantined:
            context.log.warning(
                f"{load.quarantined} firm-record row(s) quarantined; see "
                "quarantine.portfolio_firm_rows"
            )
        params = {"month": month}
        yield dg.MaterializeResult(
            asset_key=FIRM_RECORDS,
            metadata=table_metadata(con, "portfolio.firm_records", MONTH, params)
            | {"files": ", ".join(load.files), "rows_read": load.rows_read},
        )
        reasons = con.execute(load_sql("count_quarantined_firm_rows_by_reason"), params).fetchall()
        yield dg.MaterializeResult(
            asset_key=QUARANTINED_FIRM_ROWS,
            metadata=table_metadata(con, "quarantine.portfolio_firm_rows", MONTH, params)
            | {"reasons": dg.MetadataValue.md(markdown_table(["reason", "rows"], reasons))},
        )
        yield FIRM_RECORDS_KEY_UNIQUE.evaluate(con, {"month": month})
        yield REASONS_PRESENT.evaluate(con, {"month": month})
