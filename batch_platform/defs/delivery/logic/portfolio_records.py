"""The portfolio's monthly findings as records for the firm's system. No Dagster, no warehouse.

Each status change, renewal due and mismatch of a month's sweep becomes one record: what it is
about (month, kind, client, registration), a ``version`` saying what changed, and the body a
destination receives. The version makes the key stable: the same finding on a re-run of the
month is the same record (sent once), a different one (another status, another renewal date,
other differing values, another client) is a new record.

    status_change   <previous>-><current>            e.g. pending->registered
    renewal_due     due <next renewal date>          e.g. due 2027-01-15
    mismatch        <fields>/<digest of the values>  e.g. owner,status/1f0c9a6b2e4d

Idempotency key = ``sha256(destination ␟ month ␟ kind ␟ client ␟ registration ␟ version)[:32]``,
the same on every attempt and every run, as for scores (one per destination).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

KINDS = ("status_change", "renewal_due", "mismatch")
# The findings' columns each kind's record carries in ``details`` (the rest is common to all).
DETAILS = {
    "status_change": ("previous_status", "current_status", "office_status", "baseline_month",
                      "as_of"),
    "renewal_due": ("owner", "next_renewal_date", "days_until", "date_source"),
    "mismatch": ("differing_fields", "firm_owner", "office_owner", "firm_status",
                 "office_status", "firm_next_renewal_date", "office_next_renewal_date"),
}  # fmt: skip
# A mismatch field → the firm's and the office's columns holding its values.
MISMATCH_VALUES = {
    "owner": ("firm_owner", "office_owner"),
    "status": ("firm_status", "office_status"),
    "next_renewal_date": ("firm_next_renewal_date", "office_next_renewal_date"),
}


@dataclass(frozen=True)
class PortfolioRecord:
    month: dt.date
    kind: str
    client: str
    registration_id: str
    version: str
    body: dict[str, Any]  # what a destination receives, but the idempotency key

    @property
    def record_id(self) -> str:
        """Readable and unique within the month: ``2026-11/status_change/TM-000123/…``."""
        return f"{self.month:%Y-%m}/{self.kind}/{self.registration_id}/{self.version}"

    def idempotency_key(self, destination: str) -> str:
        parts = (destination, f"{self.month:%Y-%m}", self.kind, self.client,
                 self.registration_id, self.version)  # fmt: skip
        return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]


def _plain(value: object) -> object:
    """A value as JSON has it: dates as ISO text, tuples as lists."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def record_version(kind: str, row: dict[str, Any]) -> str:
    """What changed, as the version of the finding's record (see the module's table)."""
    if kind == "status_change":
        return f"{row['previous_status']}->{row['current_status']}"
    if kind == "renewal_due":
        return f"due {_plain(row['next_renewal_date'])}"
    if kind == "mismatch":
        fields = list(row["differing_fields"])
        values = {
            field: [_plain(row[column]) for column in MISMATCH_VALUES[field]]
            for field in fields
            if field in MISMATCH_VALUES
        }
        digest = hashlib.sha256(json.dumps(values, sort_keys=True).encode()).hexdigest()[:12]
        return f"{','.join(fields)}/{digest}"
    raise ValueError(f"unknown kind of portfolio record: {kind!r}")


def build_record(month: dt.date, kind: str, row: dict[str, Any], no_client: str) -> PortfolioRecord:
    """One finding (a row of portfolio.status_changes, renewals_due or mismatches) as a record;
    a row without a client belongs to ``no_client``."""
    client = row.get("client") or no_client
    version = record_version(kind, row)
    record = PortfolioRecord(month, kind, client, row["registration_id"], version, {})
    body = {
        "record_id": record.record_id,
        "month": f"{month:%Y-%m}",
        "kind": kind,
        "client": client,
        "registration_id": row["registration_id"],
        "jurisdiction": row.get("jurisdiction"),
        "mark": row.get("mark"),
        "version": version,
        "details": {column: _plain(row.get(column)) for column in DETAILS[kind]},
    }
    return replace(record, body=body)


def build_records(
    month: dt.date, findings: dict[str, Iterable[dict[str, Any]]], no_client: str
) -> list[PortfolioRecord]:
    """Every finding of the month as a record, by client, kind (in ``KINDS`` order) and
    registration. ``findings`` maps a kind to its rows."""
    unknown = set(findings) - set(KINDS)
    if unknown:
        raise ValueError(f"unknown kind of portfolio record: {', '.join(sorted(unknown))}")
    records = [
        build_record(month, kind, row, no_client)
        for kind in KINDS
        for row in findings.get(kind, ())
    ]
    return sorted(records, key=lambda r: (r.client, KINDS.index(r.kind), r.registration_id))


def client_pages(rows: list[dict[str, Any]], page_size: int) -> list[list[dict[str, Any]]]:
    """Pending rows (sorted by client) in pages of at most ``page_size``, one client a page."""
    pages: list[list[dict[str, Any]]] = []
    for row in rows:
        if pages and pages[-1][0]["client"] == row["client"] and len(pages[-1]) < page_size:
            pages[-1].append(row)
        else:
            pages.append([row])
    return pages


def public_portfolio_record(row: dict[str, Any]) -> dict[str, Any]:
    """What a destination receives for a queued row: its idempotency key and the body."""
    return {"idempotency_key": row["idempotency_key"], **json.loads(row["record"])}


def page_fields(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Beside the records, a page says which stream it is and the one client it is for."""
    return {"stream": "portfolio", "client": rows[0]["client"]}
