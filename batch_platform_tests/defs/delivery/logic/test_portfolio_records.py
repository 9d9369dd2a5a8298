"""The portfolio's findings as records: versions, stable keys, pages of one client."""

import datetime as dt
import json

import pytest

from batch_platform.defs.delivery.logic.portfolio_records import (
    build_record,
    build_records,
    client_pages,
    page_fields,
    public_portfolio_record,
    record_version,
)

MONTH = dt.date(2026, 11, 1)
CHANGE = {
    "registration_id": "TM-000123", "jurisdiction": "DE", "mark": "NOVA RIDGE",
    "previous_status": "pending", "current_status": "registered", "office_status": "Eingetragen",
    "baseline_month": dt.date(2026, 10, 1), "as_of": dt.date(2026, 11, 1), "client": "acme",
}  # fmt: skip
RENEWAL = {
    "registration_id": "TM-000124", "jurisdiction": "FR", "mark": "ION", "owner": "Iris SAS",
    "next_renewal_date": dt.date(2027, 1, 15), "days_until": 75, "date_source": "office",
    "client": "borealis",
}  # fmt: skip
MISMATCH = {
    "registration_id": "TM-000125", "jurisdiction": "US", "mark": "KITE",
    "differing_fields": ["owner", "next_renewal_date"], "firm_owner": "Acme Holdings Ltd",
    "office_owner": "Unrelated Assignee Co", "firm_status": "registered",
    "office_status": "registered", "firm_next_renewal_date": dt.date(2028, 3, 1),
    "office_next_renewal_date": dt.date(2029, 3, 1), "client": "acme",
}  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "row", "version"),
    [
        ("status_change", CHANGE, "pending->registered"),
        ("renewal_due", RENEWAL, "due 2027-01-15"),
    ],
)
def test_versions_say_what_changed(kind, row, version):
    assert record_version(kind, row) == version


def test_a_mismatch_version_names_its_fields_and_changes_with_their_values():
    version = record_version("mismatch", MISMATCH)
    assert version.startswith("owner,next_renewal_date/") and len(version.split("/")[1]) == 12
    assert record_version("mismatch", dict(MISMATCH)) == version  # stable
    other_owner = MISMATCH | {"office_owner": "Another Assignee"}
    assert record_version("mismatch", other_owner) != version
    # Values of fields that do not differ are no part of it.
    assert record_version("mismatch", MISMATCH | {"firm_status": "opposed"}) == version


def test_unknown_kinds_are_refused():
    with pytest.raises(ValueError, match="unknown kind"):
        record_version("transfer", CHANGE)
    with pytest.raises(ValueError, match="unknown kind"):
        build_records(MONTH, {"transfer": [CHANGE]}, "(none)")


def test_a_record_carries_its_finding_and_a_key_stable_per_destination():
    record = build_record(MONTH, "status_change", CHANGE, "(none)")
    assert record.record_id == "2026-11/status_change/TM-000123/pending->registered"
    assert record.body == {
        "record_id": record.record_id, "month": "2026-11", "kind": "status_change",
        "client": "acme", "registration_id": "TM-000123", "jurisdiction": "DE",
        "mark": "NOVA RIDGE", "version": "pending->registered",
        "details": {"previous_status": "pending", "current_status": "registered",
                    "office_status": "Eingetragen", "baseline_month": "2026-10-01",
                    "as_of": "2026-11-01"},
    }  # fmt: skip
    json.dumps(record.body)  # JSON as it is
    again = build_record(MONTH, "status_change", dict(CHANGE), "(none)")
    assert again.idempotency_key("firm") == record.idempotency_key("firm")
    assert len(record.idempotency_key("firm")) == 32
    assert record.idempotency_key("firm") != record.idempotency_key("other")


@pytest.mark.parametrize(
    "changed",
    [
        {"current_status": "opposed"},  # another change
        {"client": "borealis"},  # moved to another client: that client gets it
    ],
)
def test_a_different_finding_is_a_different_key(changed):
    record = build_record(MONTH, "status_change", CHANGE, "(none)")
    other = build_record(MONTH, "status_change", CHANGE | changed, "(none)")
    assert other.idempotency_key("firm") != record.idempotency_key("firm")


def test_the_same_finding_next_month_is_a_new_record():
    record = build_record(MONTH, "renewal_due", RENEWAL, "(none)")
    later = build_record(dt.date(2026, 12, 1), "renewal_due", RENEWAL, "(none)")
    assert later.idempotency_key("firm") != record.idempotency_key("firm")


def test_rows_without_a_client_belong_to_the_default_one():
    record = build_record(MONTH, "renewal_due", RENEWAL | {"client": None}, "(none)")
    assert record.client == record.body["client"] == "(none)"


def test_records_come_by_client_then_kind_then_registration():
    records = build_records(
        MONTH,
        {
            "mismatch": [MISMATCH],
            "renewal_due": [RENEWAL],
            "status_change": [CHANGE, CHANGE | {"registration_id": "TM-000001"}],
        },
        "(none)",
    )
    assert [(r.client, r.kind, r.registration_id) for r in records] == [
        ("acme", "status_change", "TM-000001"),
        ("acme", "status_change", "TM-000123"),
        ("acme", "mismatch", "TM-000125"),
        ("borealis", "renewal_due", "TM-000124"),
    ]


def test_pages_hold_one_client_each_and_at_most_the_page_size():
    rows = [{"client": c, "n": n} for n, c in enumerate("aaaaabbc")]
    pages = client_pages(rows, 2)
    assert [[r["n"] for r in p] for p in pages] == [[0, 1], [2, 3], [4], [5, 6], [7]]
    assert [page_fields(p) for p in pages][3] == {"stream": "portfolio", "client": "b"}
    assert client_pages([], 5) == []


def test_a_destination_receives_the_body_and_its_key():
    record = build_record(MONTH, "mismatch", MISMATCH, "(none)")
    row = {"idempotency_key": "k" * 32, "record": json.dumps(record.body)}
    sent = public_portfolio_record(row)
    assert sent["idempotency_key"] == "k" * 32
    assert sent["details"]["differing_fields"] == ["owner", "next_renewal_date"]
    assert sent["details"]["office_next_renewal_date"] == "2029-03-01"
