"""The delivered_scores asset through dg.materialize: outbox, failures, checks, replay, config."""

import json
import re

import pytest

from batch_platform.cli import main as cli
from batch_platform.defs.delivery.logic.config import DeliveryConfigError
from batch_platform.defs.delivery.logic.receiver import Fault, Receiver
from batch_platform_tests.defs.delivery.conftest import checks_of
from batch_platform_tests.defs.delivery.scores import SECRET

DAY, NEXT_DAY = "2026-05-04", "2026-05-05"


def test_outbox_by_default_with_report_and_nothing_twice(delivery, tmp_path):
    delivery.seed(DAY, {"ann@acme.io": 80, "bob@acme.io": 30, "cy@acme.io": 2})
    result = delivery.deliver(DAY)
    assert all(checks_of(result).values())
    metadata = result.asset_materializations_for_node("delivery__delivery_delivered_scores")[
        0
    ].metadata
    assert metadata["summary"].value.startswith("outbox: ok, 2/2 delivered")
    assert metadata["outbox/succeeded"].value == 2
    assert "| outbox | ok | 2 | 2 | 2 |" in metadata["report"].value
    report = tmp_path / "reports" / "delivery" / f"delivery_{DAY}_{result.run_id[:8]}.md"
    assert report.is_file() and report.with_suffix(".csv").read_text().count("\n") == 3
    lines = (delivery.outbox / "outbox" / f"{DAY}.jsonl").read_text().splitlines()
    assert [json.loads(line)["contact"] for line in lines] == ["ann@acme.io", "bob@acme.io"]
    assert delivery.query("SELECT email FROM delivery.outbox ORDER BY email") == [
        ("ann@acme.io",), ("bob@acme.io",)
    ]  # fmt: skip

    delivery.seed(NEXT_DAY, {"ann@acme.io": 81, "bob@acme.io": 30, "cy@acme.io": 2})
    again = delivery.deliver(NEXT_DAY)
    assert again.success
    assert len((delivery.outbox / "outbox" / f"{DAY}.jsonl").read_text().splitlines()) == 2
    assert not (delivery.outbox / "outbox" / f"{NEXT_DAY}.jsonl").exists()
    assert delivery.query(
        "SELECT as_of_date::VARCHAR, status, attempted FROM delivery.sync_runs ORDER BY 1"
    ) == [(DAY, "ok", 2), (NEXT_DAY, "idle", 0)]


def test_receiver_down_all_run_fails_the_run_and_keeps_the_records(delivery):
    delivery.seed(DAY, {"ann@acme.io": 80, "bob@acme.io": 30})
    delivery.configure("http://127.0.0.1:9/refused")
    result = delivery.deliver(DAY, raise_on_error=False)
    assert not result.success
    failure = next(e for e in result.all_events if e.event_type_value == "STEP_FAILURE")
    assert "nothing could be delivered to crm" in failure.step_failure_data.error.message
    assert not checks_of(result)["success_rate"]
    assert delivery.query("SELECT email, runs_attempted FROM delivery.pending ORDER BY 1") == [
        ("ann@acme.io", 1), ("bob@acme.io", 1)
    ]  # fmt: skip
    assert delivery.query("SELECT status, failed FROM delivery.sync_runs") == [("failed", 2)]


def test_rejected_jump_fails_its_check(delivery):
    delivery.seed(DAY, {f"u{n:02d}@acme.io": 30.0 for n in range(5)})
    delivery.seed(NEXT_DAY, {f"u{n:02d}@acme.io": 60.0 for n in range(5)}
                  | {f"v{n:02d}@acme.io": 60.0 for n in range(12)})  # fmt: skip
    reject = lambda r: "unknown" if r["contact"].startswith("v") else None  # noqa: E731
    with Receiver(SECRET, reject=reject) as receiver:
        delivery.configure(receiver.url)
        first = delivery.deliver(DAY)
        second = delivery.deliver(NEXT_DAY)
    assert checks_of(first)["rejected_not_jumping"] and checks_of(first)["success_rate"]
    assert not checks_of(second)["rejected_not_jumping"]
    assert not checks_of(second)["success_rate"]
    assert checks_of(second)["audit_balanced"]
    assert delivery.query("SELECT count(*), min(failure) FROM delivery.dead_letters") == [
        (12, "rejected")
    ]


def test_dead_letters_listed_and_replayed_by_the_cli(delivery, monkeypatch, capsys, tmp_path):
    delivery.seed(DAY, {"ann@acme.io": 80, "bob@acme.io": 30})
    state = {"reject": True}

    def fault(number, records):
        bad = any(r["contact"] == "bob@acme.io" for r in records) and state["reject"]
        return Fault(422) if bad else None

    with Receiver(SECRET, fault=fault) as receiver:
        delivery.configure(receiver.url)
        delivery.deliver(DAY)
        monkeypatch.setenv("BATCH_PLATFORM_DESTINATIONS", str(delivery.config_path))
        monkeypatch.setenv("BATCH_PLATFORM_REPORTS_DIR", str(tmp_path / "reports"))
        warehouse = ["deliveries", "--warehouse", str(delivery.platform.warehouse)]
        assert cli([*warehouse, "dead-letters"]) == 0
        listed = capsys.readouterr().out
        assert "bob@acme.io" in listed and "HTTP 422" in listed

        assert cli([*warehouse, "retry", "--dry-run"]) == 0
        assert "1 dead letter(s) would be replayed (dry run: nothing sent)" in (
            capsys.readouterr().out
        )
        assert len(receiver.records) == 1

        state["reject"] = False  # the destination fixed its side
        assert cli([*warehouse, "retry"]) == 0
        output = capsys.readouterr().out
    assert "replayed 1 dead letter(s)" in output and "crm: ok, 1/1 delivered" in output
    assert sorted(r["contact"] for r in receiver.records.values()) == ["ann@acme.io", "bob@acme.io"]
    assert delivery.query(
        "SELECT email, replay_run_id LIKE 'replay-%' FROM delivery.dead_letters"
    ) == [("bob@acme.io", True)]
    assert delivery.query(
        "SELECT destination, score_version FROM delivery.delivered_scores "
        "WHERE email = 'bob@acme.io'"
    ) == [("crm", f"{DAY}/30.00")]
    assert cli([*warehouse, "dead-letters"]) == 0
    assert "no dead letters" in capsys.readouterr().out
    assert cli([*warehouse, "runs"]) == 0
    assert "replay-" in capsys.readouterr().out


def test_malformed_config_fails_at_definitions_load(tmp_path, monkeypatch):
    from batch_platform.definitions import defs

    bad = tmp_path / "destinations.yaml"
    bad.write_text("destinations:\n  - name: crm\n    url: https://crm.example.com\n"
                   "    page_size: lots\n")  # fmt: skip
    monkeypatch.setenv("BATCH_PLATFORM_DESTINATIONS", str(bad))
    with pytest.raises(Exception, match=r"delivery/resources\.py") as raised:
        defs()
    causes, error = [], raised.value
    while error is not None:
        causes.append(error)
        error = error.__cause__ or error.__context__
    ours = [e for e in causes if isinstance(e, DeliveryConfigError)]
    assert ours and re.search(r"destinations\.yaml .*destinations\[0\]\.page_size: Input should "
                              "be a valid integer", str(ours[0]))  # fmt: skip
