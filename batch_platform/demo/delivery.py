"""Demo step of the delivery domain: two nightly deliveries (to the outbox unless destinations
are configured), showing that the second sends only what changed, and the monthly intent report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import dagster as dg

from batch_platform.defs import delivery as delivery_domain
from batch_platform.defs.signals.schedules import previous_month_partition_for
from batch_platform.lib.settings import load_settings
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import connect

load_sql = SqlFolder.of_domain(delivery_domain.__file__)
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


def _materializations(result: dg.ExecuteInProcessResult) -> dict[str, dict]:
    return {
        event.asset_key.to_user_string(): event.materialization.metadata
        for event in result.get_asset_materialization_events()
    }


def run_delivery_demo(
    definitions: dg.Definitions,
    instance: dg.DagsterInstance,
    days: list[str],
    on_result: Callable[[dg.ExecuteInProcessResult], None],
    say: Callable[[str], None],
) -> list[str]:
    """Deliver each of ``days`` in turn, then the intent report of the last full month.

    ``on_result`` receives each run's result (the demo counts its checks); ``say`` shows
    progress. Returns the summary lines the demo prints at the end.
    """
    lines = []
    delivery_job = definitions.resolve_job_def("score_delivery")
    last_report = None
    for day in days:
        say(f"running score_delivery {day}")
        result = delivery_job.execute_in_process(
            run_config=QUIET, instance=instance, partition_key=day, raise_on_error=False
        )
        on_result(result)
        metadata = _materializations(result).get("delivery/delivery_delivered_scores", {})
        if "summary" in metadata:
            lines.append(f"delivery {day}: {metadata['summary'].value}")
            last_report = metadata["report_path"].value
        else:
            lines.append(f"delivery {day}: run failed, see the run in the UI")
    month = previous_month_partition_for(dt.datetime.now())
    say(f"running monthly_intent_report {month[:7]}")
    intent = definitions.resolve_job_def("monthly_intent_report").execute_in_process(
        run_config=QUIET, instance=instance, partition_key=month
    )
    on_result(intent)
    intent_metadata = _materializations(intent)["reports/reports_monthly_intent"]
    lines.append(f"intent report: {intent_metadata['summary'].value}")
    lines += _outbox_lines(days[-1])
    if last_report:
        lines.append(f"sync report: {Path(last_report).resolve()}")
    lines.append(f"intent report file: {Path(intent_metadata['path'].value).resolve()}")
    return lines


def _outbox_lines(day: str) -> list[str]:
    con = connect(load_settings().warehouse, read_only=True)
    try:
        rows = con.execute(load_sql("select_outbox_files"), {"day": day}).fetchall()
        total = con.execute("SELECT count(*) FROM delivery.outbox").fetchone()[0]
    finally:
        con.close()
    lines = [f"outbox: {total:,} records in delivery.outbox"]
    lines += [f"outbox file: {Path(file).resolve()} ({n:,} records)" for _, n, file in rows]
    return lines
