"""Event types and sources in no list of the reference data are kept, reported and scored 0;
mapped in the reference file and re-run, they take their canonical types and weights; with
``quarantine`` in the reference file they are quarantined again."""

import dagster as dg

from batch_platform.defs.signals.assets.reports import daily_pipeline_report
from batch_platform.defs.signals.assets.scores import lead_scores
from batch_platform.lib.reference_data import REFERENCE_FILE_ENV
from batch_platform_tests.defs.signals.test_ingest import HEADER, assert_exact_accounting

DAY = "2026-01-31"  # ends 2026-02-01 05:00 UTC (America/New_York)
NEW_TOOL_ROWS = [
    "li-1,2026-02-01T04:00:00Z,crm,LinkedIn Message,ann@acme.io,,",
    "li-2,2026-01-31T04:00:00Z,crm,linkedin message,ann@acme.io,,",
    "li-3,2026-01-30T04:00:00Z,crm,LinkedIn-Message,bob@beta.io,,",
    "call-1,2026-02-01T02:00:00Z,crm,call,bob@beta.io,,",
    "call-2,2026-01-29T04:00:00Z,crm,Call,ann@acme.io,,",
    "hs-1,2026-01-31T10:00:00Z,HubSpot,page_view,cat@gamma.io,,",
    "pv-1,2026-01-31T10:00:00Z,website,page_view,cat@gamma.io,,",
]


def land_new_tool_file(platform):
    platform.write_signal_file(
        "crm_new_tool.csv", HEADER + "".join(r + "\n" for r in NEW_TOOL_ROWS)
    )
    return platform.ingest("crm_new_tool.csv")


def checks_of(result) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def score_day(platform):
    result = dg.materialize(
        [lead_scores, daily_pipeline_report],
        partition_key=DAY,
        resources=platform.resources,
        instance=platform.instance,
    )
    assert result.success
    return dict(
        platform.query(
            "SELECT email, behaviour_score FROM scores.lead_scores WHERE as_of_date = $d",
            {"d": DAY},
        )
    )


def decayed(points: float, hours_old: float) -> float:
    return points * 0.5 ** (hours_old / 24 / 30)


def write_reference(platform, text: str, monkeypatch):
    path = platform.root / "reference.yaml"
    path.write_text(text, encoding="utf-8")
    monkeypatch.setenv(REFERENCE_FILE_ENV, str(path))
    return path


def test_unknown_event_types_and_sources_are_kept_reported_and_scored_zero(platform):
    result = land_new_tool_file(platform)

    assert result.success
    checks = checks_of(result)
    assert checks["row_accounting"].passed
    mapped = checks["values_mapped"]
    assert not mapped.passed and mapped.severity == dg.AssetCheckSeverity.WARN
    assert mapped.description.startswith(
        "6 rows with values in no list, kept as 'unmapped' (scoring 0): event type "
        "'linkedin_message' (3 rows), event type 'call' (2 rows), source 'hubspot' (1 row)"
    )
    assert platform.query(
        "SELECT event_id, source, source_raw, event_type, event_type_raw FROM clean.signals "
        "ORDER BY source_line"
    ) == [
        ("li-1", "crm", "crm", "unmapped", "LinkedIn Message"),
        ("li-2", "crm", "crm", "unmapped", "linkedin message"),
        ("li-3", "crm", "crm", "unmapped", "LinkedIn-Message"),
        ("call-1", "crm", "crm", "unmapped", "call"),
        ("call-2", "crm", "crm", "unmapped", "Call"),
        ("hs-1", "unmapped", "HubSpot", "page_view", "page_view"),
        ("pv-1", "website", "website", "page_view", "page_view"),
    ]
    assert platform.query("SELECT count(*) FROM quarantine.signal_rows") == [(0,)]
    assert_exact_accounting(platform)

    scores = score_day(platform)
    assert scores == {
        "ann@acme.io": 0.0,
        "bob@beta.io": 0.0,
        "cat@gamma.io": round(2 * decayed(1, 19), 2),
    }
    report = (platform.reports_dir / f"pipeline_report_{DAY}.md").read_text()
    assert "## Event types and sources in no list (kept as `unmapped`, scoring 0)" in report
    assert "| event type | linkedin_message | LinkedIn Message | 3 | 1 | 1 |" in report
    assert "| event type | call | Call | 2 | 1 | 1 |" in report
    assert "| source | hubspot | HubSpot | 1 | 1 | 1 |" in report


