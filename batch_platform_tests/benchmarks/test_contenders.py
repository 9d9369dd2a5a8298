"""The benchmark's fair contenders apply exactly the platform's rules: on a small messy input
(the benchmark's generator, plus a file of edge cases), the DuckDB script, the Polars script and
the platform put the same rows in clean / duplicates / quarantine, with the same reasons, values
and pointers."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from batch_platform_tests.conftest import Platform
from benchmarks import contender_duckdb, contender_polars
from benchmarks.generate import generate

# Landed last (by name): blank rows and an empty line between data rows, spaces and tabs,
# spellings, timestamp forms, properties shapes, content keys, repeats within this file and of a
# row of the first generated file.
EDGE_CASES = [
    "event_id,occurred_at,source,event_type,email,account_domain,properties",
    " x1 ,2026-01-05,Website,page.view, Foo@Bar.COM ,,",
    "x1,2026-01-05T10:00:00Z,website,page_view,foo@bar.com,,",
    "",
    ",,,,,,",
    "x2,2026-01-05 10:00:00,PRODUCT,LOGIN,a@b.io,www.Corp.IO,null",
    "x3,2026-01-05T10:00:00.250+01:00,email,EMAIL-CLICK,c@d.org,,"
    '"""{\\""url\\"": \\""/PRICING\\""}"""',
    'x4,2026-01-05T10:00:00Z,website,page view,e@f.com,,"{""path"": ""/pricing""}"',
    ',2026-01-06T08:00:00Z,crm,meeting_booked,g@h.com,,"{""b"": 2, ""a"": [1, 2.50]}"',
    ',2026-01-06T08:00:00Z,crm,meeting_booked,g@h.com,,"{""b"": 2, ""a"": [1, 2.50]}"',
    ",2026-01-06T08:00:00Z,crm,Odd Thing,g@h.com,,",
    ",2026-01-06T08:00:00Z,crm,odd-thing,g@h.com,,",
    "x5,2026-13-01T00:00:00Z,Web,,not-an-email,,{bad",
    "\t,2026-01-07T00:00:00Z,email,email_open,i@gmail.com,,",
    " ,  ,  ,  ,  ,  ,",
    'x6,2026-01-07T00:00:00Z,email,email_open,j@k.com,,"""just text"""',
]


def _repeat_of_first_file(data: Path) -> str:
    return (data / "signals_000.csv").read_text().splitlines()[1]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("contenders")
    data = root / "data"
    generate(data, 6000, 3)
    (data / "signals_edge.csv").write_text(
        "\n".join([*EDGE_CASES, _repeat_of_first_file(data)]) + "\n"
    )
    platform = Platform(root / "platform")
    try:
        for path in sorted(data.glob("*.csv")):
            shutil.copy2(path, platform.signals_dir / path.name)
            assert platform.ingest(path.name).success
        platform_out = root / "out_platform"
        platform_out.mkdir()
        with platform.resources["duckdb"].get_connection() as con:
            for name, table in (
                ("clean", "clean.signals"),
                ("duplicates", "clean.signal_duplicates"),
                ("quarantine", "quarantine.signal_rows"),
            ):
                con.execute(f"COPY (SELECT * FROM {table}) TO '{platform_out / name}.parquet'")
    finally:
        platform.instance.dispose()
    contender_duckdb.main(str(data), str(root / "out_duckdb"))
    contender_polars.main(str(data), str(root / "out_polars"))
    return {
        "platform": platform_out,
        "duckdb": root / "out_duckdb",
        "polars": root / "out_polars",
    }


COLUMNS = {
    "clean": "source_file, source_line, event_id, occurred_at, source, source_raw, event_type, "
    "event_type_raw, email, account_domain, properties::VARCHAR AS properties",
    "duplicates": "source_file, source_line, duplicate_of_file, duplicate_of_line, scope",
    "quarantine": "source_file, source_line, reason, event_id, occurred_at, source, event_type, "
    "email, account_domain, properties",
}


def _rows(directory: Path, name: str, columns: str) -> list[tuple]:
    return duckdb.sql(f"SELECT {columns} FROM '{directory / name}.parquet' ORDER BY ALL").fetchall()


@pytest.mark.parametrize("output", list(COLUMNS))
@pytest.mark.parametrize("contender", ["duckdb", "polars"])
def test_contender_matches_the_platform(outputs, contender, output) -> None:
    expected = _rows(outputs["platform"], output, COLUMNS[output])
    assert expected, f"the platform wrote no {output} rows"
    assert _rows(outputs[contender], output, COLUMNS[output]) == expected


def test_duckdb_contender_keys_are_the_platforms(outputs) -> None:
    columns = "source_file, source_line, event_key"
    assert _rows(outputs["duckdb"], "clean", columns) == _rows(
        outputs["platform"], "clean", columns
    )


def test_the_input_exercises_every_rule(outputs) -> None:
    reasons = {r for (r,) in _rows(outputs["platform"], "quarantine", "DISTINCT reason")}
    for rule in (
        "missing occurred_at",
        "occurred_at is not an ISO-8601 timestamp",
        "occurred_at is in the future",
        "occurred_at is before 2000",
        "missing source",
        "missing event_type",
        "missing email",
        "implausible email",
        "properties is not a JSON object",
    ):
        assert any(rule in reason for reason in reasons), rule
    assert any("; " in reason for reason in reasons)
    clean = _rows(outputs["platform"], "clean", "DISTINCT source, event_type")
    assert any(s == "unmapped" for s, _ in clean)
    assert any(t == "unmapped" for _, t in clean)
    assert any(t == "pricing_page_view" for _, t in clean)
    scopes = {s for (s,) in _rows(outputs["platform"], "duplicates", "DISTINCT scope")}
    assert scopes == {"within_file", "across_files"}
