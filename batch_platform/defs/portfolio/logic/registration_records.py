"""Registration records: finding and reading firm and office record files, and normalising one
record. No Dagster here.

Firm records are CSV; office snapshots are CSV or JSONL (``.jsonl``/``.ndjson``); the office API
returns one JSON object per registration. All three carry the same fields (office data adds
``as_of``). Every row comes back with its file and line, and a row that cannot be read comes back
with the reason, so nothing is lost.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa

from batch_platform.defs.portfolio.logic.office_reference import office_reference
from batch_platform.defs.portfolio.logic.office_vocabulary import (
    NormaliseError,
    canonical_status,
    jurisdiction_code,
    parse_classes,
    parse_date,
)
from batch_platform.lib.landing import LandedFileError, open_landed_file

FIRM_COLUMNS = (
    "registration_id",
    "jurisdiction",
    "mark",
    "owner",
    "status",
    "filing_date",
    "registration_date",
    "next_renewal_date",
    "classes",
)
OFFICE_COLUMNS = (*FIRM_COLUMNS, "as_of")
# Firm-record columns a file may leave out: ``client``, the firm's client a registration is
# managed for (the report, the delivered records and the summary are split by it).
OPTIONAL_FIRM_COLUMNS = ("client",)
# The client of a registration whose file has no ``client`` column or leaves the cell empty.
NO_CLIENT = "(none)"
DATE_FIELDS = ("filing_date", "registration_date", "next_renewal_date")
CSV_SUFFIXES = (".csv",)
JSONL_SUFFIXES = (".jsonl", ".ndjson")
# Arrow types of the normalised fields, so that a staged column of only nulls keeps its type.
NORMALISED_TYPES = {
    "jurisdiction": pa.string(),
    "mark": pa.string(),
    "owner": pa.string(),
    "raw_status": pa.string(),
    "status": pa.string(),
    "filing_date": pa.date32(),
    "registration_date": pa.date32(),
    "next_renewal_date": pa.date32(),
    "classes": pa.list_(pa.int32()),
    "as_of": pa.date32(),
}


@dataclass
class RawRecord:
    """One input row as text, where it came from, and why it could not be read (if so)."""

    source_file: str
    source_line: int
    values: dict[str, str | None]
    read_error: str | None = None


@dataclass
class Normalised:
    """A record in canonical form, plus every problem found (empty when usable)."""

    registration_id: str | None
    jurisdiction: str | None
    mark: str | None
    owner: str | None
    raw_status: str | None
    status: str | None = None
    filing_date: dt.date | None = None
    registration_date: dt.date | None = None
    next_renewal_date: dt.date | None = None
    classes: list[int] | None = None
    as_of: dt.date | None = None
    problems: list[str] = field(default_factory=list)


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    text = str(value).strip()
    return text or None


def is_record_file(name: str) -> bool:
    return name.lower().endswith(CSV_SUFFIXES + JSONL_SUFFIXES)


def record_files(directory: Path) -> list[Path]:
    """CSV/JSONL files directly in ``directory``, by name (hidden and partial files skipped)."""
    if not directory.is_dir():
        return []
    return sorted(
        p
        for p in directory.iterdir()
        if p.is_file() and not p.name.startswith(".") and is_record_file(p.name)
    )


def ignored_files(directory: Path) -> list[str]:
    """Visible files in ``directory`` that are not CSV/JSONL (and so are not read)."""
    if not directory.is_dir():
        return []
    return sorted(
        p.name
        for p in directory.iterdir()
        if p.is_file()
        and not p.name.startswith(".")
        and not p.name.endswith(".done")
        and not is_record_file(p.name)
    )


def read_records(
    path: Path, columns: tuple[str, ...], optional: tuple[str, ...] = ()
) -> Iterator[RawRecord]:
    """Rows of a CSV or JSONL file; ``source_line`` counts data rows from 1. ``columns`` must
    all be there; ``optional`` ones are read when the file has them."""
    name = path.name
    reader = _read_jsonl if name.lower().endswith(JSONL_SUFFIXES) else _read_csv
    try:
        with open_landed_file(path) as opened:
            yield from reader(opened.path, name, columns, optional)
    except LandedFileError as error:
        # A file that must not be read (a link, a FIFO, gone) is one record saying why.
        yield RawRecord(name, 0, {}, str(error))


def _read_csv(
    path: Path, name: str, columns: tuple[str, ...], optional: tuple[str, ...]
) -> Iterator[RawRecord]:
    with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return
        header = [h.strip().lower() for h in header]
        missing = [c for c in columns if c not in header]
        missing_error = f"file has no column {', '.join(missing)}" if missing else None
        line = 0
        for fields in reader:
            if not any(f.strip() for f in fields):
                continue
            line += 1
            values = {
                c: _text(v)
                for c, v in zip(header, fields, strict=False)
                if c in columns or c in optional
            }
            error = missing_error
            if error is None and len(fields) != len(header):
                error = f"row has {len(fields)} fields, header has {len(header)}"
            yield RawRecord(name, line, values, error)


def _read_jsonl(
    path: Path, name: str, columns: tuple[str, ...], optional: tuple[str, ...]
) -> Iterator[RawRecord]:
    with path.open(encoding="utf-8-sig", errors="replace") as handle:
        line = 0
        for text in handle:
            if not text.strip():
                continue
            line += 1
            try:
                obj = json.loads(text)
            except json.JSONDecodeError as error:
                yield RawRecord(name, line, {}, f"invalid JSON: {error.msg}")
                continue
            if not isinstance(obj, dict):
                yield RawRecord(name, line, {}, "JSON line is not an object")
                continue
            yield RawRecord(name, line, {c: _text(obj.get(c)) for c in (*columns, *optional)})


def normalise_record(values: dict[str, str | None], *, office: bool) -> Normalised:
    """Canonical status, dates and classes for one record; problems listed, never raised.

    An office code in no list, or an office whose formats are not known, is no problem: its
    dates are read as ISO and its statuses as canonical words (the health report lists what
    was assumed)."""
    reference = office_reference()
    raw_jurisdiction = values.get("jurisdiction")
    record = Normalised(
        registration_id=values.get("registration_id"),
        jurisdiction=jurisdiction_code(raw_jurisdiction),
        mark=values.get("mark"),
        owner=values.get("owner"),
        raw_status=values.get("status"),
    )
    if not record.registration_id:
        record.problems.append("registration_id is missing")
    if record.jurisdiction is None:
        record.problems.append(
            f"jurisdiction {raw_jurisdiction!r} is not a two-letter office code (WIPO ST.3)"
            if raw_jurisdiction
            else "jurisdiction is missing"
        )
        return record
    code = record.jurisdiction
    try:
        record.status = canonical_status(record.raw_status, code, reference)
    except NormaliseError as error:
        record.problems.append(str(error))
    for name in DATE_FIELDS + (("as_of",) if office else ()):
        try:
            setattr(record, name, parse_date(values.get(name), code, name, reference))
        except NormaliseError as error:
            record.problems.append(str(error))
    try:
        record.classes = parse_classes(values.get("classes"))
    except NormaliseError as error:
        record.problems.append(str(error))
    return record


def normalised_columns(records: list[Normalised], fields: dict[str, str]) -> dict[str, pa.Array]:
    """Typed Arrow columns of normalised records, for staging: ``fields`` maps a column name to
    the :class:`Normalised` field it holds."""
    return {
        column: pa.array([getattr(r, name) for r in records], NORMALISED_TYPES[name])
        for column, name in fields.items()
    }
