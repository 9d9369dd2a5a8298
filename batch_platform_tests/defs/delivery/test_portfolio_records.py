"""Must show: a monthly sweep delivers its change, renewal and mismatch records per client to a
local receiver, each exactly once by key across a re-run; a receiver failing some requests still
ends with each record exactly once."""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections import Counter

import dagster as dg
import pytest
import yaml

from batch_platform.defs.common.run_summary import run_summary
from batch_platform.defs.delivery.logic.receiver import Fault, Receiver
from batch_platform.defs.delivery.portfolio_assets import (
    PORTFOLIO_RECORDS,
    delivery_portfolio_records,
)
from batch_platform.defs.delivery.resources import DeliveryResource
from batch_platform.defs.portfolio.logic.sample_portfolio import generate_portfolio_sample
from batch_platform.lib.signing import verify_request
from batch_platform_tests.defs.delivery.scores import FAST_RETRY, SECRET
from batch_platform_tests.defs.portfolio.conftest import ASSETS, MONTH, PortfolioPlatform

pytestmark = pytest.mark.xdist_group("portfolio_record_delivery")
CLIENTS = 5


@pytest.fixture
def portfolio(tmp_path, monkeypatch):
    for name in (
        "BATCH_PLATFORM_DESTINATIONS",
        "BATCH_PLATFORM_DESTINATION_URL",
        "BATCH_PLATFORM_PORTFOLIO_DESTINATION_URL",
        "BATCH_PLATFORM_WEBHOOK_URLS",
    ):
        monkeypatch.delenv(name, raising=False)  # fmt: skip
    monkeypatch.setenv("BATCH_PLATFORM_SIGNING_SECRET", SECRET)
    platform = PortfolioPlatform(tmp_path)
    yield platform
    platform.instance.dispose()


def _run(portfolio, month: dt.date, assets, raise_on_error=True) -> dg.ExecuteInProcessResult:
    return dg.materialize(
        assets,
        partition_key=month.isoformat(),
        resources=portfolio.resources | {"delivery": DeliveryResource()},
        instance=portfolio.instance,
        raise_on_error=raise_on_error,
    )


def _checks(result) -> dict[str, bool]:
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}


def _metadata(result) -> dict:
    (event,) = [
        e.materialization
        for e in result.get_asset_materialization_events()
        if e.materialization.asset_key == PORTFOLIO_RECORDS
    ]
    return {k: getattr(v, "value", v) for k, v in event.metadata.items()}


def _expected(sample) -> Counter:
    """(client, kind, registration) of every planted finding."""
    found = Counter()
    for kind, ids in (
        ("status_change", sample.status_changes),
        ("renewal_due", sample.renewals_due),
        ("mismatch", sample.mismatches),
    ):
        for rid in ids:
            found[(sample.clients[rid], kind, rid)] += 1
    return found


def _change_one_status(portfolio, sample, registration_id: str) -> None:
    """A later office export of the month in which ``registration_id`` is cancelled."""
    source = next(p for p in sample.office_files if p.name == f"office_{MONTH:%Y-%m}.csv")
    with source.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    row = next(r for r in rows if r["registration_id"] == registration_id)
    row |= {"status": "cancelled", "as_of": (MONTH + dt.timedelta(days=9)).isoformat()}
    target = source.with_name(f"office_{MONTH:%Y-%m}_zz_update.csv")
    with target.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(row))
        writer.writeheader()
        writer.writerow(row)


