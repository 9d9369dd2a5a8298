"""Change-only delivery of the nightly lead scores to every destination, with its audit trail."""

import dagster as dg

from batch_platform.defs.common.checks import (
    KeyUniqueCheck,
    check_spec,
    count_check,
)
from batch_platform.defs.common.metadata import stored_asset
from batch_platform.defs.common.resources import LandingResource, WarehouseResource
from batch_platform.defs.delivery.logic.runner import DeliveryRun, deliver
from batch_platform.defs.delivery.logic.sync_result import SyncResult
from batch_platform.defs.delivery.partitions import delivery_days
from batch_platform.defs.delivery.resources import DeliveryResource
from batch_platform.defs.signals.assets.scores import LEAD_SCORES
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import scalar

DELIVERED_SCORES = dg.AssetKey(["delivery", "delivery_delivered_scores"])
# A run that continues the night's sync (requested when the run before spent its page budget):
# the run it follows, and how many runs the night's sync has taken so far.
CONTINUES_TAG = "batch_platform/delivery_continues"
ROUND_TAG = "batch_platform/delivery_round"
load_sql = SqlFolder.of_domain(__file__)
DELIVERED_KEY_UNIQUE = KeyUniqueCheck(
    DELIVERED_SCORES,
    "delivery.delivered_scores",
    ("destination", "email"),
    "One delivered score per (destination, email).",
)


def _metadata(con, run: DeliveryRun) -> dict:
    results = run.results
    metadata: dict = {
        "summary": dg.MetadataValue.text(run.summary),
        "report": dg.MetadataValue.md(run.report_md.read_text(encoding="utf-8")),
        "report_path": dg.MetadataValue.path(str(run.report_md)),
        "items_csv": dg.MetadataValue.path(str(run.report_csv)),
        "dagster/row_count": sum(r.attempted for r in results),
        "delivered_contacts_total": int(
            scalar(con, "SELECT count(*) FROM delivery.delivered_scores")
        ),
    }
    for r in results:
        for field in ("queued", "attempted", "succeeded", "failed", "rejected", "retried"):
            metadata[f"{r.destination}/{field}"] = getattr(r, field)
        metadata[f"{r.destination}/dead_lettered"] = r.dead_lettered
        metadata[f"{r.destination}/pending_after"] = r.pending_after
        metadata[f"{r.destination}/budget_spent"] = r.budget_spent
        metadata[f"{r.destination}/status"] = r.status
    return metadata


def success_rate_check(
    results: list[SyncResult], minimum: float, asset_key: dg.AssetKey = DELIVERED_SCORES
) -> dg.AssetCheckResult:
    """Every destination delivered at least ``minimum`` of the records it tried this run."""
    low = [
        f"{r.destination} {r.succeeded / r.attempted:.2%} ({r.succeeded:,}/{r.attempted:,})"
        for r in results
        if r.attempted and r.succeeded / r.attempted < minimum
    ]
    rates = {r.destination: round(r.succeeded / r.attempted, 4) for r in results if r.attempted}
    return dg.AssetCheckResult(
        asset_key=asset_key,
        check_name="success_rate",
        passed=not low,
        description=f"delivery success below {minimum:.1%}: {'; '.join(low)}"
        if low
        else f"every destination at or above {minimum:.1%} (or nothing to send)",
        metadata={"success_rates": rates},
    )


def audit_balanced_check(con, run_id: str, asset_key: dg.AssetKey) -> dg.AssetCheckResult:
    """Each destination's sync_runs row of this run agrees with the changelog it wrote."""
    return count_check(
        con,
        asset_key=asset_key,
        check_name="audit_balanced",
        sql=f"SELECT count(*) FROM ({load_sql('select_run_audit_mismatches')})",
        params={"run_id": run_id},
        what="destinations whose sync_runs row disagrees with the changelog",
    )


