"""Demo step of the signals domain: sample files (and a year of CRM history with won and lost
deals), the sensor's runs over them, the lead-score model trained on that history, then lead
scores for the last days (the last one by the model, once approved) and account health for the
last weeks."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb

from batch_platform.defs.signals.logic.sample_outcomes import generate_outcome_history
from batch_platform.defs.signals.logic.sample_signals import generate_sample_data
from batch_platform.defs.signals.partitions import TIMEZONE, daily_partitions, weekly_partitions
from batch_platform.defs.signals.sensors import RANGE_TAGS, signal_files_sensor
from batch_platform.lib.settings import Settings
from batch_platform.lib.warehouse import connect

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass(frozen=True)
class SignalsDemo:
    last_day: str  # the last day scored: yesterday in the business's time zone
    day_before: str
    model_line: str  # the trained model's holdout AUC beside the rules', and the decision


def run_signals_demo(
    definitions: dg.Definitions,
    instance: dg.DagsterInstance,
    settings: Settings,
    *,
    days_scored: int,
    weeks_scored: int,
    regenerate: bool,
    on_result: Callable[[dg.ExecuteInProcessResult], None],
    say: Callable[[str], None],
) -> SignalsDemo:
    """Land the sample files (unless some are there), run what the sensor requests for them,
    train the lead-score model as of yesterday, then score ``days_scored`` days and
    ``weeks_scored`` weeks, each range in one run.

    ``on_result`` receives each run's result (the demo counts its checks); ``say`` shows progress.
    """
    today = dt.datetime.now(ZoneInfo(TIMEZONE)).date()
    yesterday = today - dt.timedelta(days=1)
    if regenerate or not any(settings.signals_dir.glob("*")):
        summary = generate_sample_data(settings.landing_dir)
        say(f"generated {summary.events:,} sample events in {len(summary.signal_files)} files")
        history = generate_outcome_history(settings.landing_dir, yesterday, TIMEZONE)
        say(
            f"generated a year of CRM history: {history.events:,} events of "
            f"{history.contacts:,} contacts, {history.deals_won} deals won and "
            f"{history.deals_lost} lost ({history.file})"
        )

    # The sensor decides which files are complete and what their partitions are.
    context = dg.build_sensor_context(
        instance=instance, resources={"landing": definitions.resources["landing"]}
    )
    result = signal_files_sensor(context)
    requests = result.run_requests if isinstance(result, dg.SensorResult) else []
    for partition_request in result.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(
            partition_request.partitions_def_name, list(partition_request.partition_keys)
        )
    for request in sorted(requests, key=lambda r: r.job_name != "firmographics_refresh"):
        job = definitions.resolve_job_def(request.job_name)
        say(f"running {request.job_name} {request.partition_key or ''}".rstrip())
        on_result(
            job.execute_in_process(
                run_config=QUIET,
                instance=instance,
                partition_key=request.partition_key,
                tags=request.tags,
            )
        )

    say(f"running weekly_lead_score_model_training as of {yesterday}")
    model_config = {"ops": {"lead_score_model": {"config": {"as_of_date": yesterday.isoformat()}}}}
    training = definitions.resolve_job_def("weekly_lead_score_model_training")
    on_result(training.execute_in_process(run_config=QUIET | model_config, instance=instance))

    daily_keys = daily_partitions.get_partition_keys()
    last_day = yesterday.isoformat()
    last = daily_keys.index(last_day)
    first_day = daily_keys[max(0, last - days_scored + 1)]
    say(f"running nightly_lead_scoring {first_day}…{last_day} (one run)")
    on_result(_run_range(definitions, instance, "nightly_lead_scoring", first_day, last_day))
    weekly_keys = weekly_partitions.get_partition_keys()[-weeks_scored:]
    say(f"running weekly_account_health {weekly_keys[0]}…{weekly_keys[-1]} (one run)")
    on_result(
        _run_range(definitions, instance, "weekly_account_health", weekly_keys[0], weekly_keys[-1])
    )
    return SignalsDemo(
        last_day=last_day, day_before=daily_keys[last - 1], model_line=model_line(settings)
    )


def model_line(settings: Settings) -> str:
    """The latest model's holdout AUC beside the rules', and whether lead scores use it."""
    con = connect(settings.warehouse, read_only=True)
    try:
        row = con.execute(
            "SELECT model_version, holdout_auc, rule_holdout_auc, decision "
            "FROM scores.lead_score_models ORDER BY trained_at DESC LIMIT 1"
        ).fetchall()
        used = con.execute(
            "SELECT score_model_version, count(*) FROM scores.lead_scores "
            "WHERE as_of_date = (SELECT max(as_of_date) FROM scores.lead_scores) GROUP BY ALL"
        ).fetchall()
    finally:
        con.close()
    if not row:
        return "lead score model: none trained"
    version, model_auc, rules_auc, decision = row[0]
    scored = ", ".join(f"{count:,} by {name}" for name, count in used)
    return (
        f"lead score model {version}: holdout AUC {model_auc:.3f}, the rules' {rules_auc:.3f} "
        f"on the same examples; {decision}\n  last day's lead scores: {scored}"
    )


def _run_range(
    definitions: dg.Definitions, instance: dg.DagsterInstance, job: str, first: str, last: str
) -> dg.ExecuteInProcessResult:
    """One run of ``job`` over the partitions ``first`` to ``last``."""
    return definitions.resolve_job_def(job).execute_in_process(
        run_config=QUIET,
        instance=instance,
        tags=dict(zip(RANGE_TAGS, (first, last), strict=True)),
    )


def row_accounting_line(con: duckdb.DuckDBPyConnection) -> str:
    """Every raw row is cleaned, a duplicate or quarantined: the two sides of that sum."""
    raw, placed = con.execute(
        "SELECT (SELECT count(*) FROM raw.signals), (SELECT count(*) FROM clean.signals) + "
        "(SELECT count(*) FROM clean.signal_duplicates) + "
        "(SELECT count(*) FROM quarantine.signal_rows)"
    ).fetchone()
    return f"row accounting: {raw:,} raw rows = {placed:,} cleaned + duplicate + quarantined"
