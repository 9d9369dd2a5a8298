"""The data conditions alerts watch, as an asset with a check each, evaluated every hour.

The alert sensor judges the same conditions every minute and announces incidents; this asset
keeps every evaluation (``alerts.data_conditions``) and shows each condition as a check in the
UI, where it can also be run by hand.
"""

import datetime as dt

import dagster as dg
import pyarrow as pa

from batch_platform.defs.alerts import evaluation as alert_evaluation
from batch_platform.defs.alerts.evaluation import DATA_CONDITIONS, data_findings
from batch_platform.defs.alerts.logic.alert_settings import load_alert_settings
from batch_platform.defs.alerts.logic.findings import Finding
from batch_platform.defs.common.checks import KeyUniqueCheck, check_spec
from batch_platform.defs.common.metadata import stored_asset, table_metadata
from batch_platform.defs.common.resources import WarehouseResource
from batch_platform.defs.delivery.resources import DeliveryResource
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import atomically

load_sql = SqlFolder.of_domain(__file__)
DATA_CONDITIONS_KEY = dg.AssetKey(["alerts", "alerts_data_conditions"])
# Which check answers for which condition, and what it asks.
CHECKS = {
    "quarantine_share": (
        "quarantine_share_within_limit",
        "Quarantined rows are at most 0.1% of each file and of each day (files of the last 48 h).",
    ),
    "signals_stale": (
        "newest_signal_recent",
        "The newest cleaned signal is at most 24 hours old.",
    ),
    "delivery_success": (
        "delivery_success_within_limit",
        "Each destination delivered at least 99.5% of the records sent in the last 24 hours.",
    ),
}
KEY_UNIQUE = KeyUniqueCheck(
    DATA_CONDITIONS_KEY,
    "alerts.data_conditions",
    ("evaluated_at", "condition", "subject"),
    "One row per (evaluated_at, condition, subject).",
    where="evaluated_at = $evaluated_at",
)


def condition_rows(findings: list[Finding], evaluated_at: dt.datetime) -> pa.Table:
    """A row per breach, and an 'all' row for each condition nothing breached."""
    rows = [
        {"condition": f.condition, "subject": f.subject, "breached": True, "title": f.title,
         "detail": f.detail}
        for f in findings
    ]  # fmt: skip
    breached = {f.condition for f in findings}
    rows += [
        {"condition": c, "subject": "all", "breached": False, "title": "within its limit",
         "detail": CHECKS[c][1]}
        for c in DATA_CONDITIONS
        if c not in breached
    ]  # fmt: skip
    naive = evaluated_at.astimezone(dt.UTC).replace(tzinfo=None)
    return pa.Table.from_pylist([{"evaluated_at": naive, **row} for row in rows])


def _check(condition: str, findings: list[Finding]) -> dg.AssetCheckResult:
    name, question = CHECKS[condition]
    breaches = [f for f in findings if f.condition == condition]
    return dg.AssetCheckResult(
        asset_key=DATA_CONDITIONS_KEY,
        check_name=name,
        passed=not breaches,
        severity=dg.AssetCheckSeverity.WARN,
        description="; ".join(f.title for f in breaches[:10])
        + (f" … and {len(breaches) - 10} more" if len(breaches) > 10 else "")
        if breaches
        else question,
        metadata={"breaches": len(breaches)},
    )


@dg.asset(
    key=DATA_CONDITIONS_KEY,
    **stored_asset("alerts", "alerts"),
    check_specs=[
        *(check_spec(DATA_CONDITIONS_KEY, name, question) for name, question in CHECKS.values()),
        KEY_UNIQUE.spec(),
    ],
)
def data_conditions(
    context: dg.AssetExecutionContext, duckdb: WarehouseResource, delivery: DeliveryResource
):
    """Every evaluation of the data conditions alerts watch: quarantined rows over 0.1% of a
    file or a day, the newest signal older than 24 h, a destination's delivery success under
    99.5% (thresholds: the alert settings and sync.min_success_rate). A row per breach, or one
    'all' row for a condition within its limit. Key: (evaluated_at, condition, subject)."""
    now = alert_evaluation.current_time()
    settings = load_alert_settings()
    minimum = delivery.load_config().sync.min_success_rate
    with duckdb.get_connection() as con:
        # Judged as a platform watched forever: no signal at all is stale.
        findings = data_findings(con, now, dt.datetime.min.replace(tzinfo=dt.UTC), settings,
                                 minimum)  # fmt: skip
        rows = condition_rows(findings, now)

        def write() -> None:
            con.execute(load_sql("create_tables"))
            con.register("condition_rows", rows)
            con.execute(load_sql("insert_data_conditions"))
            con.unregister("condition_rows")

        atomically(con, write)
        params = {"evaluated_at": rows["evaluated_at"][0].as_py()}
        metadata = table_metadata(con, "alerts.data_conditions", "evaluated_at = $evaluated_at",
                                  params)  # fmt: skip
        for finding in findings:
            context.log.warning(f"{finding.title}: {finding.detail}")
        yield dg.MaterializeResult(metadata=metadata | {"breaches": len(findings)})
        for condition in DATA_CONDITIONS:
            yield _check(condition, findings)
        yield KEY_UNIQUE.evaluate(con, params)