def test_a_monthly_sweep_delivers_its_records_per_client_exactly_once(portfolio, monkeypatch):
    sample = generate_portfolio_sample(
        portfolio.landing, MONTH, registrations=200, jurisdiction_count=8, renewals_due=10,
        status_changes=4, mismatches=4, invalid_rows=False, clients=CLIENTS,
    )  # fmt: skip
    expected = _expected(sample)
    assert len({client for client, _, _ in expected}) == CLIENTS
    assert _run(portfolio, sample.previous_month, ASSETS).success

    # No destination: the records are built, nothing is sent, and the asset says so.
    quiet = _run(portfolio, MONTH, [*ASSETS, delivery_portfolio_records])
    assert quiet.success and all(_checks(quiet).values())
    metadata = _metadata(quiet)
    assert metadata["destinations"] == "none" and metadata["records"] == len(expected)
    assert "no portfolio destination configured" in metadata["summary"]
    assert portfolio.query("SELECT count(*) FROM delivery.portfolio_deliveries") == [(0,)]

    with Receiver(SECRET, keep_bodies=True) as receiver:
        monkeypatch.setenv("BATCH_PLATFORM_PORTFOLIO_DESTINATION_URL", receiver.url)
        first = _run(portfolio, MONTH, [delivery_portfolio_records])
        assert first.success and all(_checks(first).values()), _checks(first)

        # Every finding arrived once, as a record of its client, in pages of one client.
        got = Counter(
            (r["client"], r["kind"], r["registration_id"]) for r in receiver.records.values()
        )
        assert got == expected
        assert set(receiver.applied.values()) == {1}
        bodies = [json.loads(b) for b in receiver.request_bodies]
        assert len(bodies) >= CLIENTS
        for body in bodies:
            assert body["stream"] == "portfolio" and body["destination"] == "portfolio"
            assert {r["client"] for r in body["records"]} == {body["client"]}
        # Signed: each request verifies with the secret (and not with another).
        for headers, body in zip(receiver.request_headers, receiver.request_bodies, strict=True):
            lowered = {k.lower(): v for k, v in headers.items()}
            assert verify_request(SECRET, lowered, body)
            assert not verify_request("another-secret", lowered, body)
        per_client = _metadata(first)["per_client_counts"]
        assert {c: v["delivered"] for c, v in per_client.items()} == dict(
            Counter(client for client, _, _ in expected)
        )
        assert portfolio.query(
            "SELECT status, count(*) FROM delivery.portfolio_deliveries GROUP BY ALL"
        ) == [("delivered", len(expected))]
        assert portfolio.query(
            "SELECT destination, as_of_date::VARCHAR, queued, succeeded, status "
            "FROM delivery.sync_runs"
        ) == [("portfolio", MONTH.isoformat(), len(expected), len(expected), "ok")]

        # A re-run of the delivery sends nothing.
        requests = len(receiver.log)
        again = _run(portfolio, MONTH, [delivery_portfolio_records])
        assert again.success and all(_checks(again).values())
        assert len(receiver.log) == requests
        assert _metadata(again)["portfolio/queued"] == 0

        # The whole month swept again with a new status change: it (and the mismatch it makes)
        # is delivered, and nothing else is sent again.
        quiet_one = next(
            rid for rid in sample.clients
            if rid not in {r for _, _, r in expected} and rid.startswith("TM-0001")
        )  # fmt: skip
        _change_one_status(portfolio, sample, quiet_one)
        later = _run(portfolio, MONTH, [*ASSETS, delivery_portfolio_records])
        assert later.success and all(_checks(later).values())
        new = [r for r in receiver.records.values() if r["registration_id"] == quiet_one]
        assert sorted(r["kind"] for r in new) == ["mismatch", "status_change"]
        assert all(r["client"] == sample.clients[quiet_one] for r in new)
        status_change = next(r for r in new if r["kind"] == "status_change")
        assert status_change["details"]["current_status"] == "cancelled"
        assert _metadata(later)["portfolio/queued"] == 2
        # The run's webhook summary is split per client and says what was delivered.
        summaries = run_summary(
            portfolio.instance, later.dagster_run, "SUCCESS", "http://127.0.0.1:3000"
        )["asset_summaries"]
        report_summary = summaries["reports/reports_portfolio_health_report [2026-11-01]"]
        client = sample.clients[quiet_one]
        assert f"\n{client}: " in report_summary and report_summary.count("\n") >= 2
        assert summaries["delivery/delivery_portfolio_records [2026-11-01]"].startswith(
            f"portfolio records 2026-11: {len(expected) + 2} records for {CLIENTS} clients"
        )
        assert len(receiver.records) == len(expected) + 2
        assert set(receiver.seen.values()) == {1}  # each key reached the receiver once


def _seed_findings(portfolio, findings: int, clients: int) -> None:
    """The month's renewals due, written straight into portfolio.renewals_due."""
    with portfolio.resources["duckdb"].get_connection() as con:
        con.execute(
            "INSERT INTO portfolio.renewals_due BY NAME "
            "SELECT $month::DATE AS month, 'TM-' || lpad(i::VARCHAR, 6, '0') AS registration_id, "
            "'DE' AS jurisdiction, 'MARK' AS mark, 'Owner' AS owner, "
            "($month::DATE + INTERVAL 30 DAY)::DATE AS next_renewal_date, 30 AS days_until, "
            "'office' AS date_source, 'client-' || (i % $clients) AS client "
            "FROM range($findings) AS t(i)",
            {"month": MONTH, "findings": findings, "clients": clients},
        )


