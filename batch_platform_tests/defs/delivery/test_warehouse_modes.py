"""The same delivery against the DuckDB file and DuckLake on Postgres (production mode)."""

import pytest

from batch_platform.defs.delivery.logic.receiver import Fault, Receiver
from batch_platform_tests.defs.delivery.conftest import DeliveryPlatform, checks_of
from batch_platform_tests.defs.delivery.scores import SECRET

DAY, NEXT_DAY = "2026-05-04", "2026-05-05"


@pytest.fixture
def any_delivery(any_platform, tmp_path, monkeypatch):
    monkeypatch.setenv("BATCH_PLATFORM_SIGNING_SECRET", SECRET)
    for name in ("DESTINATIONS", "DESTINATION_URL", "WEBHOOK_URLS"):
        monkeypatch.delenv(f"BATCH_PLATFORM_{name}", raising=False)
    return DeliveryPlatform(any_platform, tmp_path, monkeypatch)


def test_sync_retry_reject_and_replay_in_both_warehouse_modes(any_delivery):
    delivery = any_delivery
    delivery.seed(DAY, {f"u{n}@acme.io": 20.0 + n for n in range(6)})
    delivery.seed(NEXT_DAY, {f"u{n}@acme.io": 30.0 + n for n in range(6)})

    def fault(number, records):
        if any(r["contact"] == "u3@acme.io" for r in records):
            return Fault(422)
        return Fault(503) if number == 1 else None

    with Receiver(SECRET, fault=fault) as receiver:
        delivery.configure(receiver.url, page_size=4)
        first = delivery.deliver(DAY)
        second = delivery.deliver(NEXT_DAY)
    assert checks_of(first)["audit_balanced"] and checks_of(second)["audit_balanced"]
    assert delivery.query(
        "SELECT as_of_date::VARCHAR, attempted, succeeded, rejected, status "
        "FROM delivery.sync_runs ORDER BY 1"
    ) == [(DAY, 6, 5, 1, "partial"), (NEXT_DAY, 6, 5, 1, "partial")]
    assert delivery.query("SELECT email, score FROM delivery.delivered_scores ORDER BY email") == [
        (f"u{n}@acme.io", 30.0 + n) for n in (0, 1, 2, 4, 5)
    ]
    # u3's new score is a new record (new key): rejected again, dead-lettered again.
    assert delivery.query(
        "SELECT email, score_version, failure FROM delivery.dead_letters ORDER BY 2"
    ) == [
        ("u3@acme.io", f"{DAY}/23.00", "rejected"),
        ("u3@acme.io", f"{NEXT_DAY}/33.00", "rejected"),
    ]
    assert len(receiver.records) == 10
