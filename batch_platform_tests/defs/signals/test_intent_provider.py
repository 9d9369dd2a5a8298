"""Third-party intent (an intent provider's monthly enrichment): exports land in their own
folder, are validated and kept like signals — every row cleaned, a duplicate or quarantined —
and feed the monthly intent report and account health."""

from __future__ import annotations

import gzip
import json
import math

import dagster as dg

from batch_platform.defs.common.resources import LandingResource
from batch_platform.defs.signals.assets.intent_signals import intent_signals
from batch_platform.defs.signals.assets.monthly_intent import monthly_intent
from batch_platform.defs.signals.assets.scores import account_health
from batch_platform.defs.signals.sensors import intent_files_sensor
from batch_platform.lib.keys import partition_key_for
from batch_platform_tests.defs.signals.test_ingest import HEADER

PROVIDER_EXPORT = (
    "Company Domain, Intent Topic ,Score,Week Start\n"
    "acme.io,Data Integration,72,2026-02-02\n"
    "https://www.Globex.io/,ETL  Tools,55.5,2026-02-09T00:00:00Z\n"
    "ACME.IO,data integration,80,2026-02-02\n"
    "acme.io,Data Integration,130,2026-02-09\n"
    ",Data Integration,40,2026-02-09\n"
    "acme.io,Data Integration,40,02/09/2026\n"
    "acme.io,Data Integration,40\n"
    "acme.io,Data Integration,40,2999-01-01\n"
)


def land_intent(platform, name: str, content: str | bytes) -> dg.ExecuteInProcessResult:
    folder = platform.landing / "intent"
    folder.mkdir(exist_ok=True)
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    key = partition_key_for(name)
    platform.instance.add_dynamic_partitions("intent_files", [key])
    return dg.materialize(
        [intent_signals],
        partition_key=key,
        resources=platform.resources,
        instance=platform.instance,
    )


def placed_lines(platform, source_file: str) -> dict[str, set[int]]:
    return {
        table: {
            line
            for (line,) in platform.query(
                f"SELECT source_line FROM {table} WHERE source_file = $f", {"f": source_file}
            )
        }
        for table in (
            "clean.intent_signals",
            "clean.intent_signal_duplicates",
            "quarantine.intent_rows",
        )
    }


def test_an_export_is_validated_and_every_row_is_accounted_for(platform):
    result = land_intent(platform, "provider_2026_02.csv", PROVIDER_EXPORT)

    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == dict.fromkeys(
        ["row_accounting", "key_unique", "has_reason", "points_at_kept_row",
         "quarantine_has_reason"], True
    )  # fmt: skip
    assert platform.query(
        "SELECT source_line, account_domain, topic, topic_raw, score, signal_date::VARCHAR "
        "FROM clean.intent_signals ORDER BY source_line"
    ) == [
        (1, "acme.io", "data integration", "Data Integration", 72.0, "2026-02-02"),
        (2, "globex.io", "etl tools", "ETL  Tools", 55.5, "2026-02-09"),
    ]
    assert platform.query(
        "SELECT source_line, duplicate_of_file, duplicate_of_line "
        "FROM clean.intent_signal_duplicates"
    ) == [(3, "provider_2026_02.csv", 1)]
    assert platform.query(
        "SELECT source_line, reason FROM quarantine.intent_rows ORDER BY source_line"
    ) == [
        (4, "score is not a number from 0 to 100"),
        (5, "missing account_domain"),
        (6, "date is not an ISO-8601 date"),
        (7, "unparseable row: 3 fields where the header has 4; missing date"),
        (8, "date is in the future"),
    ]
    assert platform.query("SELECT data_rows, status, reason FROM raw.intent_files") == [
        (8, "loaded", None)
    ]
    lines = placed_lines(platform, "provider_2026_02.csv")
    assert set.union(*lines.values()) == set(range(1, 9))
    assert sum(len(found) for found in lines.values()) == 8


def test_jsonl_exports_repeat_across_files_and_unreadable_files_are_quarantined(platform):
    assert land_intent(platform, "provider_2026_02.csv", PROVIDER_EXPORT).success
    records = [
        {"account_domain": "acme.io", "topic": "data integration", "score": 90,
         "date": "2026-02-02"},
        {"domain": "initech.io", "topic": "Reverse ETL", "score": "64", "date": "2026-02-16"},
        ["not", "an", "object"],
    ]  # fmt: skip
    text = "".join(json.dumps(r) + "\n" for r in records) + "{broken\n"

    result = land_intent(platform, "provider_b.jsonl.gz", gzip.compress(text.encode()))

    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
    lines = placed_lines(platform, "provider_b.jsonl.gz")
    assert lines == {
        "clean.intent_signals": {2},
        "clean.intent_signal_duplicates": {1},
        "quarantine.intent_rows": {3, 4},
    }
    assert platform.query(
        "SELECT duplicate_of_file, duplicate_of_line FROM clean.intent_signal_duplicates "
        "WHERE source_file = 'provider_b.jsonl.gz'"
    ) == [("provider_2026_02.csv", 1)]
    empty = land_intent(platform, "provider_c.csv", "")
    assert empty.success
    assert platform.query(
        "SELECT data_rows, status, reason FROM raw.intent_files "
        "WHERE source_file = 'provider_c.csv'"
    ) == [(0, "quarantined", "empty file")]
    wrong = land_intent(platform, "provider_d.csv", "domain,topic\nacme.io,etl\n")
    assert wrong.success
    assert platform.query(
        "SELECT reason FROM raw.intent_files WHERE source_file = 'provider_d.csv'"
    ) == [("the header has no column score, date (expected account_domain, topic, score, date)",)]


