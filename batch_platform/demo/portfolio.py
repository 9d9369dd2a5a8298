"""The portfolio part of `make demo`: sample registrations, then last month's and this month's
health check through the monthly job, as the schedule would run them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from batch_platform.defs.portfolio.logic.sample_portfolio import generate_portfolio_sample
from batch_platform.lib.settings import Settings

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class PortfolioDemo:
    results: list[dg.ExecuteInProcessResult] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)


def run_portfolio_demo(
    definitions: dg.Definitions,
    instance: dg.DagsterInstance,
    settings: Settings,
    regenerate: bool,
    say: Callable[[str], None],
    today: dt.date | None = None,
) -> PortfolioDemo:
    """Generate 3,000 registrations in 80 jurisdictions (if absent) and sweep two months."""
    month = (today or dt.datetime.now(dt.UTC).date()).replace(day=1)
    previous = (month - dt.timedelta(days=1)).replace(day=1)
    demo = PortfolioDemo()
    office_dir = settings.portfolio_dir / "office"
    if regenerate or not any(office_dir.glob(f"office_{month:%Y-%m}*")):
        sample = generate_portfolio_sample(settings.landing_dir, month)
        say(
            f"generated {sample.registrations:,} registrations in {sample.jurisdictions} "
            f"jurisdictions with {len(sample.status_changes)} status changes, "
            f"{len(sample.renewals_due)} renewals due and {len(sample.mismatches)} mismatches "
            f"planted"
        )
    job = definitions.resolve_job_def("monthly_portfolio_health")
    for partition in (previous, month):
        say(f"running monthly_portfolio_health {partition:%Y-%m}")
        demo.results.append(
            job.execute_in_process(
                run_config=QUIET, instance=instance, partition_key=partition.isoformat()
            )
        )
    for event in demo.results[-1].get_asset_materialization_events():
        metadata = event.materialization.metadata
        if "summary" in metadata and "path" in metadata:  # the health report (first line)
            summary = metadata["summary"].value.splitlines()[0]
            demo.lines.append(f"portfolio {month:%Y-%m}: {summary}")
            demo.lines.append(f"portfolio report: {Path(metadata['path'].value).resolve()}")
    return demo
