"""Reference sets as observed assets: a change to the reference file gives the changed set a new
data version, marks what reads it stale, and re-running a partition applies it; the sensor
observes only the sets that changed; a bad file fails the observation and the sensor."""

from __future__ import annotations

import dagster as dg
import pytest
from dagster._core.definitions.data_version import CachingStaleStatusResolver, StaleStatus
from dagster._core.loader import LoadingContextForTest

from batch_platform.defs.reference.assets import KEYS_BY_SET, reference_data
from batch_platform.defs.reference.jobs import reference_data_observation_job
from batch_platform.defs.reference.keys import EVENT_TYPE_SPELLINGS
from batch_platform.defs.reference.sensors import reference_file_sensor
from batch_platform.defs.signals.assets._common import CLEAN_SIGNALS, RAW_SIGNALS
from batch_platform.defs.signals.assets.clean_signals import clean_signals
from batch_platform.defs.signals.assets.raw_signals import raw_signals
from batch_platform.lib.keys import partition_key_for
from batch_platform.lib.reference_data import REFERENCE_FILE_ENV, ReferenceDataError

HEADER = "event_id,occurred_at,source,event_type,email,account_domain,properties\n"
ROWS = (
    "li-1,2026-01-31T10:00:00Z,crm,LinkedIn Message,ann@acme.io,,\n"
    "pv-1,2026-01-31T10:00:00Z,website,page_view,ann@acme.io,,\n"
)


def definitions(platform) -> dg.Definitions:
    return dg.Definitions(
        assets=[reference_data, raw_signals, clean_signals],
        jobs=[reference_data_observation_job],
        resources=platform.resources,
    )


def run_observation(platform, **options) -> dg.ExecuteInProcessResult:
    job = definitions(platform).resolve_job_def("reference_data_observation")
    return job.execute_in_process(instance=platform.instance, **options)


def observe(platform) -> dict[dg.AssetKey, str]:
    """Run the observation job; the data version each set was observed with."""
    result = run_observation(platform)
    assert result.success
    return {
        event.asset_observation_data.asset_observation.asset_key: event.asset_observation_data
        .asset_observation.tags["dagster/data_version"]
        for event in result.get_asset_observation_events()
    }  # fmt: skip


def stale_status(platform, key: dg.AssetKey, partition: str) -> StaleStatus:
    resolver = CachingStaleStatusResolver(
        platform.instance,
        definitions(platform).resolve_asset_graph(),
        LoadingContextForTest(platform.instance),
    )
    return resolver.get_status(key, partition)


def map_linkedin_messages(platform, monkeypatch) -> None:
    path = platform.root / "reference.yaml"
    path.write_text(
        "signals:\n  event_type_spellings:\n    LinkedIn Message: form_submit\n", encoding="utf-8"
    )
    monkeypatch.setenv(REFERENCE_FILE_ENV, str(path))


def test_a_changed_set_marks_the_cleaned_files_stale_until_they_are_rerun(platform, monkeypatch):
    first = observe(platform)
    assert set(first) == set(KEYS_BY_SET.values())
    platform.write_signal_file("crm.csv", HEADER + ROWS)
    partition = partition_key_for("crm.csv")
    assert platform.ingest("crm.csv").success
    assert stale_status(platform, CLEAN_SIGNALS, partition) == StaleStatus.FRESH

    map_linkedin_messages(platform, monkeypatch)
    second = observe(platform)

    assert {key for key in second if second[key] != first[key]} == {EVENT_TYPE_SPELLINGS}
    assert stale_status(platform, CLEAN_SIGNALS, partition) == StaleStatus.STALE
    assert stale_status(platform, RAW_SIGNALS, partition) == StaleStatus.FRESH
    assert platform.ingest("crm.csv").success
    assert stale_status(platform, CLEAN_SIGNALS, partition) == StaleStatus.FRESH
    assert platform.query("SELECT event_type FROM clean.signals ORDER BY source_line") == [
        ("form_submit",),
        ("page_view",),
    ]


def shipped_spellings() -> dict[str, str]:
    from batch_platform.defs.signals.logic.signal_reference import signal_reference

    return signal_reference().spellings


def test_the_observation_shows_the_effective_set(platform, monkeypatch):
    shipped = len(shipped_spellings())
    map_linkedin_messages(platform, monkeypatch)
    result = run_observation(platform)
    spellings = next(
        e.asset_observation_data.asset_observation
        for e in result.get_asset_observation_events()
        if e.asset_key == EVENT_TYPE_SPELLINGS
    )
    metadata = spellings.metadata
    # The shipped spellings plus the file's one new spelling.
    assert metadata["entries"].value == shipped + 1
    assert (
        metadata["source"].value
        == f"{platform.root / 'reference.yaml'} ($BATCH_PLATFORM_REFERENCE)"
    )
    preview = metadata["entries_preview"].value
    assert preview.startswith("unknown event types: keep")
    assert "| linkedin_message | form_submit |" in preview


def test_the_sensor_observes_only_the_sets_that_changed(platform, monkeypatch):
    context = dg.build_sensor_context(instance=platform.instance)
    first = reference_file_sensor(context)
    (request,) = first.run_requests
    assert set(request.asset_selection) == set(KEYS_BY_SET.values())

    unchanged = reference_file_sensor(dg.build_sensor_context(cursor=first.cursor))
    assert isinstance(unchanged, dg.SkipReason)

    map_linkedin_messages(platform, monkeypatch)
    changed = reference_file_sensor(dg.build_sensor_context(cursor=first.cursor))
    (request,) = changed.run_requests
    assert request.asset_selection == [EVENT_TYPE_SPELLINGS]


def test_a_bad_file_fails_the_observation_and_the_sensor_naming_the_entry(platform, monkeypatch):
    path = platform.root / "reference.yaml"
    path.write_text("signals:\n  event_type_spellings:\n    call: meting\n", encoding="utf-8")
    monkeypatch.setenv(REFERENCE_FILE_ENV, str(path))
    result = run_observation(platform, raise_on_error=False)
    assert not result.success
    (failure,) = [e for e in result.all_events if e.is_step_failure]
    assert "signals.event_type_spellings.call: 'meting' is not a canonical event type" in (
        failure.step_failure_data.error.cause.message
    )
    with pytest.raises(ReferenceDataError, match=r"signals\.event_type_spellings\.call"):
        reference_file_sensor(dg.build_sensor_context(instance=platform.instance))
