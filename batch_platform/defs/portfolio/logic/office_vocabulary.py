"""Jurisdictions, office date formats and status vocabularies for the portfolio health check:
the functions the sweep normalises records with, over the effective reference data
(``office_reference``: the shipped defaults in ``defs/portfolio/reference/`` and the project's
reference file). No Dagster here.

A well-formed office code in no list, or an office whose date format or status words are not
known, is still read: ISO dates and the canonical status words work for every office.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from batch_platform.defs.portfolio.logic.office_date_formats import ISO_DATE, parse_with_format
from batch_platform.defs.portfolio.logic.office_reference import (
    CANONICAL_STATUSES,
    OFFICE_CODE,
    Jurisdiction,
    OfficeReference,
    office_reference,
    status_key,
)

__all__ = [
    "CANONICAL_STATUSES",
    "Jurisdiction",
    "NormaliseError",
    "canonical_status",
    "format_date",
    "jurisdiction_code",
    "jurisdictions",
    "office_statuses",
    "parse_classes",
    "parse_date",
    "status_vocabularies",
]


class NormaliseError(ValueError):
    """A value that cannot be mapped to the canonical form; the message names field and value."""


def jurisdictions(reference: OfficeReference | None = None) -> dict[str, Jurisdiction]:
    """Every listed office by code (the offices with known formats first)."""
    return dict((reference or office_reference()).jurisdictions)


def status_vocabularies(reference: OfficeReference | None = None) -> dict[str, dict[str, str]]:
    """vocabulary → {normalised office spelling → canonical status}."""
    return (reference or office_reference()).status_lookup


def jurisdiction_code(value: str | None) -> str | None:
    """The office code (trimmed, upper-case) when it is a two-letter code, listed or not (an
    office in no list is swept with ISO dates and canonical words); None otherwise."""
    code = (value or "").strip().upper()
    return code if OFFICE_CODE.fullmatch(code) else None


def canonical_status(
    value: str | None, jurisdiction: str, reference: OfficeReference | None = None
) -> str:
    """Map an office's (or the firm's) status to the canonical set; canonical names always work."""
    key = status_key(value or "")
    if not key:
        raise NormaliseError("status is missing")
    if key in CANONICAL_STATUSES:
        return key
    reference = reference or office_reference()
    vocabulary = reference.jurisdiction(jurisdiction).vocabulary
    if vocabulary is None:
        raise NormaliseError(
            f"status {value!r} is not a canonical status, and {jurisdiction} has no known "
            "status vocabulary"
        )
    status = reference.status_lookup.get(vocabulary, {}).get(key)
    if status is None:
        raise NormaliseError(f"status {value!r} is not in the {jurisdiction} vocabulary")
    return status


def parse_date(
    value: str | None,
    jurisdiction: str,
    field: str = "date",
    reference: OfficeReference | None = None,
) -> dt.date | None:
    """An ISO date or one in the office's own format(s); None when empty; NormaliseError else."""
    text = (value or "").strip()
    if not text:
        return None
    formats = (reference or office_reference()).jurisdiction(jurisdiction).date_formats
    return _parse_date(text, formats, jurisdiction, field)


@lru_cache(maxsize=65536)
def _parse_date(text: str, formats: tuple[str, ...], jurisdiction: str, field: str) -> dt.date:
    for fmt in (ISO_DATE, *formats):
        day = parse_with_format(text, fmt)
        if day is not None:
            return day
    office = f"the {jurisdiction} format" if formats else f"any format known for {jurisdiction}"
    raise NormaliseError(f"{field} {text!r} is not a date in ISO or {office}")


def format_date(day: dt.date, jurisdiction: str) -> str:
    """A date as the office writes it (its first format, else ISO); used by the sample
    generator."""
    formats = office_reference().jurisdiction(jurisdiction).date_formats
    return day.strftime(formats[0] if formats else ISO_DATE)


def parse_classes(value: object) -> list[int]:
    """Nice classes from ``"9;35;42"`` (or a JSON list): sorted, unique, each 1-45."""
    if value is None:
        return []
    items = value if isinstance(value, list) else str(value).replace(",", ";").split(";")
    classes: set[int] = set()
    for item in items:
        text = str(item).strip()
        if not text:
            continue
        if not text.isdigit() or not 1 <= int(text) <= 45:
            raise NormaliseError(f"classes: {text!r} is not a Nice class (1-45)")
        classes.add(int(text))
    return sorted(classes)


def office_statuses(jurisdiction: str, canonical: str) -> tuple[str, ...]:
    """Every spelling the office of ``jurisdiction`` uses for ``canonical`` (sample data); the
    canonical word itself for an office without a known vocabulary."""
    reference = office_reference()
    vocabulary = reference.jurisdiction(jurisdiction).vocabulary
    if vocabulary is None:
        return (canonical,)
    spellings = reference.status_spellings.get(vocabulary, {})
    return tuple(spelling for spelling, status in spellings.items() if status == canonical)
