"""The portfolio domain's reference data: trademark offices (WIPO ST.3 codes, names, date
formats, which status vocabulary each uses) and the status vocabularies (office spelling →
canonical status). No Dagster here.

The shipped defaults are ``defs/portfolio/reference/jurisdictions.csv`` and
``status_vocabulary.csv``; the project's file ($BATCH_PLATFORM_REFERENCE, section
``portfolio:``) extends or overrides them. An office in no list, or one whose date format or
status words are not known, is still swept: ISO dates and the canonical status words always
work, and :meth:`OfficeReference.assumptions` says what was assumed.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from batch_platform.defs.portfolio.logic.office_date_formats import date_format_problem
from batch_platform.lib.reference_data import (
    Problem,
    ReferenceFile,
    entry_path,
    merged_section,
    reference_file,
    set_version,
    text_rule,
    validate_section,
)

SECTION = "portfolio"
REFERENCE_DIR = Path(__file__).resolve().parents[1] / "reference"
JURISDICTIONS_FILE = REFERENCE_DIR / "jurisdictions.csv"
STATUS_VOCABULARY_FILE = REFERENCE_DIR / "status_vocabulary.csv"
CANONICAL_STATUSES = (
    "pending",
    "registered",
    "opposed",
    "expired",
    "cancelled",
    "abandoned",
    "refused",
)
_SPACES = re.compile(r"\s+")
OFFICE_CODE = re.compile(r"[A-Z]{2}")

OfficeCode = text_rule(
    OFFICE_CODE.pattern, "a two-letter office code of WIPO ST.3 in capitals (e.g. WO, EM, DE)"
)
VocabularyName = text_rule(
    r"[a-z][a-z0-9_]*", "a vocabulary name: lower-case letters, digits and _ (e.g. ru)"
)
OfficeName = text_rule(r"\S(?:.*\S)?", "an office name without leading or trailing spaces")
StatusWord = text_rule(r".*\S.*", "an office status word")
CanonicalStatus = Literal[CANONICAL_STATUSES]


def _checked_date_format(fmt: str) -> str:
    problem = date_format_problem(fmt)
    if problem:
        raise ValueError(problem)
    return fmt


DateFormat = Annotated[
    str,
    AfterValidator(_checked_date_format),
    Field(description="a date format of %Y %y %m %d %b and literals, e.g. %d.%m.%Y"),
]


class OfficeSetting(BaseModel):
    """An office; for one already listed, the fields given replace the listed ones."""

    model_config = ConfigDict(extra="forbid")
    name: OfficeName | None = Field(default=None, description="required for a new office")
    date_formats: list[DateFormat] | None = Field(
        default=None, description="the office's own date formats (ISO dates are always read)"
    )
    status_vocabulary: VocabularyName | None = Field(
        default=None,
        description="the status vocabulary the office uses (null: canonical words only)",
    )


class PortfolioSection(BaseModel):
    """The ``portfolio:`` section of the reference file."""

    model_config = ConfigDict(extra="forbid")
    jurisdictions: dict[OfficeCode, OfficeSetting] = Field(
        default_factory=dict, description="trademark offices by WIPO ST.3 code"
    )
    office_status_spellings: dict[VocabularyName, dict[StatusWord, CanonicalStatus]] = Field(
        default_factory=dict,
        description="per status vocabulary: the office's spelling → canonical status (matched "
        "case- and space-insensitively)",
    )


@dataclass(frozen=True)
class Jurisdiction:
    code: str
    name: str
    date_formats: tuple[str, ...]
    vocabulary: str | None
    listed: bool = True  # False: a well-formed code in no list of offices


def status_key(value: str) -> str:
    """A status word as it is matched: spaces collapsed, case folded."""
    return _SPACES.sub(" ", value.strip()).casefold()


@dataclass(frozen=True, eq=False)
class OfficeReference:
    """The effective portfolio reference: the shipped defaults with the project file applied."""

    jurisdictions: Mapping[str, Jurisdiction]
    # vocabulary → office spelling as written → canonical status
    status_spellings: Mapping[str, Mapping[str, str]]
    source: str
    _unlisted: dict[str, Jurisdiction] = field(default_factory=dict, repr=False)

    @cached_property
    def status_lookup(self) -> dict[str, dict[str, str]]:
        """vocabulary → {matched spelling → canonical status}."""
        return {
            vocabulary: {status_key(k): v for k, v in spellings.items()}
            for vocabulary, spellings in self.status_spellings.items()
        }

    def jurisdiction(self, code: str) -> Jurisdiction:
        """The office of a well-formed code; one in no list reads ISO dates and canonical
        words."""
        office = self.jurisdictions.get(code)
        if office is None:
            office = self._unlisted.setdefault(code, Jurisdiction(code, "", (), None, False))
        return office

    def assumptions(self, code: str) -> str | None:
        """What the sweep assumes for an office whose dates or status words are not known, or
        None when they are."""
        office = self.jurisdiction(code)
        if not office.listed:
            return (
                f"{code} is in no list of offices (WIPO ST.3 or the reference file): dates read "
                "as ISO only, statuses as canonical words only"
            )
        unknown = [
            what
            for what, known in (
                ("date format", office.date_formats),
                ("status vocabulary", office.vocabulary),
            )
            if not known
        ]
        if not unknown:
            return None
        reads = [
            how
            for what, how in (
                ("date format", "dates read as ISO only"),
                ("status vocabulary", "statuses as canonical words only"),
            )
            if what in unknown
        ]
        return f"{code} has no known {' or '.join(unknown)}: {', '.join(reads)}"

    def sets(self) -> dict[str, Any]:
        return {
            "jurisdictions": {
                code: {
                    "name": office.name,
                    "date_formats": list(office.date_formats),
                    "status_vocabulary": office.vocabulary,
                }
                for code, office in self.jurisdictions.items()
            },
            "office_status_spellings": {k: dict(v) for k, v in self.status_spellings.items()},
        }

    def versions(self) -> dict[str, str]:
        return {name: set_version(value) for name, value in self.sets().items()}


@cache
def shipped_section() -> PortfolioSection:
    """The shipped CSVs as a section of the reference file (validated the same way)."""
    with JURISDICTIONS_FILE.open(encoding="utf-8", newline="") as handle:
        offices = {
            row["code"]: {
                "name": row["name"],
                "date_formats": [f for f in row["date_formats"].split("|") if f],
                "status_vocabulary": row["status_vocabulary"] or None,
            }
            for row in csv.DictReader(handle)
        }
    spellings: dict[str, dict[str, str]] = {}
    with STATUS_VOCABULARY_FILE.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            vocabulary = spellings.setdefault(row["vocabulary"], {})
            vocabulary[row["office_status"]] = row["canonical_status"]
    data = {"jurisdictions": offices, "office_status_spellings": spellings}
    return validate_section(PortfolioSection, data, f"{REFERENCE_DIR} (shipped defaults)", SECTION)


def office_reference(env: Mapping[str, str] | None = None) -> OfficeReference:
    """The effective reference: the shipped defaults, extended or overridden by the project's
    file when $BATCH_PLATFORM_REFERENCE names one. Raises ReferenceDataError on a bad entry."""
    return _effective(reference_file(env))


@lru_cache(maxsize=8)
def _effective(file: ReferenceFile) -> OfficeReference:
    return merged_section(file, PortfolioSection, SECTION, shipped_section(), merge_portfolio)


def merge_portfolio(
    shipped: PortfolioSection, given: PortfolioSection, source: str
) -> tuple[OfficeReference, list[Problem]]:
    """The shipped section with ``given`` applied, and every problem of ``given``."""
    problems: list[Problem] = []
    spellings = {k: dict(v) for k, v in shipped.office_status_spellings.items()}
    for vocabulary, given_spellings in given.office_status_spellings.items():
        merged = spellings.setdefault(vocabulary, {})
        matched = {status_key(k): k for k in merged}
        seen: dict[str, str] = {}
        for spelling, canonical in given_spellings.items():
            key = status_key(spelling)
            if seen.get(key, canonical) != canonical:
                problems.append(
                    Problem(
                        entry_path((SECTION, "office_status_spellings", vocabulary, spelling)),
                        f"reads as {key!r}, which this file already maps to {seen[key]!r}",
                    )
                )
                continue
            seen[key] = canonical
            merged.pop(matched.get(key, spelling), None)
            merged[spelling] = canonical
    offices = {code: _office(code, setting) for code, setting in shipped.jurisdictions.items()}
    for code, setting in given.jurisdictions.items():
        entry = (SECTION, "jurisdictions", code)
        current = offices.get(code)
        if current is None and setting.name is None:
            problems.append(Problem(entry_path((*entry, "name")), f"{code} is a new office: "
                                    "give its name"))  # fmt: skip
            continue
        given_fields = setting.model_fields_set
        office = _office(code, setting) if current is None else current
        if current is not None:
            office = Jurisdiction(
                code,
                setting.name if "name" in given_fields and setting.name else current.name,
                tuple(setting.date_formats or ())
                if "date_formats" in given_fields
                else current.date_formats,
                setting.status_vocabulary
                if "status_vocabulary" in given_fields
                else current.vocabulary,
            )
        if office.vocabulary is not None and office.vocabulary not in spellings:
            problems.append(
                Problem(
                    entry_path((*entry, "status_vocabulary")),
                    f"{office.vocabulary!r} is not a status vocabulary (define it under "
                    f"portfolio.office_status_spellings, or use one of: "
                    f"{', '.join(sorted(spellings))})",
                )
            )
            continue
        offices[code] = office
    return OfficeReference(offices, spellings, source), problems


def _office(code: str, setting: OfficeSetting) -> Jurisdiction:
    return Jurisdiction(
        code, setting.name or "", tuple(setting.date_formats or ()), setting.status_vocabulary
    )