def test_intent_feeds_the_monthly_report_beside_page_views(platform):
    land_intent(
        platform,
        "provider.csv",
        "account_domain,topic,score,date\n"
        "acme.io,data integration,40,2026-01-12\n"
        "acme.io,data integration,66,2026-02-02\n"
        "acme.io,data integration,71,2026-02-16\n"
        "acme.io,reverse etl,62,2026-02-09\n"
        "globex.io,data integration,80,2026-01-19\n"
        "globex.io,data integration,35,2026-02-09\n"
        "initech.io,pricing,20,2026-02-09\n",
    )
    platform.write_signal_file(
        "views.csv",
        HEADER
        + "".join(
            f'v{n},2026-02-10T15:00:00Z,website,page_view,ann@initech.io,,"{{""path"": '
            f'""/pricing""}}"\n'
            for n in range(3)
        ),
    )
    platform.ingest("views.csv")

    result = dg.materialize(
        [monthly_intent],
        partition_key="2026-02-01",
        resources=platform.resources,
        instance=platform.instance,
    )

    assert result.success
    assert all(e.passed for e in result.get_asset_check_evaluations())
    assert platform.query(
        "SELECT account_domain, topic, page_views, intent_score, previous_intent_score, trend "
        "FROM reports.monthly_intent WHERE month_start = '2026-02-01' ORDER BY 1, 2"
    ) == [
        ("acme.io", "data integration", 0, 71.0, 40.0, "rising"),
        ("acme.io", "reverse etl", 0, 62.0, None, "new"),
        ("globex.io", "data integration", 0, 35.0, 80.0, "falling"),
        ("initech.io", "pricing", 3, 20.0, None, "new"),
    ]
    report = (platform.reports_dir / "intent_report_2026-02.md").read_text()
    assert "| acme.io | data integration | 0 | 0 | 0 | 71 | 40 | rising |" in report


def test_intent_adds_to_the_engagement_of_account_health(platform):
    platform.write_signal_file(
        "usage.csv",
        HEADER
        + "e1,2026-01-20T15:00:00Z,email,email_open,ann@acme.io,,\n"
        + "e2,2026-01-20T15:00:00Z,email,email_open,bo@globex.io,,\n",
    )
    platform.ingest("usage.csv")
    land_intent(
        platform,
        "provider.csv",
        "account_domain,topic,score,date\n"
        "acme.io,data integration,50,2026-01-05\n"
        "acme.io,reverse etl,90,2026-01-19\n"
        "acme.io,data integration,99,2025-12-01\n"
        "initech.io,data integration,99,2026-01-19\n",
    )

    result = dg.materialize(
        [account_health],
        partition_key="2026-01-19",
        resources=platform.resources,
        instance=platform.instance,
    )

    assert result.success
    rows = platform.query(
        "SELECT account_domain, engagement_score, intent_score FROM scores.account_health "
        "WHERE week_start = '2026-01-19' ORDER BY 1"
    )
    base = 25 * math.log(2) / math.log(51)
    assert rows == [
        ("acme.io", round(base + 9, 2), 90.0),
        ("globex.io", round(base, 2), None),
    ]


def test_the_sensor_gives_each_export_its_partition_and_run(tmp_path):
    folder = tmp_path / "landing" / "intent"
    folder.mkdir(parents=True)
    (folder / "provider_2026_02.csv").write_text(PROVIDER_EXPORT, encoding="utf-8")
    (folder / "provider_2026_03.csv.part").write_text(PROVIDER_EXPORT, encoding="utf-8")
    landing = LandingResource(landing_dir=str(tmp_path / "landing"), settle_seconds=0)
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources={"landing": landing})
        result = intent_files_sensor(context)
        (request,) = result.run_requests
        key = partition_key_for("provider_2026_02.csv")
        assert request.partition_key == key
        assert result.dynamic_partitions_requests[0].partition_keys == [key]
        again = intent_files_sensor(
            dg.build_sensor_context(
                instance=instance, resources={"landing": landing}, cursor=result.cursor
            )
        )
        assert isinstance(again, dg.SkipReason)