def test_mapping_them_in_the_reference_file_and_rerunning_scores_them(platform, monkeypatch):
    land_new_tool_file(platform)
    assert score_day(platform)["ann@acme.io"] == 0.0
    write_reference(
        platform,
        "signals:\n"
        "  event_type_spellings:\n"
        "    LinkedIn Message: form_submit\n"
        "    call: meeting_booked\n"
        "  sources: [hubspot]\n",
        monkeypatch,
    )

    result = platform.ingest("crm_new_tool.csv")

    assert result.success
    assert checks_of(result)["values_mapped"].passed
    assert platform.query(
        "SELECT event_id, source, event_type, event_type_raw FROM clean.signals "
        "ORDER BY source_line"
    ) == [
        ("li-1", "crm", "form_submit", "LinkedIn Message"),
        ("li-2", "crm", "form_submit", "linkedin message"),
        ("li-3", "crm", "form_submit", "LinkedIn-Message"),
        ("call-1", "crm", "meeting_booked", "call"),
        ("call-2", "crm", "meeting_booked", "Call"),
        ("hs-1", "hubspot", "page_view", "page_view"),
        ("pv-1", "website", "page_view", "page_view"),
    ]
    assert_exact_accounting(platform)
    scores = score_day(platform)
    # form_submit 10 points, meeting_booked 15, decayed by their age at the end of the day.
    assert scores == {
        "ann@acme.io": round(decayed(10, 1) + decayed(10, 25) + decayed(15, 73), 2),
        "bob@beta.io": round(decayed(10, 49) + decayed(15, 3), 2),
        "cat@gamma.io": round(2 * decayed(1, 19), 2),
    }
    report = (platform.reports_dir / f"pipeline_report_{DAY}.md").read_text()
    assert "_none: every event type and source is in the reference data_" in report


def test_quarantine_in_the_reference_file_restores_strictness(platform, monkeypatch):
    write_reference(
        platform, "signals:\n  unknown_event_types: quarantine\n  unknown_sources: quarantine\n",
        monkeypatch,
    )  # fmt: skip

    result = land_new_tool_file(platform)

    assert result.success and checks_of(result)["values_mapped"].passed
    assert platform.query(
        "SELECT source_line, reason FROM quarantine.signal_rows ORDER BY source_line"
    ) == [
        (1, "unknown event_type LinkedIn Message"),
        (2, "unknown event_type linkedin message"),
        (3, "unknown event_type LinkedIn-Message"),
        (4, "unknown event_type call"),
        (5, "unknown event_type Call"),
        (6, "unknown source HubSpot"),
    ]
    assert platform.query("SELECT event_id FROM clean.signals") == [("pv-1",)]
    assert_exact_accounting(platform)


def test_unmapped_rows_with_the_same_content_but_different_spellings_are_not_duplicates(
    platform,
):
    platform.write_signal_file(
        "no_ids.csv",
        HEADER
        + ",2026-01-31T10:00:00Z,crm,call,ann@acme.io,,\n"
        + ",2026-01-31T10:00:00Z,crm,chat_started,ann@acme.io,,\n"
        + ",2026-01-31T10:00:00Z,crm,Call,ann@acme.io,,\n",
    )
    assert platform.ingest("no_ids.csv").success
    assert platform.query("SELECT event_type_raw FROM clean.signals ORDER BY source_line") == [
        ("call",),
        ("chat_started",),
    ]
    assert platform.query("SELECT source_line, duplicate_of_line FROM clean.signal_duplicates") == [
        (3, 1)
    ]
