"""Unit tests for ``defs/signals/logic/signal_files``: messy landed files into ``signal_stage``.

Every staged file is checked for the invariants the ingest relies on: one staged row per data row
written, ``source_line`` exactly 1..N in file order, and ``parse_error`` set only on the rows that
are malformed.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from batch_platform.defs.signals.logic.signal_file_format import (
    CONTRACT_COLUMNS,
    FileRejected,
    file_format,
    map_columns,
    normalise_column_name,
)
from batch_platform.defs.signals.logic.signal_files import StagedFile, stage_signal_file
from batch_platform.defs.signals.logic.signal_stage import STAGE_COLUMNS
from batch_platform.lib import warehouse

HEADER = "event_id,occurred_at,source,event_type,email,account_domain,properties"
REQUIRED_HEADER = "occurred_at,source,event_type,email"


@pytest.fixture
def con():
    connection = warehouse.connect(":memory:")
    yield connection
    connection.close()


# ---------------------------------------------------------------- helpers
def csv_bytes(header: str, *rows: str, newline: str = "\n", bom: bool = False) -> bytes:
    text = newline.join([header, *rows]) + newline
    return (("\ufeff" if bom else "") + text).encode("utf-8")


def event(n: int, **values: str) -> dict[str, str | None]:
    """The staged contract values of the n-th well-formed test row written by ``line``."""
    row: dict[str, str | None] = {
        "event_id": f"e{n}",
        "occurred_at": f"2024-01-0{n}T10:00:00Z",
        "source": "website",
        "event_type": "page_view",
        "email": f"user{n}@acme.com",
        "account_domain": "acme.com",
        "properties": None,
    }
    row.update(values)
    return row


def line(n: int, *extra: str) -> str:
    """A well-formed CSV row under ``HEADER`` (empty properties), plus any extra fields."""
    values = event(n)
    fields = [values[c] or "" for c in CONTRACT_COLUMNS]
    return ",".join([*fields, *extra])


def jsonl_bytes(*lines: str, newline: str = "\n") -> bytes:
    return (newline.join(lines) + newline).encode("utf-8")


def staged_rows(con: duckdb.DuckDBPyConnection) -> list[dict]:
    cursor = con.execute("SELECT * FROM signal_stage ORDER BY source_line")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def stage(con, path: Path, data_rows: int, *, exact: bool = False) -> tuple[StagedFile, list[dict]]:
    """Stage ``path`` and check the invariants every staged file must hold."""
    result = stage_signal_file(con, path, exact=exact)
    rows = staged_rows(con)
    assert result.data_rows == data_rows
    assert len(rows) == data_rows
    assert con.execute("SELECT count(*) FROM signal_stage").fetchone()[0] == data_rows
    assert [r["source_line"] for r in rows] == list(range(1, data_rows + 1))
    return result, rows


@dataclass(frozen=True)
class J:
    """Expect a JSON text equal (after parsing) to ``value``."""

    value: object


def assert_rows(rows: list[dict], expected: list[dict]) -> None:
    """Compare staged rows with expectations.

    ``parse_error`` must be NULL unless expected; an expected string must appear in it
    (case-insensitively). ``extra_columns`` is compared as parsed JSON when given.
    """
    assert len(rows) == len(expected)
    for number, (actual, wanted) in enumerate(zip(rows, expected, strict=True), start=1):
        wanted = dict(wanted)
        error = wanted.pop("parse_error", None)
        if error is None:
            assert actual["parse_error"] is None, (number, actual)
        else:
            assert actual["parse_error"] is not None, (number, actual)
            assert error.lower() in actual["parse_error"].lower(), (number, actual)
        if "extra_columns" in wanted:
            extra = wanted.pop("extra_columns")
            got = None if actual["extra_columns"] is None else json.loads(actual["extra_columns"])
            assert got == extra, (number, actual)
        for column, value in wanted.items():
            if isinstance(value, J):
                assert actual[column] is not None, (number, column, actual)
                assert json.loads(actual[column]) == value.value, (number, column, actual)
            else:
                assert actual[column] == value, (number, column, actual)


def write(path: Path, content: bytes | Callable[[Path], None]) -> Path:
    if callable(content):
        content(path)
    else:
        path.write_bytes(content)
    return path


def parquet(table: pa.Table, **options) -> Callable[[Path], None]:
    return lambda path: pq.write_table(table, path, **options)


# ---------------------------------------------------------------- staged files
@dataclass(frozen=True)
class Case:
    id: str
    name: str
    content: bytes | Callable[[Path], None]
    expected: list[dict]
    fallback: bool = False
    read_again: int = 0
    kind: str = ""

    @property
    def file_kind(self) -> str:
        return self.kind or file_format(self.name)[0]


NESTED = '"{""note"": ""line one\nline two""}"'
NESTED_CRLF = '"multi\r\nline"'

STAGED_CASES = [
    Case("plain", "events.csv", csv_bytes(HEADER, line(1), line(2)), [event(1), event(2)]),
    Case(
        "utf8_bom",
        "events.csv",
        csv_bytes(HEADER, line(1), line(2), bom=True),
        [event(1), event(2)],
    ),
    Case(
        "utf8_bom_and_a_rejected_row",
        "events.csv",
        csv_bytes(HEADER, line(1), line(2, "surplus"), bom=True),
        [event(1), event(2, parse_error="8 fields where the header has 7")],
        read_again=1,
    ),
    Case(
        "quoted_newlines_inside_a_field",
        "events.csv",
        csv_bytes(
            HEADER,
            line(1)[:-1] + "," + NESTED,
            line(2)[:-1] + "," + NESTED_CRLF,
            line(3),
        ),
        [
            event(1, properties='{"note": "line one\nline two"}'),
            event(2, properties="multi\r\nline"),
            event(3),
        ],
    ),
    Case(
        "quoted_newlines_on_the_exact_fallback",
        "events.csv",
        csv_bytes(HEADER, line(1)[:-1] + "," + NESTED, line(2, "surplus"), line(3)),
        [
            event(1, properties='{"note": "line one\nline two"}'),
            event(2, parse_error="8 fields"),
            event(3),
        ],
        fallback=True,
    ),
    Case(
        "crlf_line_endings",
        "events.csv",
        csv_bytes(HEADER, line(1)[:-1] + ",p1", line(2)[:-1] + ",p2", newline="\r\n"),
        [event(1, properties="p1"), event(2, properties="p2")],
    ),
    Case(
        "crlf_line_endings_and_a_rejected_row",
        "events.csv",
        csv_bytes(HEADER, line(1)[:-1] + ",p1", line(2, "surplus"), newline="\r\n"),
        [event(1, properties="p1"), event(2, parse_error="8 fields")],
        read_again=1,
    ),
    Case(
        "header_names_in_other_case_and_with_spaces",
        "events.csv",
        csv_bytes(
            " Event ID,Occurred At ,SOURCE,Event-Type,EMAIL,Account  Domain,\tProperties",
            line(1),
        ),
        [event(1, extra_columns=None)],
    ),
    Case(
        "columns_in_another_order",
        "events.csv",
        csv_bytes(
            "email,properties,source,event_id,event_type,occurred_at,account_domain",
            'user1@acme.com,"{""a"": 1}",website,e1,page_view,2024-01-01T10:00:00Z,acme.com',
        ),
        [event(1, properties='{"a": 1}', extra_columns=None)],
    ),
    Case(
        "extra_unknown_columns_kept_as_json",
        "events.csv",
        csv_bytes(
            HEADER + ",user_agent,Weird Col",
            line(1, "Mozilla/5.0", "w1"),
            line(2, "curl/8", "w2"),
        ),
        [
            event(1, extra_columns={"user_agent": "Mozilla/5.0", "Weird Col": "w1"}),
            event(2, extra_columns={"user_agent": "curl/8", "Weird Col": "w2"}),
        ],
    ),
    Case(
        "missing_optional_columns",
        "events.csv",
        csv_bytes(
            REQUIRED_HEADER,
            "2024-01-01T10:00:00Z,website,page_view,user1@acme.com",
            "2024-01-02T10:00:00Z,website,page_view,user2@acme.com",
        ),
        [
            event(1, event_id=None, account_domain=None, extra_columns=None),
            event(2, event_id=None, account_domain=None, extra_columns=None),
        ],
    ),
    Case(
        "rows_with_fewer_fields_are_padded_with_null",
        "events.csv",
        csv_bytes(HEADER, "e1,2024-01-01T10:00:00Z,website", line(2), "e3"),
        [
            event(1, event_type=None, email=None, account_domain=None),
            event(2),
            {
                "event_id": "e3",
                "occurred_at": None,
                "email": None,
                "properties": None,
            },
        ],
    ),
    Case(
        "rows_with_too_many_fields_are_kept_with_parse_error",
        "events.csv",
        csv_bytes(HEADER, line(1), line(2, "X", "Y"), line(3)),
        [
            event(1, extra_columns=None),
            event(
                2,
                parse_error="9 fields where the header has 7",
                extra_columns={"_unexpected_fields": ["X", "Y"]},
            ),
            event(3, extra_columns=None),
        ],
        read_again=1,
    ),
    Case(
        "short_and_long_rows_together_and_a_rejected_row",
        "events.csv",
        csv_bytes(HEADER, "e1,2024-01-01T10:00:00Z", line(2, "X"), line(3)),
        [
            {"event_id": "e1", "occurred_at": "2024-01-01T10:00:00Z", "source": None},
            event(2, parse_error="8 fields where the header has 7"),
            event(3),
        ],
        read_again=1,
    ),
    Case(
        "invalid_utf8_bytes_in_a_row",
        "events.csv",
        csv_bytes(HEADER, line(1))
        + line(2).replace("user2", "us\xffer2").encode("latin-1")  # a lone 0xFF byte
        + f"\n{line(3)}\n".encode(),
        [event(1), event(2, email="us\ufffder2@acme.com", parse_error="UTF-8"), event(3)],
        read_again=1,
    ),
    Case(
        "blank_lines_are_not_data_rows",
        "events.csv",
        csv_bytes(HEADER, "", line(1), "", "", line(2), line(3), "", ""),
        [event(1), event(2), event(3)],
    ),
    Case(
        # Blank: every field empty or spaces. A row with text only in its last field is data.
        "rows_of_spaces_are_blank_rows_with_one_field_are_data",
        "events.csv",
        csv_bytes(HEADER, line(1), "  ,  , ,,,,   ", ",,,,,,{}", " ,,,,,  ,", line(2)),
        [event(1), dict.fromkeys(event(0), None) | {"properties": "{}"}, event(2)],
    ),
    Case(
        "blank_lines_and_a_rejected_row",
        "events.csv",
        csv_bytes(HEADER, "", line(1), "", line(2, "surplus"), "", line(3), "", newline="\r\n"),
        [event(1), event(2, parse_error="8 fields"), event(3)],
        read_again=1,
    ),
    Case(
        "gzip_csv",
        "events.csv.gz",
        gzip.compress(csv_bytes(HEADER, line(1), line(2), bom=True), mtime=0),
        [event(1), event(2)],
    ),
    Case(
        "gzip_csv_and_a_rejected_row",
        "events.CSV.GZ",
        gzip.compress(csv_bytes(HEADER, line(1), line(2, "surplus"), line(3)), mtime=0),
        [event(1), event(2, parse_error="8 fields"), event(3)],
        read_again=1,
    ),
    Case(
        "unicode_values_are_preserved",
        "events.csv",
        csv_bytes(HEADER, line(1).replace("user1@acme.com", "zoë@exämple.com") + "日本語 🚀"),
        [event(1, email="zoë@exämple.com", properties="日本語 🚀")],
    ),
    Case(
        "a_repeated_contract_header_goes_to_extra_columns",
        "events.csv",
        csv_bytes(
            REQUIRED_HEADER + ",EMAIL", "2024-01-01T10:00:00Z,website,page_view,a@x.com,b@x.com"
        ),
        [{"email": "a@x.com", "extra_columns": {"EMAIL": "b@x.com"}}],
    ),
    Case(
        "upper_case_extension",
        "EVENTS.CSV",
        csv_bytes(HEADER, line(1)),
        [event(1)],
    ),
    # ------------------------------------------------------------ JSONL
    Case(
        "jsonl_with_keys_in_other_case_and_bad_lines",
        "events.jsonl",
        jsonl_bytes(
            '{"Event_ID": "e1", "Occurred At": "2024-01-01T10:00:00Z", "SOURCE": "website", '
            '"event-type": "page_view", "EMAIL": "user1@acme.com", "Account_Domain": "acme.com", '
            '"Properties": {"path": "/pricing", "n": 1}, "utm": "li"}',
            "[1, 2, 3]",
            "",
            '"just a string"',
            "{broken json",
            "   ",
            '{"event_id": "e5", "occurred_at": "2024-01-05T10:00:00Z", "source": "website", '
            '"event_type": "page_view", "email": "user5@acme.com", "account_domain": "acme.com"}',
        ),
        [
            event(1, properties=J({"path": "/pricing", "n": 1}), extra_columns={"utm": "li"}),
            {"event_id": None, "email": None, "parse_error": "not an object"},
            {"event_id": None, "email": None, "parse_error": "not an object"},
            {"event_id": None, "email": None, "parse_error": "not valid JSON"},
            event(5),
        ],
    ),
    Case(
        "gzip_jsonl",
        "events.jsonl.gz",
        gzip.compress(
            jsonl_bytes('{"email": "user1@acme.com", "event_id": "e1"}', "", '{"email": "b@x"}'),
            mtime=0,
        ),
        [{"email": "user1@acme.com", "event_id": "e1"}, {"email": "b@x", "event_id": None}],
    ),
    Case(
        "ndjson",
        "events.ndjson",
        jsonl_bytes('{"email": "a@x"}', '{"email": "b@x"}'),
        [{"email": "a@x"}, {"email": "b@x"}],
    ),
    Case(
        "gzip_ndjson",
        "events.ndjson.gz",
        gzip.compress(jsonl_bytes('{"email": "a@x"}', '{"email": "b@x"}'), mtime=0),
        [{"email": "a@x"}, {"email": "b@x"}],
    ),
    Case(
        "jsonl_with_bom_and_crlf",
        "events.jsonl",
        b"\xef\xbb\xbf" + jsonl_bytes('{"email": "a@x"}', "", '{"email": "b@x"}', newline="\r\n"),
        [{"email": "a@x"}, {"email": "b@x"}],
    ),
    Case(
        "jsonl_with_invalid_utf8_bytes",
        "events.jsonl",
        b'{"email": "a@x"}\n\n{"email": "b\xff@x"}\n{not json\n{"email": "d@x"}\n',
        [
            {"email": "a@x"},
            {"email": "b\ufffd@x", "parse_error": "UTF-8"},
            {"email": None, "parse_error": "not valid JSON"},
            {"email": "d@x"},
        ],
        read_again=1,
    ),
    Case(
        "jsonl_extra_keys_with_odd_characters",
        "events.jsonl",
        jsonl_bytes('{"email": "a@x", "a.b": 1, "q\\"k": "v", "sp ace": [1, 2], "$x": null}'),
        [
            {
                "email": "a@x",
                "extra_columns": {"a.b": 1, 'q"k': "v", "sp ace": [1, 2], "$x": None},
            }
        ],
    ),
    # ------------------------------------------------------------ Parquet
    Case(
        "parquet_with_struct_properties_and_other_case",
        "events.parquet",
        parquet(
            pa.table(
                {
                    " Event ID": ["e1", "e2", "e3"],
                    "EMAIL": ["user1@acme.com", "user2@acme.com", "user3@acme.com"],
                    "occurred_at": ["2024-01-01T10:00:00Z"] * 3,
                    "Source": ["website"] * 3,
                    "event_type": ["page_view"] * 3,
                    "properties": pa.array(
                        [{"path": "/a", "n": 1}, {"path": "/b", "n": 2}, None],
                        pa.struct([("path", pa.string()), ("n", pa.int64())]),
                    ),
                    "score": [1, 2, 3],
                }
            ),
            row_group_size=2,
        ),
        [
            {
                "event_id": "e1",
                "email": "user1@acme.com",
                "source": "website",
                "properties": J({"path": "/a", "n": 1}),
                "extra_columns": {"score": "1"},
            },
            {
                "event_id": "e2",
                "properties": J({"path": "/b", "n": 2}),
                "extra_columns": {"score": "2"},
            },
            {"event_id": "e3", "properties": None, "extra_columns": {"score": "3"}},
        ],
    ),
    Case(
        "parquet_with_typed_columns",
        "events.PARQUET",
        parquet(
            pa.table(
                {
                    "occurred_at": pa.array([0], pa.timestamp("us", tz="UTC")),
                    "source": ["crm"],
                    "event_type": ["meeting_booked"],
                    "email": ["a@x"],
                    "event_id": pa.array([42], pa.int64()),
                    'odd "name"': pa.array([["x", "y"]], pa.list_(pa.string())),
                }
            )
        ),
        [
            {
                "occurred_at": "1970-01-01 00:00:00+00",
                "event_id": "42",
                "extra_columns": {'odd "name"': '["x","y"]'},
            }
        ],
    ),
]


@pytest.mark.parametrize("case", STAGED_CASES, ids=[c.id for c in STAGED_CASES])
def test_messy_files_are_staged_row_for_row(con, tmp_path, case):
    path = write(tmp_path / case.name, case.content)
    result, rows = stage(con, path, data_rows=len(case.expected))
    assert result.file_format == case.file_kind
    assert result.used_fallback is case.fallback
    assert result.rows_read_again == case.read_again
    assert_rows(rows, case.expected)


TEXT_CASES = [c for c in STAGED_CASES if c.file_kind != "parquet"]


@pytest.mark.parametrize("case", TEXT_CASES, ids=[c.id for c in TEXT_CASES])
def test_the_exact_reader_stages_every_file_alike(con, tmp_path, case):
    path = write(tmp_path / case.name, case.content)
    result, rows = stage(con, path, data_rows=len(case.expected), exact=True)
    assert result.used_fallback
    assert_rows(rows, case.expected)


def test_parquet_source_line_follows_file_row_number_across_row_groups(con, tmp_path):
    n = 5000
    path = tmp_path / "many.parquet"
    pq.write_table(
        pa.table(
            {
                "event_id": [f"e{i}" for i in range(1, n + 1)],
                "occurred_at": ["2024-01-01"] * n,
                "source": ["email"] * n,
                "event_type": ["email_open"] * n,
                "email": ["a@x"] * n,
            }
        ),
        path,
        row_group_size=700,
    )
    _, rows = stage(con, path, data_rows=n)
    assert all(r["event_id"] == f"e{r['source_line']}" for r in rows)


def test_large_csv_keeps_file_order_on_the_fast_path(con, tmp_path):
    n = 120_000
    path = tmp_path / "large.csv"
    body = "".join(f"e{i},2024-01-01,website,page_view,a@x,,\n" for i in range(1, n + 1))
    path.write_text(HEADER + "\n" + body)
    result, rows = stage(con, path, data_rows=n)
    assert not result.used_fallback
    assert all(r["event_id"] == f"e{r['source_line']}" for r in rows)


@pytest.mark.parametrize("exact", [False, True], ids=["fast", "exact"])
def test_large_csv_keeps_file_order_with_a_bad_row_at_the_end(con, tmp_path, exact):
    """More rows than one insert batch of the exact reader, with the bad row at the very end."""
    n = 60_001
    path = tmp_path / "large.csv"
    body = "".join(f"e{i},2024-01-01,website,page_view,a@x,,\n" for i in range(1, n))
    path.write_text(HEADER + "\n" + body + f"e{n},2024-01-01,website,page_view,a@x,,,surplus\n")
    result, rows = stage(con, path, data_rows=n, exact=exact)
    assert result.used_fallback is exact
    assert all(r["event_id"] == f"e{r['source_line']}" for r in rows)
    assert [r["source_line"] for r in rows if r["parse_error"]] == [n]


def _messy_large_csv(n: int, gzipped: bool) -> tuple[bytes, dict[int, str]]:
    """n data rows over several DuckDB buffers, with bad rows, blank lines and blank-field rows
    scattered through it; returns the bytes and the expected problem per data row number."""
    out = [HEADER.encode()]
    problems: dict[int, str] = {}
    number = 0
    for i in range(1, n + 1):
        if i % 9_973 == 0:
            out.append(b"")  # an empty line: not a data row
        if i % 12_347 == 0:
            out.append(b",,,,,,")  # all fields blank: not a data row
        number += 1
        row = f"e{number},2024-01-01,website,page_view,a{number}@x,,".encode()
        if i % 15_001 == 0:
            row = row.replace(b"a", b"\xff", 1)
            problems[number] = "invalid UTF-8 bytes"
        elif i % 20_011 == 0:
            row += b",surplus"
            problems[number] = "8 fields where the header has 7"
        out.append(row)
    data = b"\n".join(out) + b"\n"
    return (gzip.compress(data, mtime=0) if gzipped else data), problems


@pytest.mark.parametrize("gzipped", [False, True], ids=["csv", "csv.gz"])
def test_bad_rows_among_many_cost_only_those_rows(con, tmp_path, gzipped):
    """DuckDB keeps reading past each bad row; those rows alone are read again and numbered in
    their place among blank lines and blank rows, so the file is never read row by row."""
    n = 200_000
    data, problems = _messy_large_csv(n, gzipped)
    path = write(tmp_path / ("big.csv.gz" if gzipped else "big.csv"), data)
    result, rows = stage(con, path, data_rows=n)
    assert not result.used_fallback
    assert result.rows_read_again == len(problems)
    assert all(r["event_id"] == f"e{r['source_line']}" for r in rows)
    assert {r["source_line"]: r["parse_error"] for r in rows if r["parse_error"]} == problems


def test_bad_jsonl_lines_among_many_cost_only_those_lines(con, tmp_path):
    n = 100_000
    lines = []
    bad = set()
    for i in range(1, n + 1):
        if i % 7_919 == 0:
            lines.append(b"   ")
        text = f'{{"event_id": "e{i}", "email": "a{i}@x"}}'.encode()
        if i % 11_113 == 0:
            text = text.replace(b"a", b"\xfe", 1)
            bad.add(i)
        lines.append(text)
    path = write(tmp_path / "big.jsonl", b"\n".join(lines) + b"\n")
    result, rows = stage(con, path, data_rows=n)
    assert not result.used_fallback
    assert result.rows_read_again == len(bad)
    assert all(r["event_id"] == f"e{r['source_line']}" for r in rows)
    assert {r["source_line"] for r in rows if r["parse_error"]} == bad


@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_a_line_over_duckdbs_limit_is_read_again_whole(con, tmp_path, kind):
    long_value = "v" * 3_000_000
    if kind == "csv":
        content = csv_bytes(HEADER, line(1), line(2)[:-1] + "," + long_value, line(3))
    else:
        content = jsonl_bytes(
            '{"event_id": "e1"}',
            f'{{"event_id": "e2", "properties": "{long_value}"}}',
            '{"event_id": "e3"}',
        )
    result, rows = stage(con, write(tmp_path / f"e.{kind}", content), data_rows=3)
    assert (result.used_fallback, result.rows_read_again) == (False, 1)
    assert [r["event_id"] for r in rows] == ["e1", "e2", "e3"]
    assert not any(r["parse_error"] for r in rows)
    assert len(rows[1]["properties"]) >= len(long_value)


def test_stage_table_has_the_documented_columns(con, tmp_path):
    stage(con, write(tmp_path / "e.csv", csv_bytes(HEADER, line(1))), data_rows=1)
    described = con.execute("DESCRIBE signal_stage").fetchall()
    assert [r[0] for r in described] == list(STAGE_COLUMNS)
    types = {r[0]: r[1] for r in described}
    assert types.pop("source_line") == "BIGINT"
    assert set(types.values()) == {"VARCHAR"}


def test_staging_again_replaces_the_previous_stage(con, tmp_path):
    stage(con, write(tmp_path / "a.csv", csv_bytes(HEADER, line(1), line(2), line(3))), 3)
    _, rows = stage(con, write(tmp_path / "b.jsonl", jsonl_bytes('{"email": "z@x"}')), 1)
    assert rows[0]["email"] == "z@x"


def test_a_good_file_after_a_fallback_file_uses_the_fast_path(con, tmp_path):
    bad = write(tmp_path / "bad.csv", csv_bytes(HEADER, line(1)[:-1] + ',"a\nb"', line(2, "x")))
    assert stage(con, bad, 2)[0].used_fallback
    good = write(tmp_path / "good.csv", csv_bytes(HEADER, line(1), line(2)))
    result, rows = stage(con, good, 2)
    assert not result.used_fallback
    assert_rows(rows, [event(1), event(2)])


# ---------------------------------------------------------------- rejected files
def _gzip_truncated(data: bytes) -> bytes:
    compressed = gzip.compress(data, mtime=0)
    return compressed[: len(compressed) // 2]


REJECTED_CASES = [
    ("empty_csv", "e.csv", b"", ["empty file"]),
    ("whitespace_only_csv", "e.csv", b"  \n\r\n\t\n", ["empty file"]),
    ("empty_jsonl", "e.jsonl", b"", ["empty file"]),
    ("blank_lines_only_jsonl", "e.jsonl", b"\n\n  \n", ["empty file"]),
    ("empty_gzip", "e.csv.gz", gzip.compress(b"", mtime=0), ["empty file"]),
    ("header_only", "e.csv", csv_bytes(HEADER), ["no data rows"]),
    ("header_without_newline", "e.csv", HEADER.encode(), ["no data rows"]),
    (
        "header_and_blank_lines",
        "e.csv",
        csv_bytes(HEADER, "", "", newline="\r\n"),
        ["no data rows"],
    ),
    ("header_only_gzip", "e.csv.gz", gzip.compress(csv_bytes(HEADER), mtime=0), ["no data rows"]),
    ("binary_csv", "e.csv", b"PK\x03\x04\x00\x00" + bytes(range(256)), ["binary", "NUL"]),
    ("binary_jsonl", "e.jsonl", b'{"email": "a@x"}\n\x00\x01\x02\n', ["binary", "NUL"]),
    ("binary_in_gzip", "e.csv.gz", gzip.compress(b"\x00" * 100, mtime=0), ["binary"]),
    (
        "utf16_with_bom",
        "e.csv",
        csv_bytes(HEADER, line(1)).decode().encode("utf-16"),
        ["UTF-16LE text where UTF-8 was expected", "CSV UTF-8"],
    ),
    (
        "utf16be_without_bom",
        "e.csv",
        csv_bytes(HEADER, line(1)).decode().encode("utf-16-be"),
        ["UTF-16BE text"],
    ),
    (
        "utf16_jsonl_in_gzip",
        "e.jsonl.gz",
        gzip.compress('{"email": "a@x"}\n'.encode("utf-16-le"), mtime=0),
        ["UTF-16LE text"],
    ),
    (
        "utf32_with_bom",
        "e.csv",
        csv_bytes(HEADER, line(1)).decode().encode("utf-32"),
        ["UTF-32LE text"],
    ),
    (
        "lone_carriage_returns",
        "e.csv",
        csv_bytes(HEADER, line(1), line(2), newline="\r"),
        ["lone carriage return"],
    ),
    (
        "semicolon_delimiter",
        "e.csv",
        b"event_id;occurred_at;source;event_type;email\ne1;2024-01-01;website;page_view;a@x\n",
        ["missing required columns", "email", "delimited by something other than a comma"],
    ),
    (
        "tab_delimiter",
        "e.csv",
        b"occurred_at\tsource\tevent_type\temail\n2024-01-01\twebsite\tpage_view\ta@x\n",
        ["missing required columns", "delimited by something other than a comma"],
    ),
    (
        "missing_required_column",
        "e.csv",
        csv_bytes("event_id,occurred_at,source,event_type", "e1,2024-01-01,website,page_view"),
        ["missing required columns email;", "'event_type'"],
    ),
    ("truncated_gzip_csv", "e.csv.gz", _gzip_truncated(csv_bytes(HEADER, line(1))), ["decompress"]),
    (
        "truncated_gzip_jsonl",
        "e.jsonl.gz",
        _gzip_truncated(jsonl_bytes(*['{"email": "a@x"}'] * 50)),
        ["decompress"],
    ),
    ("not_gzip_at_all", "e.csv.gz", csv_bytes(HEADER, line(1)), ["decompress"]),
    ("not_parquet", "e.parquet", b"this is not parquet", ["not a readable Parquet file"]),
    (
        "parquet_missing_required_columns",
        "e.parquet",
        parquet(pa.table({"email": ["a@x"], "when": ["2024-01-01"]})),
        ["missing required columns occurred_at, source, event_type;"],
    ),
    (
        "parquet_without_rows",
        "e.parquet",
        parquet(pa.table({c: pa.array([], pa.string()) for c in CONTRACT_COLUMNS})),
        ["no data rows"],
    ),
]


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [c[1:] for c in REJECTED_CASES],
    ids=[c[0] for c in REJECTED_CASES],
)
def test_unreadable_files_are_rejected_with_a_clear_reason(con, tmp_path, name, content, words):
    path = write(tmp_path / name, content)
    with pytest.raises(FileRejected) as raised:
        stage_signal_file(con, path)
    reason = raised.value.reason
    assert reason == str(raised.value)
    for word in words:
        assert word.lower() in reason.lower(), reason


@pytest.mark.parametrize(
    "name", ["events.txt", "events.xlsx", "events.json", "events.csv.zip", "events", "csv"]
)
def test_unsupported_extension_is_rejected(con, tmp_path, name):
    path = write(tmp_path / name, csv_bytes(HEADER, line(1)))
    with pytest.raises(FileRejected) as raised:
        stage_signal_file(con, path)
    reason = raised.value.reason
    assert "unsupported file type" in reason
    assert repr(name) in reason
    assert ".csv" in reason and ".jsonl" in reason and ".parquet" in reason


# ---------------------------------------------------------------- helpers of the module
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.csv", ("csv", False)),
        ("A.CSV", ("csv", False)),
        ("a.csv.gz", ("csv", True)),
        ("a.jsonl", ("jsonl", False)),
        ("a.ndjson", ("jsonl", False)),
        ("a.jsonl.gz", ("jsonl", True)),
        ("a.NDJSON.GZ", ("jsonl", True)),
        ("a.parquet", ("parquet", False)),
        ("weird.csv.name.jsonl", ("jsonl", False)),
        ("a.gz", None),
        ("a.parquet.gz", None),
        ("a.csv.bak", None),
        ("", None),
    ],
)
def test_file_format(name, expected):
    assert file_format(name) == expected


@pytest.mark.parametrize(
    ("raw", "normalised"),
    [
        ("event_id", "event_id"),
        (" Event ID", "event_id"),
        ("EMAIL", "email"),
        ("\ufeffevent_id", "event_id"),
        ("Occurred-At", "occurred_at"),
        ("account \t domain ", "account_domain"),
        ("user_agent", "user_agent"),
    ],
)
def test_normalise_column_name(raw, normalised):
    assert normalise_column_name(raw) == normalised


def test_map_columns_first_contract_occurrence_wins():
    contract, extra = map_columns(["EMAIL", "x", "email", "Source"])
    assert contract == {"email": 0, "source": 3}
    assert extra == {"x": 1, "email": 2}


# ---------------------------------------------------------------- bugs found and fixed
@pytest.mark.parametrize("kind", ["csv", "jsonl"])
def test_truncated_large_gzip_is_rejected(con, tmp_path, kind):
    n = 20_000
    if kind == "csv":
        data = csv_bytes(HEADER, *(f"e{i},2024-01-01,website,page_view,a@x,," for i in range(n)))
    else:
        data = jsonl_bytes(*(f'{{"event_id": "e{i}", "email": "a@x"}}' for i in range(n)))
    compressed = gzip.compress(data, mtime=0)
    path = write(tmp_path / f"big.{kind}.gz", compressed[: len(compressed) * 3 // 4])
    with pytest.raises(FileRejected, match="decompress"):
        stage_signal_file(con, path)


def test_whitespace_only_line_is_not_a_data_row(con, tmp_path):
    path = write(tmp_path / "e.csv", csv_bytes(HEADER, line(1), "   ", line(2)))
    _, rows = stage(con, path, data_rows=2)
    assert_rows(rows, [event(1), event(2)])


def test_parquet_with_a_file_row_number_column_is_rejected(con, tmp_path):
    """DuckDB 1.4.4 refuses ``file_row_number = true`` on such a file (a Binder Error), and the
    reader needs that option for source_line, so the file is rejected with a reason."""
    table = pa.table(
        {
            "occurred_at": ["2024-01-01"] * 3,
            "source": ["email"] * 3,
            "event_type": ["email_open"] * 3,
            "email": ["a@x", "b@x", "c@x"],
            "file_row_number": [10, 20, 30],
        }
    )
    path = write(tmp_path / "e.parquet", parquet(table))
    with pytest.raises(FileRejected) as rejected:
        stage_signal_file(con, path)
    assert rejected.value.reason == (
        "a Parquet column is named file_row_number, which the reader reserves"
    )


def test_unterminated_quote_is_flagged_not_swallowed(con, tmp_path):
    path = write(
        tmp_path / "e.csv",
        csv_bytes(HEADER, line(1)[:-1] + ',"{oops', line(2), line(3)),
    )
    result = stage_signal_file(con, path)
    rows = staged_rows(con)
    assert any(r["parse_error"] for r in rows), rows
    assert result.data_rows == len(rows)


def test_duplicate_unknown_header_names_keep_every_value(con, tmp_path):
    path = write(
        tmp_path / "e.csv",
        csv_bytes(REQUIRED_HEADER + ",note,note", "2024-01-01,website,page_view,a@x,first,second"),
    )
    _, rows = stage(con, path, data_rows=1)
    assert "first" in rows[0]["extra_columns"]
    assert "second" in rows[0]["extra_columns"]


def test_good_rows_stage_alike_on_the_fast_and_exact_paths(con, tmp_path):
    rows = [line(1, ""), line(2, "Mozilla")]
    fast = write(tmp_path / "fast.csv", csv_bytes(HEADER + ",ua", *rows))
    exact = write(tmp_path / "exact.csv", csv_bytes(HEADER + ",ua", *rows, line(3, "x", "surplus")))
    assert not stage(con, fast, 2)[0].used_fallback
    fast_rows = staged_rows(con)
    assert stage(con, exact, 3, exact=True)[0].used_fallback
    exact_rows = staged_rows(con)[:2]

    def comparable(row: dict) -> dict:
        extra = row["extra_columns"]
        return {**row, "extra_columns": None if extra is None else json.loads(extra)}

    assert [comparable(r) for r in fast_rows] == [comparable(r) for r in exact_rows]
