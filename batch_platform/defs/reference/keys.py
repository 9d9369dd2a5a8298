"""Keys of the reference-data assets, one per reference set (schema ``reference``), for the
assets of every domain that read a set to depend on."""

import dagster as dg

EVENT_TYPES = dg.AssetKey(["reference", "reference_event_types"])
EVENT_TYPE_SPELLINGS = dg.AssetKey(["reference", "reference_event_type_spellings"])
SIGNAL_SOURCES = dg.AssetKey(["reference", "reference_signal_sources"])
FREE_MAIL_DOMAINS = dg.AssetKey(["reference", "reference_free_mail_domains"])
FIT_TARGETS = dg.AssetKey(["reference", "reference_fit_targets"])
JURISDICTIONS = dg.AssetKey(["reference", "reference_jurisdictions"])
OFFICE_STATUS_SPELLINGS = dg.AssetKey(["reference", "reference_office_status_spellings"])
