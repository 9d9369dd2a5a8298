"""The portfolio's monthly records delivered to the firm's system, with the score delivery's
signing, idempotency keys, retries and audit trail."""

import dagster as dg

from batch_platform.defs.common.checks import KeyUniqueCheck, check_spec
from batch_platform.defs.common.metadata import stored_asset
from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.defs.delivery.assets import (
    audit_balanced_check,
    fail_if_undelivered,
    success_rate_check,
)
from batch_platform.defs.delivery.logic.portfolio_sync import (
    NO_DESTINATION,
    PortfolioDeliveryRun,
    deliver_portfolio_records,
)
from batch_platform.defs.delivery.resources import DeliveryResource
from batch_platform.defs.portfolio.assets._common import (
    HEALTH_REPORT,
    MISMATCHES,
    RENEWALS_DUE,
    STATUS_CHANGES,
)
from batch_platform.defs.portfolio.partitions import month_of, portfolio_months
from batch_platform.lib.markdown import markdown_table
from batch_platform.lib.sql_files import SqlFolder

PORTFOLIO_RECORDS = dg.AssetKey(["delivery", "delivery_portfolio_records"])
load_sql = SqlFolder.of_domain(__file__)
RECORD_KEY_UNIQUE = KeyUniqueCheck(
    PORTFOLIO_RECORDS,
    "delivery.portfolio_records",
    ("month", "record_id"),
    "One record per (month, record_id).",
    where="month = $month",
)
DELIVERY_KEY_UNIQUE = KeyUniqueCheck(
    PORTFOLIO_RECORDS,
    "delivery.portfolio_deliveries",
    ("destination", "idempotency_key"),
    "One delivery row per (destination, idempotency_key): a key is queued once, sent until "
    "delivered, never again after.",
    name="delivery_key_unique",
)


def _records_accounted(con, run: PortfolioDeliveryRun) -> dg.AssetCheckResult:
    """Every record of the month delivered, or waiting (or given up) with a reason, at every
    destination; without a destination, every record waits for one."""
    params = {"month": run.month, "destinations": run.destinations}
    unaccounted = int(
        con.execute(load_sql("count_unaccounted_portfolio_records"), params).fetchone()[0]
    )
    if not run.destinations:
        description = f"{len(run.records):,} records wait: {NO_DESTINATION}"
    elif unaccounted:
        description = f"{unaccounted:,} records neither delivered nor waiting with a reason"
    else:
        description = (
            f"every record of {run.month:%Y-%m} delivered or waiting with a reason at "
            + ", ".join(run.destinations)
        )
    return dg.AssetCheckResult(
        asset_key=PORTFOLIO_RECORDS,
        check_name="records_accounted",
        passed=unaccounted == 0,
        description=description,
        metadata={"unaccounted": unaccounted},
    )


def _metadata(con, run: PortfolioDeliveryRun) -> dict:
    clients = con.execute(
        load_sql("count_portfolio_records_by_client"),
        {"month": run.month, "destinations": run.destinations},
    ).fetchall()
    headers = ["client", "records", "status changes", "renewals due", "mismatches", "delivered"]
    metadata: dict = {
        "summary": dg.MetadataValue.text(f"portfolio records {run.month:%Y-%m}: {run.summary}"),
        "dagster/row_count": len(run.records),
        "records": len(run.records),
        "clients": len(clients),
        "destinations": ", ".join(run.destinations) or "none",
        "per_client": dg.MetadataValue.md(markdown_table(headers, clients)),
        "per_client_counts": dg.MetadataValue.json(
            {row[0]: dict(zip(headers[1:], row[1:], strict=True)) for row in clients}
        ),
    }
    for r in run.results:
        for field in ("queued", "superseded", "attempted", "succeeded", "failed", "rejected"):
            metadata[f"{r.destination}/{field}"] = getattr(r, field)
        metadata[f"{r.destination}/retried"] = r.retried
        metadata[f"{r.destination}/dead_lettered"] = r.dead_lettered
        metadata[f"{r.destination}/pending_after"] = r.pending_after
        metadata[f"{r.destination}/status"] = r.status
    return metadata


@dg.asset(
    key=PORTFOLIO_RECORDS,
    deps=[STATUS_CHANGES, RENEWALS_DUE, MISMATCHES, HEALTH_REPORT],
    partitions_def=portfolio_months,
    **stored_asset("delivery", "delivery", kinds=("duckdb", "http")),
    check_specs=[
        RECORD_KEY_UNIQUE.spec(),
        DELIVERY_KEY_UNIQUE.spec(),
        check_spec(
            PORTFOLIO_RECORDS,
            "records_accounted",
            "Every record of the month is delivered, or waiting (or given up) with a reason, at "
            "every portfolio destination.",
        ),
        check_spec(PORTFOLIO_RECORDS, "success_rate", "At least 99.5% of records sent succeed."),
        check_spec(
            PORTFOLIO_RECORDS,
            "audit_balanced",
            "sync_runs counts match the changelog's attempts of the run, per destination.",
        ),
    ],
)
def delivery_portfolio_records(
    context: dg.AssetExecutionContext, duckdb: WarehouseResource, delivery: DeliveryResource
):
    """The month's portfolio records, delivered to the firm's system, split per client.

    Each status change, renewal due and mismatch of the month's sweep is one record with a
    stable key (month, kind, client, registration and what changed), kept in
    delivery.portfolio_records (key: month, record_id). For every portfolio destination
    ($BATCH_PLATFORM_PORTFOLIO_DESTINATION_URL, or portfolio_destinations in the destinations
    file) the records whose key it has not received are queued in delivery.portfolio_deliveries
    and sent in pages of one client each, signed, with idempotency keys, retried with backoff,
    every attempt in delivery.sync_changelog and the run in delivery.sync_runs: a re-run of the
    month sends nothing already delivered, a new finding is a new record. Without a portfolio
    destination nothing is sent and the asset says so.
    """
    month = month_of(context)
    config = delivery.load_config()
    run_id = context.run.run_id
    with duckdb.get_connection() as con:
        run = deliver_portfolio_records(
            con, config, run_id=run_id, month=month, log=context.log.info
        )
        if not run.results:
            context.log.warning(f"{month:%Y-%m}: {len(run.records):,} records; {NO_DESTINATION}")
        for result in run.results:
            if result.status in ("partial", "failed"):
                context.log.warning(result.summary)
        yield dg.MaterializeResult(metadata=_metadata(con, run))
        yield RECORD_KEY_UNIQUE.evaluate(con, {"month": month})
        yield DELIVERY_KEY_UNIQUE.evaluate(con)
        yield _records_accounted(con, run)
        yield success_rate_check(run.results, config.sync.min_success_rate, PORTFOLIO_RECORDS)
        yield audit_balanced_check(con, run_id, PORTFOLIO_RECORDS)
    fail_if_undelivered(run.results, "the portfolio records")
