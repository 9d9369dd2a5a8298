"""`make demo`: each domain's demo step (demo/<domain>.py) in lineage order, then a summary.

Runs go through the Dagster instance in $DAGSTER_HOME, so they appear in the UI afterwards.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time

import dagster as dg

from batch_platform.definitions import defs as load_defs
from batch_platform.demo.content import run_content_demo
from batch_platform.demo.delivery import run_delivery_demo
from batch_platform.demo.portfolio import run_portfolio_demo
from batch_platform.demo.signals import row_accounting_line, run_signals_demo
from batch_platform.lib.settings import load_settings
from batch_platform.lib.warehouse import TABLES, connect


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
    tally = CheckTally()
    signals = run_signals_demo(
        definitions,
        instance,
        settings,
        days_scored=days_scored,
        weeks_scored=weeks_scored,
        regenerate=regenerate,
        on_result=tally.add,
        say=print,
    )
    # Delivery: the day before (the first sync) and the last day (only what changed since).
    delivery_lines = run_delivery_demo(
        definitions, instance, [signals.day_before, signals.last_day], tally.add, print
    )
    portfolio = run_portfolio_demo(definitions, instance, settings, regenerate, print)
    for result in portfolio.results:
        tally.add(result)
    print("running content_batch_ingest (URL list from a local site on 127.0.0.1)")
    content = run_content_demo(definitions, instance)
    tally.add(content.result)
    _print_summary(settings, tally, time.monotonic() - started, signals.last_day)
    print(f"\n{signals.model_line}")
    print("\n".join(["", *delivery_lines]))
    for line in portfolio.lines:
        print(line)
    print("\n".join(content.lines()))
    return 1 if tally.failed else 0


def _print_summary(settings, tally: CheckTally, seconds: float, last_day: str) -> None:
    con = connect(settings.warehouse, read_only=True)
    print("\n== batch_platform demo ==")
    print(f"{'table':32} {'rows':>10}")
    for table in TABLES:
        count = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        print(f"{table:32} {count:>10,}")
    accounting = row_accounting_line(con)
    con.close()
    print(f"\n{accounting}")
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
