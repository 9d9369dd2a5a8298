"""`properties` as a JSON object or as a string holding one (as many exports write it), in
every file format; anything else is quarantined with its reason, and every row is accounted."""

import json

import duckdb

from batch_platform_tests.defs.signals.test_ingest import HEADER, assert_exact_accounting

PAGES = ["/pricing", "/docs/setup", "/blog/batch-etl", "/"]


def csv_cell(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def product_export_rows(rows: int) -> list[dict]:
    """An export whose properties field is a JSON-encoded string holding an object."""
    return [
        {
            "event_id": f"pe-{n}",
            "occurred_at": f"2026-02-{1 + n % 28:02d}T{n % 24:02d}:15:00Z",
            "source": "website",
            "event_type": "page_view",
            "email": f"user{n % 37}@customer{n % 11}.io",
            "properties": json.dumps({"path": PAGES[n % len(PAGES)], "seq": n}),
        }
        for n in range(rows)
    ]


def test_jsonl_properties_as_json_encoded_strings_are_all_cleaned(platform):
    rows = product_export_rows(400)
    not_an_object = rows[0] | {"event_id": "bad-list", "properties": json.dumps([1, 2])}
    not_json = rows[0] | {"event_id": "bad-text", "properties": "path=/pricing"}
    lines = [json.dumps(r) for r in [*rows[:200], not_an_object, *rows[200:], not_json]]
    platform.write_signal_file("product_export.jsonl", "\n".join(lines) + "\n")

    result = platform.ingest("product_export.jsonl")

    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["row_accounting"] and all(checks.values()), checks
    assert platform.query("SELECT count(*) FROM clean.signals")[0][0] == 400
    assert platform.query(
        "SELECT source_line, reason FROM quarantine.signal_rows ORDER BY source_line"
    ) == [
        (201, "properties is not a JSON object"),
        (402, "properties is not a JSON object"),
    ]
    first = platform.query(
        "SELECT event_type, properties ->> '$.path', (properties ->> '$.seq')::INT "
        "FROM clean.signals WHERE event_id = 'pe-0'"
    )
    assert first == [("pricing_page_view", "/pricing", 0)]
    assert platform.query(
        "SELECT count(*) FROM clean.signals WHERE event_type = 'pricing_page_view'"
    ) == [(100,)]
    assert_exact_accounting(platform)


def test_properties_read_the_same_from_objects_and_strings_in_every_format(platform, tmp_path):
    as_object = {"path": "/pricing", "plan": "team"}
    encoded = json.dumps(as_object)
    jsonl = [
        {"event_id": "j-object", "properties": as_object},
        {"event_id": "j-string", "properties": encoded},
        {"event_id": "j-null", "properties": None},
    ]
    common = {"occurred_at": "2026-02-01T10:00:00Z", "source": "website",
              "event_type": "page_view", "email": "ann@acme.io"}  # fmt: skip
    platform.write_signal_file("mixed.jsonl", "".join(json.dumps(common | r) + "\n" for r in jsonl))
    platform.write_signal_file(
        "mixed.csv",
        HEADER
        + f"c-object,2026-02-01T10:00:00Z,website,page_view,ann@acme.io,,{csv_cell(encoded)}\n"
        + "c-string,2026-02-01T10:00:00Z,website,page_view,ann@acme.io,,"
        + f"{csv_cell(json.dumps(encoded))}\n",
    )
    parquet = platform.signals_dir / "mixed.parquet"
    duckdb.sql(
        "SELECT * FROM (VALUES ('p-object', $object), ('p-string', $string)) "
        "AS t(event_id, properties)"
        ", (SELECT '2026-02-01T10:00:00Z' AS occurred_at, 'website' AS source, "
        "'page_view' AS event_type, 'ann@acme.io' AS email)",
        params={"object": encoded, "string": json.dumps(encoded)},
    ).write_parquet(str(parquet))

    for name in ["mixed.jsonl", "mixed.csv", "mixed.parquet"]:
        assert platform.ingest(name).success, name

    rows = dict(platform.query("SELECT event_id, properties::VARCHAR FROM clean.signals"))
    minified = json.dumps(as_object, separators=(",", ":"))
    assert rows == {
        "j-object": minified,
        "j-string": minified,
        "j-null": None,
        "c-object": minified,
        "c-string": minified,
        "p-object": minified,
        "p-string": minified,
    }
    assert platform.query("SELECT count(*) FROM quarantine.signal_rows") == [(0,)]
    assert_exact_accounting(platform)
