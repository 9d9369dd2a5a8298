"""Deterministic sample data for the portfolio health check, with planted anomalies.

Writes the firm's records (with the ``client`` each registration is managed for: the seed's
firm serves 50 clients) and two months of office snapshots (last month's and this month's)
under ``<landing>/portfolio/``, in each office's own date format and status words, and returns
exactly which registrations were planted as status changes, renewals due, mismatches and invalid
rows, so tests can assert exact sets. No Dagster here.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import random
from dataclasses import dataclass
from pathlib import Path

from batch_platform.defs.portfolio.logic.office_vocabulary import (
    format_date,
    jurisdictions,
    office_statuses,
)
from batch_platform.defs.portfolio.logic.registration_records import FIRM_COLUMNS

HORIZON_DAYS = 90
CHANGES = (
    ("pending", "registered"),
    ("registered", "cancelled"),
    ("registered", "expired"),
    ("pending", "opposed"),
    ("opposed", "registered"),
    ("pending", "refused"),
)
CLIENTS = (
    "Acme Holdings Ltd", "Borealis Foods GmbH", "Cobalt Robotics Inc", "Delta Apparel SA",
    "Evergreen Pharma AG", "Fjord Outdoor AS", "Granite Software LLC", "Halcyon Hotels plc",
    "Iris Cosmetics SAS", "Juniper Beverages Pty Ltd", "Kestrel Motors KK", "Lumen Lighting BV",
    "Meridian Bank NV", "Nimbus Cloud Corp", "Orchid Textiles Pvt Ltd", "Pioneer Seeds SRL",
)  # fmt: skip
WORDS = (
    "AURORA", "BLAZE", "CREST", "DUNE", "EMBER", "FLARE", "GLINT", "HAVEN", "ION", "JADE",
    "KITE", "LYNX", "MOSAIC", "NOVA", "ORBIT", "PRISM", "QUILL", "RIDGE", "SOLACE", "TIDE",
)  # fmt: skip


@dataclass(frozen=True)
class PortfolioSample:
    month: dt.date  # the sweep's month (first day), also the sweep date
    previous_month: dt.date
    firm_files: list[Path]
    office_files: list[Path]
    registrations: int
    jurisdictions: int
    status_changes: dict[str, tuple[str, str]]  # id → (previous, current) canonical status
    renewals_due: frozenset[str]
    renewals_from_firm_records: frozenset[str]  # due, with no office renewal date
    mismatches: dict[str, tuple[str, ...]]  # id → differing fields
    quarantined: dict[int, str]  # firm-file line → a fragment of the expected reason
    clients: dict[str, str]  # id → client (empty when the firm records have no client column)


@dataclass
class _Registration:
    registration_id: str
    jurisdiction: str
    mark: str
    owner: str
    status: str
    previous_status: str
    filing_date: dt.date
    registration_date: dt.date | None
    next_renewal_date: dt.date | None
    classes: list[int]
    office_owner: str
    office_status: str
    office_next_renewal_date: dt.date | None


def _previous_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)


def generate_portfolio_sample(
    landing_dir: Path,
    month: dt.date,
    *,
    registrations: int = 3000,
    jurisdiction_count: int = 80,
    status_changes: int = 12,
    renewals_due: int = 45,
    mismatches: int = 3,
    invalid_rows: bool = True,
    seed: int = 8,
    clients: int = 50,
) -> PortfolioSample:
    """Write the sample under ``<landing_dir>/portfolio/`` and say what was planted.

    Registration ``i`` is managed for client ``client-<i mod clients + 1>``; ``clients=0``
    writes firm records without the ``client`` column."""
    if renewals_due < 5 or status_changes < 1 or mismatches < 3:
        raise ValueError("plant at least 5 renewals, 1 status change and 3 mismatches")
    codes = list(jurisdictions())[:jurisdiction_count]
    if len(codes) < jurisdiction_count:
        raise ValueError(f"only {len(codes)} jurisdictions in the reference data")
    month = month.replace(day=1)
    rng = random.Random(seed)
    regs = [_base_registration(rng, i, codes[i % len(codes)], month) for i in range(registrations)]
    registered = [r for r in regs if r.status == "registered"]
    decoys = 14
    picked = rng.sample(registered, renewals_due + status_changes + mismatches + decoys)
    due = picked[:renewals_due]
    changed = picked[renewals_due : renewals_due + status_changes]
    mismatched = picked[renewals_due + status_changes : -decoys]
    decoy = picked[-decoys:]

    fallback = set()
    for n, reg in enumerate(due):
        # Spread over the window, both ends included, two of them already overdue.
        days = -(5 + n) if n < 2 else round((n - 2) * HORIZON_DAYS / (renewals_due - 3))
        reg.next_renewal_date = reg.office_next_renewal_date = month + dt.timedelta(days=days)
        if n >= renewals_due - 5:
            reg.office_next_renewal_date = None  # the office gives no date: firm records count
            fallback.add(reg.registration_id)
    planted_changes = {}
    for n, reg in enumerate(changed):
        previous, current = CHANGES[n % len(CHANGES)]
        reg.previous_status, reg.status, reg.office_status = previous, current, current
        planted_changes[reg.registration_id] = (previous, current)
    planted_mismatches = _plant_mismatches(mismatched, month)
    # Near misses that must not be reported: one day past the window, an expired mark inside
    # it, and owners differing only in case and spacing.
    decoy[0].next_renewal_date = decoy[0].office_next_renewal_date = month + dt.timedelta(
        days=HORIZON_DAYS + 1
    )
    for reg in decoy[1:3]:
        reg.status = reg.previous_status = reg.office_status = "expired"
        reg.next_renewal_date = reg.office_next_renewal_date = month + dt.timedelta(days=30)
    for reg in decoy[3:]:
        reg.office_owner = "  " + reg.owner.upper().replace(" ", "  ")

    root = Path(landing_dir) / "portfolio"
    firm_dir, office_dir = root / "firm_records", root / "office"
    firm_dir.mkdir(parents=True, exist_ok=True)
    office_dir.mkdir(parents=True, exist_ok=True)
    firm_file = firm_dir / "firm_records.csv"
    client_of = {
        r.registration_id: sample_client(i, clients) for i, r in enumerate(regs) if clients
    }
    quarantined = _write_firm_records(firm_file, regs, rng, invalid_rows, client_of)
    previous = _previous_month(month)
    office_files = [
        _write_office_csv(office_dir / f"office_{previous:%Y-%m}.csv", regs, previous, rng, True),
        _write_office_csv(
            office_dir / f"office_{month:%Y-%m}.csv", regs[: len(regs) // 2], month, rng, False
        ),
        _write_office_jsonl(
            office_dir / f"office_{month:%Y-%m}_part2.jsonl", regs[len(regs) // 2 :], month, rng
        ),
    ]
    return PortfolioSample(
        month=month,
        previous_month=previous,
        firm_files=[firm_file],
        office_files=office_files,
        registrations=registrations,
        jurisdictions=len({r.jurisdiction for r in regs}),
        status_changes=planted_changes,
        renewals_due=frozenset(r.registration_id for r in due),
        renewals_from_firm_records=frozenset(fallback),
        mismatches=planted_mismatches,
        quarantined=quarantined,
        clients=client_of,
    )


def sample_client(index: int, clients: int) -> str:
    """The client the ``index``-th registration of the sample is managed for."""
    return f"client-{index % clients + 1:02d}"


def _base_registration(rng: random.Random, index: int, code: str, month: dt.date) -> _Registration:
    roll = rng.random()
    status = (
        "registered"
        if roll < 0.88
        else "pending"
        if roll < 0.94
        else "expired"
        if roll < 0.97
        else "cancelled"
        if roll < 0.99
        else "abandoned"
    )
    renewal = month + dt.timedelta(days=rng.randint(120, 3650))
    filing = renewal - dt.timedelta(days=3650 + rng.randint(200, 900))
    registration = filing + dt.timedelta(days=rng.randint(120, 600))
    if status == "pending":
        renewal, registration = None, None
        filing = month - dt.timedelta(days=rng.randint(30, 500))
    elif status != "registered":
        renewal = month - dt.timedelta(days=rng.randint(200, 3000))
    owner = rng.choice(CLIENTS)
    return _Registration(
        registration_id=f"TM-{index + 1:06d}",
        jurisdiction=code,
        mark=f"{rng.choice(WORDS)} {rng.choice(WORDS)}",
        owner=owner,
        status=status,
        previous_status=status,
        filing_date=filing,
        registration_date=registration,
        next_renewal_date=renewal,
        classes=sorted(rng.sample(range(1, 46), rng.randint(1, 3))),
        office_owner=owner,
        office_status=status,
        office_next_renewal_date=renewal,
    )


def _plant_mismatches(regs: list[_Registration], month: dt.date) -> dict[str, tuple[str, ...]]:
    first, second, third, *rest = regs
    first.office_owner = first.owner.replace(" ", " Intl ", 1)
    second.office_status = second.previous_status = "cancelled"
    third.office_owner = "Unrelated Assignee Co"
    third.office_next_renewal_date = third.next_renewal_date + dt.timedelta(days=365)
    planted = {
        first.registration_id: ("owner",),
        second.registration_id: ("status",),
        third.registration_id: ("owner", "next_renewal_date"),
    }
    for reg in rest:
        reg.office_status = reg.previous_status = "expired"
        planted[reg.registration_id] = ("status",)
    return planted


def _firm_date(day: dt.date | None, code: str, rng: random.Random) -> str:
    if day is None:
        return ""
    return format_date(day, code) if rng.random() < 0.1 else day.isoformat()


def _write_firm_records(
    path: Path,
    regs: list[_Registration],
    rng: random.Random,
    invalid_rows: bool,
    client_of: dict[str, str],
) -> dict[int, str]:
    rows = [
        [
            r.registration_id,
            r.jurisdiction if rng.random() < 0.9 else r.jurisdiction.lower(),
            r.mark,
            r.owner,
            r.status.capitalize() if rng.random() < 0.5 else r.status,
            _firm_date(r.filing_date, r.jurisdiction, rng),
            _firm_date(r.registration_date, r.jurisdiction, rng),
            _firm_date(r.next_renewal_date, r.jurisdiction, rng),
            ";".join(str(c) for c in r.classes),
        ]
        for r in regs
    ]
    quarantined: dict[int, str] = {}
    if invalid_rows:
        bad = [
            (["TM-900001", "Atlantis", "GHOST", "Acme Holdings Ltd", "registered", "2015-01-01",
              "2016-01-01", "2030-01-01", "9"],
             "jurisdiction 'Atlantis' is not a two-letter office code"),
            (["TM-900002", "DE", "WRONG DAY", "Borealis Foods GmbH", "registered", "31.02.2019",
              "2020-01-01", "2030-01-01", "29"], "filing_date '31.02.2019' is not a date"),
            (["", "FR", "NO NUMBER", "Iris Cosmetics SAS", "registered", "2015-01-01",
              "2016-01-01", "2030-01-01", "3"], "registration_id is missing"),
            (list(rows[6]), f"duplicate registration_id (first at {path.name} line 7)"),
            (["TM-900003", "US", "LIMBO", "Nimbus Cloud Corp", "zombie", "2015-01-01",
              "2016-01-01", "2030-01-01", "42"], "status 'zombie' is not in the US vocabulary"),
        ]  # fmt: skip
        for values, reason in bad:
            rows.append(values)
            quarantined[len(rows)] = reason
    header = list(FIRM_COLUMNS)
    if client_of:
        header.append("client")
        for row in rows:
            row.append(client_of.get(row[0], "client-01"))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return quarantined


def _office_values(
    reg: _Registration, month: dt.date, rng: random.Random, previous: bool
) -> dict[str, object]:
    code = reg.jurisdiction
    canonical = reg.previous_status if previous else reg.office_status
    spellings = office_statuses(code, canonical)
    status = spellings[0] if previous or len(spellings) == 1 else rng.choice(spellings)
    renewal = reg.office_next_renewal_date
    as_of = month + dt.timedelta(days=rng.randint(0, 3)) if previous else month
    return {
        "registration_id": reg.registration_id,
        "jurisdiction": code,
        "mark": reg.mark,
        "owner": reg.office_owner,
        "status": status,
        "filing_date": format_date(reg.filing_date, code),
        "registration_date": format_date(reg.registration_date, code)
        if reg.registration_date
        else "",
        "next_renewal_date": format_date(renewal, code) if renewal else "",
        "classes": reg.classes,
        "as_of": format_date(as_of, code),
    }


def _write_office_csv(
    path: Path, regs: list[_Registration], month: dt.date, rng: random.Random, previous: bool
) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow((*FIRM_COLUMNS, "as_of"))
        for reg in regs:
            values = _office_values(reg, month, rng, previous)
            values["classes"] = ";".join(str(c) for c in reg.classes)
            writer.writerow(values.values())
    return path


def _write_office_jsonl(
    path: Path, regs: list[_Registration], month: dt.date, rng: random.Random
) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for reg in regs:
            handle.write(json.dumps(_office_values(reg, month, rng, False), ensure_ascii=False))
            handle.write("\n")
    return path
