"""`make demo`: generate sample data, run every job over the sample's partitions, print a summary.

Runs go through the Dagster instance in $DAGSTER_HOME, so they appear in the UI afterwards.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import sys
import time
from zoneinfo import ZoneInfo

import dagster as dg

from batch_platform.definitions import defs as load_defs
from batch_platform.defs.signals.logic.sample_signals import generate_sample_data
from batch_platform.defs.signals.partitions import TIMEZONE, daily_partitions, weekly_partitions
from batch_platform.defs.signals.sensors import signal_files_sensor
from batch_platform.demo.content import run_content_demo
from batch_platform.demo.delivery import run_delivery_demo
from batch_platform.demo.portfolio import run_portfolio_demo
from batch_platform.lib.settings import load_settings
from batch_platform.lib.warehouse import TABLES, connect

log = logging.getLogger("batch_platform.demo")
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
RANGE_TAGS = ("dagster/asset_partition_range_start", "dagster/asset_partition_range_end")


class CheckTally:
    def __init__(self) -> None:
        self.passed = 0
        self.failed: list[str] = []

    def add(self, result: dg.ExecuteInProcessResult) -> None:
        for evaluation in result.get_asset_check_evaluations():
            if evaluation.passed:
                self.passed += 1
            else:
                key = evaluation.asset_check_key
                self.failed.append(f"{key.asset_key.to_user_string()}:{key.name}")


def run_demo(days_scored: int, weeks_scored: int, regenerate: bool) -> int:
    settings = load_settings()
    definitions = load_defs()
    instance = dg.DagsterInstance.get()
    started = time.monotonic()
    if regenerate or not any(settings.signals_dir.glob("*")):
        summary = generate_sample_data(settings.landing_dir)
        print(f"generated {summary.events:,} sample events in {len(summary.signal_files)} files")

    # The sensor decides which files are complete and what their partitions are.
    context = dg.build_sensor_context(
        instance=instance, resources={"landing": _landing(definitions)}
    )
    result = signal_files_sensor(context)
    requests = result.run_requests if isinstance(result, dg.SensorResult) else []
    for partition_request in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(
            partition_request.partitions_def_name, list(partition_request.partition_keys)
        )
    tally = CheckTally()
    for request in sorted(requests, key=lambda r: r.job_name != "firmographics_refresh"):
        job = definitions.resolve_job_def(request.job_name)
        print(f"running {request.job_name} {request.partition_key or ''}".rstrip())
        tally.add(
            job.execute_in_process(
                run_config=QUIET,
                instance=instance,
                partition_key=request.partition_key,
                tags=request.tags,
            )
        )

    today = dt.datetime.now(ZoneInfo(TIMEZONE)).date()
    daily_keys = daily_partitions.get_partition_keys()
    last_day = (today - dt.timedelta(days=1)).isoformat()
    last = daily_keys.index(last_day)
    first_day = daily_keys[max(0, last - days_scored + 1)]
    print(f"running nightly_lead_scoring {first_day}…{last_day} (one run)")
    tally.add(
        definitions.resolve_job_def("nightly_lead_scoring").execute_in_process(
            run_config=QUIET,
            instance=instance,
            tags=dict(zip(RANGE_TAGS, (first_day, last_day), strict=True)),
        )
    )
    weekly_keys = weekly_partitions.get_partition_keys()[-weeks_scored:]
    print(f"running weekly_account_health {weekly_keys[0]}…{weekly_keys[-1]} (one run)")
    tally.add(
        definitions.resolve_job_def("weekly_account_health").execute_in_process(
            run_config=QUIET,
            instance=instance,
            tags=dict(zip(RANGE_TAGS, (weekly_keys[0], weekly_keys[-1]), strict=True)),
        )
    )
    # Delivery: the day before (the first sync) and the last day (only what changed since).
    delivery_lines = run_delivery_demo(
        definitions, instance, [daily_keys[last - 1], last_day], tally.add, print
    )
    portfolio = run_portfolio_demo(definitions, instance, settings, regenerate, print)
    for result in portfolio.results:
        tally.add(result)
    print("running content_batch_ingest (URL list from a local site on 127.0.0.1)")
    content = run_content_demo(definitions, instance)
    tally.add(content.result)
    _print_summary(settings, tally, time.monotonic() - started, last_day)
    print("\n".join(["", *delivery_lines]))
    for line in portfolio.lines:
        print(line)
    print("\n".join(content.lines()))
    return 1 if tally.failed else 0


def _landing(definitions: dg.Definitions):
    return definitions.resources["landing"]


def _print_summary(settings, tally: CheckTally, seconds: float, last_day: str) -> None:
    con = connect(settings.warehouse, read_only=True)
    print("\n== batch_platform demo ==")
    print(f"{'table':32} {'rows':>10}")
    for table in TABLES:
        count = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        print(f"{table:32} {count:>10,}")
    raw, placed = con.execute(
        "SELECT (SELECT count(*) FROM raw.signals), (SELECT count(*) FROM clean.signals) + "
        "(SELECT count(*) FROM clean.signal_duplicates) + "
        "(SELECT count(*) FROM quarantine.signal_rows)"
    ).fetchone()
    con.close()
    print(f"\nrow accounting: {raw:,} raw rows = {placed:,} cleaned + duplicate + quarantined")
    print(f"asset checks: {tally.passed} passed, {len(tally.failed)} failed")
    for failed in tally.failed:
        print(f"  failed: {failed}")
    print(f"warehouse: {settings.warehouse.resolve()}")
    print(f"report: {(settings.reports_dir / f'pipeline_report_{last_day}.md').resolve()}")
    print(f"took {seconds:.1f}s. Open the UI with `make dev` → http://127.0.0.1:3000")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=30, help="days of lead scores to compute")
    parser.add_argument("--weeks", type=int, default=4, help="weeks of account health")
    parser.add_argument("--regenerate", action="store_true", help="rewrite the sample files")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    return run_demo(args.days, args.weeks, args.regenerate)


if __name__ == "__main__":
    sys.exit(main())
