"""What a completion webhook says about a run, read from the run's events."""

import dagster as dg
from dagster._core.events import DagsterEventType

EVENTS = {
    DagsterEventType.ASSET_MATERIALIZATION,
    DagsterEventType.STEP_FAILURE,
    DagsterEventType.ASSET_CHECK_EVALUATION,
}
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


def partition_of(run: dg.DagsterRun) -> str | None:
    """The run's partition key, or ``first…last`` for a range run."""
    if run.tags.get("dagster/partition"):
        return run.tags["dagster/partition"]
    first, last = (run.tags.get(tag) for tag in RANGE_TAGS)
    return f"{first}…{last}" if first and last else None


def run_summary(instance: dg.DagsterInstance, run: dg.DagsterRun, status: str, ui_url: str) -> dict:
    """Run id, job, partition, status, rows processed, failures, a link, and asset summaries.

    Rows processed add up the ``dagster/row_count`` of every materialization; failures count
    failed steps and failed asset checks; every materialization with a text metadata entry
    named ``summary`` contributes it, by asset key.
    """
    rows = 0
    summaries: dict[str, str] = {}
    failed_steps: list[str] = []
    failed_checks: list[str] = []
    for entry in instance.all_logs(run.run_id, of_type=EVENTS):
        event = entry.dagster_event
        if event is None:
            continue
        if event.event_type == DagsterEventType.ASSET_MATERIALIZATION:
            materialization = entry.asset_materialization
            metadata = materialization.metadata
            count = metadata.get("dagster/row_count")
            if isinstance(count, dg.IntMetadataValue) and count.value is not None:
                rows += count.value
            summary = metadata.get("summary")
            if isinstance(summary, dg.TextMetadataValue) and summary.value:
                label = materialization.asset_key.to_user_string()
                if materialization.partition:
                    label += f" [{materialization.partition}]"
                summaries[label] = summary.value
        elif event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.step_failure_data.error
            message = error.message.strip() if error else "failed"
            failed_steps.append(f"{event.step_key}: {message[:300]}")
        elif event.event_type == DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.asset_check_evaluation_data
            if not evaluation.passed:
                key = evaluation.asset_check_key
                failed_checks.append(f"{key.asset_key.to_user_string()}:{key.name}")
    return {
        "run_id": run.run_id,
        "job": run.job_name,
        "partition": partition_of(run),
        "status": status,
        "rows_processed": rows,
        "failures": len(failed_steps) + len(failed_checks),
        "failed_steps": failed_steps,
        "failed_checks": failed_checks,
        "asset_summaries": summaries,
        "url": f"{ui_url}/runs/{run.run_id}",
    }