def test_a_receiver_failing_some_requests_ends_with_each_record_exactly_once(
    portfolio, tmp_path, monkeypatch
):
    _seed_findings(portfolio, findings=60, clients=3)
    failing = {1, 2, 3, 7, 11}  # the first page fails all its attempts; more fail once

    def fault(number: int, records: list[dict]) -> Fault | None:
        if number in failing:
            return Fault(500)
        if number % 4 == 0:
            return Fault(503, after_apply=True)  # applied, but the answer is lost: resent
        return None

    with Receiver(SECRET, fault=fault) as receiver:
        config = tmp_path / "destinations.yaml"
        config.write_text(
            yaml.safe_dump(
                {
                    "portfolio_destinations": [
                        {"name": "firm", "url": receiver.url, "page_size": 8, "retry": FAST_RETRY}
                    ],
                    "sync": {"dead_letter_after_runs": 5},
                }
            )
        )
        monkeypatch.setenv("BATCH_PLATFORM_DESTINATIONS", str(config))
        first = _run(portfolio, MONTH, [delivery_portfolio_records])
        assert first.success
        checks = _checks(first)
        assert checks["records_accounted"] and checks["audit_balanced"]
        assert not checks["success_rate"]
        waiting = portfolio.query(
            "SELECT count(*), count(last_error) FROM delivery.portfolio_deliveries "
            "WHERE status = 'pending'"
        )
        assert waiting == [(8, 8)]  # the first page, waiting with its error
        second = _run(portfolio, MONTH, [delivery_portfolio_records])
        assert second.success and all(_checks(second).values())
        third = _run(portfolio, MONTH, [delivery_portfolio_records])
        assert _metadata(third)["firm/attempted"] == 0

    assert len(receiver.records) == 60
    assert Counter(r["client"] for r in receiver.records.values()) == {
        "client-0": 20, "client-1": 20, "client-2": 20,
    }  # fmt: skip
    assert portfolio.query(
        "SELECT status, count(*) FROM delivery.portfolio_deliveries GROUP BY ALL"
    ) == [("delivered", 60)]
    delivered = Counter(
        key
        for (key,) in portfolio.query(
            "SELECT idempotency_key FROM delivery.sync_changelog WHERE status = 'delivered'"
        )
    )
    assert set(delivered) == set(receiver.records) and set(delivered.values()) == {1}
    assert max(receiver.seen.values()) > 1  # some were sent more than once, applied once


def test_records_a_later_sweep_no_longer_finds_are_superseded_not_sent(portfolio, monkeypatch):
    _seed_findings(portfolio, findings=10, clients=2)
    receiver = Receiver(SECRET).up()
    url = receiver.url
    receiver.down()  # nobody listens: nothing can be delivered, the run fails
    monkeypatch.setenv("BATCH_PLATFORM_PORTFOLIO_DESTINATION_URL", url)
    failed = _run(portfolio, MONTH, [delivery_portfolio_records], raise_on_error=False)
    assert not failed.success
    assert _checks(failed)["records_accounted"]  # waiting, each with its error
    assert portfolio.query(
        "SELECT count(*) FROM delivery.portfolio_deliveries "
        "WHERE status = 'pending' AND last_error LIKE '%ConnectError%'"
    ) == [(10,)]
    with portfolio.resources["duckdb"].get_connection() as con:
        con.execute("DELETE FROM portfolio.renewals_due WHERE registration_id < 'TM-000003'")
    receiver.up()
    try:
        later = _run(portfolio, MONTH, [delivery_portfolio_records])
    finally:
        receiver.down()
    assert later.success and all(_checks(later).values())
    assert sorted(r["registration_id"] for r in receiver.records.values()) == [
        f"TM-{n:06d}" for n in range(3, 10)
    ]
    assert portfolio.query(
        "SELECT status, count(*) FROM delivery.portfolio_deliveries GROUP BY ALL ORDER BY 1"
    ) == [("delivered", 7), ("superseded", 3)]