def fail_if_undelivered(results: list[SyncResult], what: str, **failure: object) -> None:
    """A run that could deliver nothing to some destination fails, naming each one; its
    records (``what``) stay pending for the next run."""
    failed = [r for r in results if r.status == "failed"]
    if failed:
        raise dg.Failure(
            description="nothing could be delivered to "
            + ", ".join(r.destination for r in failed)
            + f"; {what} stay pending for the next run. "
            + "; ".join(r.summary for r in failed),
            **failure,
        )


def _rejected_jump_check(con, run_id: str, factor: float, minimum: int) -> dg.AssetCheckResult:
    jumps = con.execute(
        load_sql("select_rejected_jumps"), {"run_id": run_id, "factor": factor, "minimum": minimum}
    ).fetchall()
    return dg.AssetCheckResult(
        asset_key=DELIVERED_SCORES,
        check_name="rejected_not_jumping",
        passed=not jumps,
        description="rejected records jumped: "
        + "; ".join(f"{d} {now:,} (previous run {before:,})" for d, now, before in jumps)
        if jumps
        else f"rejected records within {factor}× the previous run (or ≤ {minimum})",
    )


@dg.asset(
    key=DELIVERED_SCORES,
    deps=[LEAD_SCORES],
    partitions_def=delivery_days,
    **stored_asset("delivery", "delivery", kinds=("duckdb", "http")),
    check_specs=[
        check_spec(DELIVERED_SCORES, "success_rate", "At least 99.5% of records sent succeed."),
        check_spec(
            DELIVERED_SCORES,
            "rejected_not_jumping",
            "Rejected (4xx) records do not jump against the destination's previous run.",
        ),
        DELIVERED_KEY_UNIQUE.spec(),
        check_spec(
            DELIVERED_SCORES,
            "audit_balanced",
            "sync_runs counts match the changelog's attempts of the run, per destination.",
        ),
    ],
)
def delivered_scores(
    context: dg.AssetExecutionContext,
    duckdb: WarehouseResource,
    delivery: DeliveryResource,
    landing: LandingResource,
):
    """The score each destination last accepted per contact, after a change-only sync.

    After the day's lead scores, every contact whose score moved at least the threshold (default
    5 points) since the value last *delivered* to a destination, or who became an MQL, is queued
    and sent in pages (priority tier, then the contact's created date), signed with HMAC-SHA256
    and carrying an idempotency key (destination, contact, score version), at most
    max_pages_per_run pages per destination: a run that spends that budget with records left is
    followed by another the same night (score_delivery_continuation_sensor), which sends what is
    pending without looking for changes again. Failed records stay pending for the next run and
    are dead-lettered after N runs; 4xx rejections at once. Every
    attempt is in delivery.sync_changelog, every run in delivery.sync_runs, and the run's report
    in <reports>/delivery/. Without a configured destination, records go to the outbox
    (delivery.outbox and <outbox>/<destination>/<day>.jsonl). Key: (destination, email).
    """
    config = delivery.load_config()
    run_id = context.run.run_id
    continues = context.run.tags.get(CONTINUES_TAG)
    if continues:
        context.log.info(f"continues the night's sync after run {continues}: sends what is pending")
    with duckdb.get_connection() as con:
        run = deliver(
            con,
            config,
            run_id=run_id,
            as_of_date=context.partition_key,
            outbox_dir=delivery.outbox_path,
            reports_dir=landing.reports_path,
            queue=not continues,
            log=context.log.info,
        )
        for result in run.results:
            if result.status in ("partial", "failed"):
                context.log.warning(result.summary)
        yield dg.MaterializeResult(metadata=_metadata(con, run))
        yield success_rate_check(run.results, config.sync.min_success_rate)
        yield _rejected_jump_check(
            con, run_id, config.sync.rejected_jump_factor, config.sync.rejected_jump_minimum
        )
        yield DELIVERED_KEY_UNIQUE.evaluate(con)
        yield audit_balanced_check(con, run_id, DELIVERED_SCORES)
    fail_if_undelivered(
        run.results,
        "the records",
        metadata={"report_path": dg.MetadataValue.path(str(run.report_md))},
    )
