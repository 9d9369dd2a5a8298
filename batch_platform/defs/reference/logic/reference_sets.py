"""The reference file as a whole and its reference sets: the combined schema (both domains'
sections), the effective sets with their versions, and what a user sees of each. No Dagster.

A set's version is a hash of its effective content: the shipped defaults with the project's
file applied. The reference assets report it as their data version, so a change marks what
reads the set stale.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from batch_platform.defs.portfolio.logic.office_reference import (
    OfficeReference,
    PortfolioSection,
    office_reference,
)
from batch_platform.defs.signals.logic.signal_reference import (
    SignalReference,
    SignalsSection,
    signal_reference,
)
from batch_platform.lib.reference_data import reference_file, validate_section

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "reference_file.schema.json"


class ReferenceFileModel(BaseModel):
    """The project's reference file ($BATCH_PLATFORM_REFERENCE): one section per domain, each
    extending or overriding that domain's shipped reference data."""

    model_config = ConfigDict(extra="forbid", title="batch_platform reference data")
    signals: SignalsSection | None = Field(
        default=None, description="event types, spellings, sources, free-mail domains, targets"
    )
    portfolio: PortfolioSection | None = Field(
        default=None, description="trademark offices and their status vocabularies"
    )


def json_schema() -> dict[str, Any]:
    """The reference file's JSON schema (shipped as ``reference_file.schema.json``)."""
    return ReferenceFileModel.model_json_schema()


def json_schema_text() -> str:
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


@dataclass(frozen=True)
class EffectiveReference:
    signals: SignalReference
    portfolio: OfficeReference


def effective_reference(env: Mapping[str, str] | None = None) -> EffectiveReference:
    """Every domain's effective reference data; ReferenceDataError names the file, each bad
    entry and the rule it breaks (an unknown section too)."""
    file = reference_file(env)
    validate_section(ReferenceFileModel, dict(file.sections), file.source)
    return EffectiveReference(signal_reference(env), office_reference(env))


@dataclass(frozen=True)
class ReferenceSet:
    """One reference set as the UI shows it."""

    name: str
    version: str
    source: str
    headers: tuple[str, ...]
    rows: list[tuple]
    note: str = ""


def _jurisdiction_rows(reference: EffectiveReference) -> list[tuple]:
    return [
        (
            office.code,
            office.name,
            " | ".join(office.date_formats) or "ISO only",
            office.vocabulary or "canonical words only",
        )
        for office in reference.portfolio.jurisdictions.values()
    ]


def _status_spelling_rows(reference: EffectiveReference) -> list[tuple]:
    return [
        (vocabulary, spelling, status)
        for vocabulary, spellings in sorted(reference.portfolio.status_spellings.items())
        for spelling, status in spellings.items()
    ]


# Per set: the columns a user sees and its rows, in the domain the set belongs to.
SET_ROWS: dict[str, tuple[tuple[str, ...], Callable[[EffectiveReference], list[tuple]]]] = {
    "event_types": (
        ("event type", "points"),
        lambda r: sorted(r.signals.weights.items(), key=lambda item: (-item[1], item[0])),
    ),
    "event_type_spellings": (
        ("spelling", "event type"),
        lambda r: sorted(r.signals.spellings.items(), key=lambda item: (item[1], item[0])),
    ),
    "signal_sources": (("source",), lambda r: [(s,) for s in r.signals.sources]),
    "free_mail_domains": (("domain",), lambda r: [(d,) for d in r.signals.free_mail_domains]),
    "fit_targets": (
        ("kind", "value"),
        lambda r: (
            [("industry", i) for i in r.signals.target_industries]
            + [("country", c) for c in r.signals.target_countries]
        ),
    ),
    "jurisdictions": (("code", "name", "date formats", "status vocabulary"), _jurisdiction_rows),
    "office_status_spellings": (
        ("vocabulary", "office spelling", "canonical status"),
        _status_spelling_rows,
    ),
}


def reference_sets(reference: EffectiveReference) -> dict[str, ReferenceSet]:
    """Every reference set by name, with its version and rows."""
    portfolio_versions = reference.portfolio.versions()
    versions = reference.signals.versions() | portfolio_versions
    notes = {
        "event_type_spellings": f"unknown event types: {reference.signals.unknown_event_types}",
        "signal_sources": f"unknown sources: {reference.signals.unknown_sources}",
    }
    sets = {}
    for name, (headers, rows) in SET_ROWS.items():
        domain = reference.portfolio if name in portfolio_versions else reference.signals
        sets[name] = ReferenceSet(
            name, versions[name], domain.source, headers, rows(reference), notes.get(name, "")
        )
    return sets


if __name__ == "__main__":
    # Regenerate the shipped JSON schema after changing a section's models.
    SCHEMA_FILE.write_text(json_schema_text(), encoding="utf-8")
