"""The signals domain's reference data: canonical event types and their lead-score points,
event-type spellings, sources, free-mail domains, fit targets, and what becomes of a row whose
event type or source is in no list. No Dagster here.

The shipped defaults are ``defs/signals/reference/signals.yaml``; the project's file
($BATCH_PLATFORM_REFERENCE, section ``signals:``, the same shape) extends or overrides them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field

from batch_platform.lib.reference_data import (
    Problem,
    ReferenceFile,
    entry_path,
    list_change_model,
    merged_section,
    reference_file,
    set_version,
    text_rule,
    validate_section,
)

SECTION = "signals"
DEFAULTS_FILE = Path(__file__).resolve().parents[1] / "reference" / "signals.yaml"
# The canonical type and source of a kept row whose value is in no list; it scores 0.
UNMAPPED = "unmapped"
# What the cleaning SQL does to a spelling before looking it up (DuckDB's trim() trims spaces).
_SEPARATORS = re.compile(r"[\s.\-]+")

CanonicalName = text_rule(
    r"[a-z][a-z0-9_]*", "a canonical name: lower-case letters, digits and _ (e.g. form_submit)"
)
Spelling = text_rule(r".*[^\s.\-].*", "a spelling with a letter or digit in it")
MailDomain = text_rule(
    r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z0-9-]{2,}",
    "a lower-case domain name (e.g. fastmail.com)",
)
Industry = text_rule(r"\S(?:.*\S)?", "an industry name without leading or trailing spaces")
CountryCode = text_rule(r"[A-Z]{2}", "an ISO 3166 alpha-2 country code in capitals (e.g. FR)")
Policy = Literal["keep", "quarantine"]

SourcesChange = list_change_model("SourcesChange", CanonicalName, "sources")
MailDomainsChange = list_change_model("FreeMailDomainsChange", MailDomain, "free-mail domains")
IndustriesChange = list_change_model("TargetIndustriesChange", Industry, "target industries")
CountriesChange = list_change_model("TargetCountriesChange", CountryCode, "target countries")


class EventTypeSetting(BaseModel):
    """A canonical event type; a new one without ``weight`` scores 0."""

    model_config = ConfigDict(extra="forbid")
    weight: float | None = Field(
        default=None, ge=-1000, le=1000, allow_inf_nan=False, description="lead-score points"
    )


class SignalsSection(BaseModel):
    """The ``signals:`` section of the reference file (and the shipped defaults' shape)."""

    model_config = ConfigDict(extra="forbid")
    unknown_event_types: Policy | None = Field(
        default=None,
        description="keep a row with an event type in no list as 'unmapped' (default), or "
        "quarantine it",
    )
    unknown_sources: Policy | None = Field(
        default=None,
        description="keep a row with a source in no list as 'unmapped' (default), or quarantine it",
    )
    event_types: dict[CanonicalName, EventTypeSetting] = Field(
        default_factory=dict, description="canonical event types and their lead-score points"
    )
    event_type_spellings: dict[Spelling, CanonicalName] = Field(
        default_factory=dict,
        description="spelling in the files → canonical event type (matched case-insensitively; "
        "spaces, dots and hyphens count as _)",
    )
    sources: SourcesChange = Field(default_factory=SourcesChange)
    free_mail_domains: MailDomainsChange = Field(default_factory=MailDomainsChange)
    target_industries: IndustriesChange = Field(default_factory=IndustriesChange)
    target_countries: CountriesChange = Field(default_factory=CountriesChange)


@dataclass(frozen=True)
class SignalReference:
    """The effective signals reference: the shipped defaults with the project file applied."""

    unknown_event_types: Policy
    unknown_sources: Policy
    weights: Mapping[str, float]
    spellings: Mapping[str, str]
    sources: tuple[str, ...]
    free_mail_domains: tuple[str, ...]
    target_industries: tuple[str, ...]
    target_countries: tuple[str, ...]
    source: str

    def sets(self) -> dict[str, Any]:
        """Each reference set by name, as the values that define it (what its version hashes)."""
        return {
            "event_types": dict(self.weights),
            "event_type_spellings": {
                "spellings": dict(self.spellings),
                "unknown_event_types": self.unknown_event_types,
            },
            "signal_sources": {
                "sources": list(self.sources),
                "unknown_sources": self.unknown_sources,
            },
            "free_mail_domains": list(self.free_mail_domains),
            "fit_targets": {
                "industries": list(self.target_industries),
                "countries": list(self.target_countries),
            },
        }

    def versions(self) -> dict[str, str]:
        return {name: set_version(value) for name, value in self.sets().items()}

    def spelling_rows(self) -> dict[str, list[str]]:
        """The spellings as columns (spelling, canonical), for staging."""
        return {"spelling": list(self.spellings), "canonical": list(self.spellings.values())}


def normalise_spelling(value: str) -> str:
    """A spelling as the cleaning looks it up: ``" LinkedIn Message"`` → ``linkedin_message``."""
    return _SEPARATORS.sub("_", value.strip(" ").lower())


@cache
def shipped_section() -> SignalsSection:
    source = f"{DEFAULTS_FILE} (shipped defaults)"
    data = yaml.safe_load(DEFAULTS_FILE.read_text(encoding="utf-8"))
    return validate_section(SignalsSection, data, source, SECTION)


def signal_reference(env: Mapping[str, str] | None = None) -> SignalReference:
    """The effective reference: the shipped defaults, extended or overridden by the project's
    file when $BATCH_PLATFORM_REFERENCE names one. Raises ReferenceDataError on a bad entry."""
    return _effective(reference_file(env))


@lru_cache(maxsize=8)
def _effective(file: ReferenceFile) -> SignalReference:
    return merged_section(file, SignalsSection, SECTION, shipped_section(), merge_signals)


def merge_signals(
    shipped: SignalsSection, given: SignalsSection, source: str
) -> tuple[SignalReference, list[Problem]]:
    """The shipped section with ``given`` applied, and every problem of ``given``."""
    problems: list[Problem] = []
    weights = {name: setting.weight or 0.0 for name, setting in shipped.event_types.items()}
    for name, setting in given.event_types.items():
        if name == UNMAPPED:
            problems.append(
                Problem(
                    entry_path((SECTION, "event_types", name)),
                    f"'{UNMAPPED}' is the type of rows whose event type is in no list; "
                    "choose another name",
                )
            )
        elif setting.weight is not None or name not in weights:
            weights[name] = setting.weight or 0.0
    spellings = {name: name for name in weights}
    spellings |= {normalise_spelling(k): v for k, v in shipped.event_type_spellings.items()}
    spellings_given: dict[str, str] = {}
    for spelling, canonical in given.event_type_spellings.items():
        entry = entry_path((SECTION, "event_type_spellings", spelling))
        key = normalise_spelling(spelling)
        if canonical not in weights:
            problems.append(
                Problem(
                    entry,
                    f"{canonical!r} is not a canonical event type (add it under "
                    f"signals.event_types, or use one of: {', '.join(sorted(weights))})",
                )
            )
        elif spellings_given.get(key, canonical) != canonical:
            problems.append(
                Problem(
                    entry,
                    f"reads as {key!r}, which this file already maps to {spellings_given[key]!r}",
                )
            )
        else:
            spellings_given[key] = canonical
    spellings |= spellings_given
    lists = {}
    for name in ("sources", "free_mail_domains", "target_industries", "target_countries"):
        lists[name], found = getattr(given, name).apply(getattr(shipped, name).add, (SECTION, name))
        problems.extend(found)
    if UNMAPPED in lists["sources"]:
        problems.append(
            Problem(
                entry_path((SECTION, "sources")),
                f"'{UNMAPPED}' is the source of rows whose source is in no list; choose another "
                "name",
            )
        )
    reference = SignalReference(
        unknown_event_types=given.unknown_event_types or shipped.unknown_event_types or "keep",
        unknown_sources=given.unknown_sources or shipped.unknown_sources or "keep",
        weights=weights,
        spellings=spellings,
        sources=tuple(lists["sources"]),
        free_mail_domains=tuple(lists["free_mail_domains"]),
        target_industries=tuple(i.lower() for i in lists["target_industries"]),
        target_countries=tuple(lists["target_countries"]),
        source=source,
    )
    return reference, problems
