"""Each reference set is an asset of the lineage graph (group ``reference``): observed, not
materialized, since users own the data (the shipped defaults and $BATCH_PLATFORM_REFERENCE).
An observation's data version is a hash of the set's effective content, so a change shows
every asset that reads the set as stale; re-running their partitions applies it."""

import dagster as dg

from batch_platform.defs.common.metadata import OWNERS
from batch_platform.defs.reference.keys import (
    EVENT_TYPE_SPELLINGS,
    EVENT_TYPES,
    FIT_TARGETS,
    FREE_MAIL_DOMAINS,
    JURISDICTIONS,
    OFFICE_STATUS_SPELLINGS,
    SIGNAL_SOURCES,
)
from batch_platform.defs.reference.logic.reference_sets import (
    ReferenceSet,
    effective_reference,
    reference_sets,
)
from batch_platform.lib.markdown import markdown_table

GROUP = "reference"
PREVIEW_ROWS = 300
REFERENCE_SETS = {
    "event_types": (
        EVENT_TYPES,
        "Canonical event types and their lead-score points (signals.event_types).",
    ),
    "event_type_spellings": (
        EVENT_TYPE_SPELLINGS,
        "Event-type spellings → canonical types, and whether a type in no list is kept as "
        "'unmapped' or quarantined (signals.event_type_spellings, unknown_event_types).",
    ),
    "signal_sources": (
        SIGNAL_SOURCES,
        "Known sources of signals, and whether a source in no list is kept as 'unmapped' or "
        "quarantined (signals.sources, unknown_sources).",
    ),
    "free_mail_domains": (
        FREE_MAIL_DOMAINS,
        "Email domains no account domain is derived from (signals.free_mail_domains).",
    ),
    "fit_targets": (
        FIT_TARGETS,
        "Target industries and countries worth lead-score fit points "
        "(signals.target_industries, target_countries).",
    ),
    "jurisdictions": (
        JURISDICTIONS,
        "Trademark offices by WIPO ST.3 code: names, date formats, status vocabulary "
        "(portfolio.jurisdictions).",
    ),
    "office_status_spellings": (
        OFFICE_STATUS_SPELLINGS,
        "Office status spellings → canonical statuses, per vocabulary "
        "(portfolio.office_status_spellings).",
    ),
}
KEYS_BY_SET = {name: key for name, (key, _) in REFERENCE_SETS.items()}


def set_metadata(reference_set: ReferenceSet) -> dict:
    shown = reference_set.rows[:PREVIEW_ROWS]
    table = markdown_table(reference_set.headers, shown)
    if len(reference_set.rows) > len(shown):
        table += f"\n\n… and {len(reference_set.rows) - len(shown):,} more"
    if reference_set.note:
        table = f"{reference_set.note}\n\n{table}"
    return {
        "entries": len(reference_set.rows),
        "version": reference_set.version,
        "source": reference_set.source,
        "entries_preview": dg.MetadataValue.md(table),
    }


@dg.multi_observable_source_asset(
    specs=[
        dg.AssetSpec(
            key,
            description=description,
            group_name=GROUP,
            kinds={"yaml"},
            owners=list(OWNERS),
            tags={"layer": GROUP},
        )
        for key, description in REFERENCE_SETS.values()
    ],
    can_subset=True,
)
def reference_data(context: dg.AssetExecutionContext):
    """Observe the effective reference sets: the shipped defaults with the project's file
    applied. A bad file fails the observation, naming the file, each bad entry and its rule."""
    sets = reference_sets(effective_reference())
    for name, reference_set in sets.items():
        key = KEYS_BY_SET[name]
        if key in context.selected_asset_keys:
            yield dg.ObserveResult(
                asset_key=key,
                data_version=dg.DataVersion(reference_set.version),
                metadata=set_metadata(reference_set),
            )
