"""The data conditions as an asset: each evaluation recorded, each condition a check."""

import datetime as dt

import dagster as dg
import pytest

from batch_platform.defs.alerts import evaluation
from batch_platform.defs.alerts.assets import data_conditions
from batch_platform.defs.delivery.resources import DeliveryResource
from batch_platform_tests.defs.alerts.test_alerts_sensor import seed_signal_file

NOW = dt.datetime(2026, 11, 22, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def evaluate_at(platform, monkeypatch, tmp_path):
    monkeypatch.delenv("BATCH_PLATFORM_DESTINATIONS", raising=False)
    monkeypatch.delenv("BATCH_PLATFORM_DESTINATION_URL", raising=False)
    resources = platform.resources | {"delivery": DeliveryResource(outbox_dir=str(tmp_path))}

    def run(moment: dt.datetime) -> dg.ExecuteInProcessResult:
        monkeypatch.setattr(evaluation, "current_time", lambda: moment)
        return dg.materialize([data_conditions], resources=resources, instance=platform.instance)

    return run


def seed_signal(con, occurred: dt.datetime) -> None:
    con.execute(
        "INSERT INTO clean.signals (event_key, partition_key, source_file, source_line, "
        "occurred_at, source, event_type, email) VALUES ('k1', 'f', 'f.csv', 2, ?, 'web', "
        "'page_view', 'ann@acme.io')",
        [occurred.replace(tzinfo=None)],
    )


def seed_sync_run(con, destination: str, attempted: int, succeeded: int) -> None:
    started = (NOW - dt.timedelta(hours=3)).replace(tzinfo=None)
    con.execute(
        "INSERT INTO delivery.sync_runs BY NAME SELECT 'run-' || $destination AS run_id, "
        "$destination AS destination, $started AS started_at, $started AS finished_at, "
        "1.0 AS duration_seconds, $attempted AS queued, 0 AS superseded, "
        "$attempted AS attempted, $succeeded AS succeeded, $attempted - $succeeded AS failed, "
        "0 AS rejected, 0 AS retried, 0 AS carried_over, 0 AS dead_lettered, "
        "0 AS pending_after, 1 AS requests, 'partial' AS status",
        {"destination": destination, "started": started, "attempted": attempted,
         "succeeded": succeeded},
    )  # fmt: skip


def checks(result: dg.ExecuteInProcessResult) -> dict[str, tuple[bool, str]]:
    return {e.check_name: (e.passed, e.description) for e in result.get_asset_check_evaluations()}


def test_each_breach_fails_its_check_and_is_recorded(platform, evaluate_at):
    with platform.resources["duckdb"].get_connection() as con:
        seed_signal_file(con, "crm_export", NOW - dt.timedelta(hours=2), 1_000, 2)
        seed_signal(con, NOW - dt.timedelta(hours=30))
        seed_sync_run(con, "crm", 1_000, 990)
    result = evaluate_at(NOW)
    assert checks(result) == {
        "quarantine_share_within_limit": (
            False, "quarantine over 0.1% of a file: crm_export.csv 0.20%; quarantine over "
            "0.1% of a day: 2026-11-22 0.20%",
        ),
        "newest_signal_recent": (
            False, "signals stale: the newest signal is 30.0 h old (allowed: 24.0 h)"
        ),
        "delivery_success_within_limit": (False, "delivery success under 99.5%: crm 99.00%"),
        "key_unique": (True, "no rows repeating a key (evaluated_at, condition, subject) of "
                       "alerts.data_conditions"),
    }  # fmt: skip
    assert platform.query(
        "SELECT condition, subject, breached FROM alerts.data_conditions ORDER BY ALL"
    ) == [
        ("delivery_success", "crm", True),
        ("quarantine_share", "day 2026-11-22", True),
        ("quarantine_share", "file crm_export", True),
        ("signals_stale", "clean.signals", True),
    ]


def test_within_limits_every_check_passes_and_each_evaluation_is_kept(platform, evaluate_at):
    with platform.resources["duckdb"].get_connection() as con:
        seed_signal_file(con, "web_events", NOW - dt.timedelta(hours=2), 10_000, 1)
        seed_signal(con, NOW - dt.timedelta(hours=2))
        seed_sync_run(con, "crm", 1_000, 1_000)
    first = evaluate_at(NOW)
    evaluate_at(NOW + dt.timedelta(hours=1))
    assert all(passed for passed, _ in checks(first).values())
    assert platform.query(
        "SELECT evaluated_at, condition, subject, breached FROM alerts.data_conditions ORDER BY ALL"
    ) == [
        (at.replace(tzinfo=None), condition, "all", False)
        for at in (NOW, NOW + dt.timedelta(hours=1))
        for condition in ("delivery_success", "quarantine_share", "signals_stale")
    ]
