"""Reading an intent provider's export (CSV or JSONL, optionally gzip) into the temp table
``intent_stage``: one row per data row, every value as text, numbered from 1 in file order, and
the reason a row could not be parsed. A file that cannot be read at all raises FileRejected.
No Dagster here.

Provider exports are a few rows per account, topic and week, so a streaming Python reader is
enough; validation and de-duplication are SQL (``intent_cleaning``).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pyarrow as pa

from batch_platform.defs.signals.logic.signal_file_format import (
    FileRejected,
    OverlongLine,
    check_gzip_complete,
    file_format,
    has_bad_bytes,
    normalise_column_name,
    replace_bad_bytes,
    sniff_head,
    text_lines,
)
from batch_platform.lib.warehouse import stage_rows

INTENT_COLUMNS = ("account_domain", "topic", "score", "date")
# Other names providers give the same fields (after normalise_column_name).
ALIASES = {
    "domain": "account_domain",
    "company_domain": "account_domain",
    "intent_topic": "topic",
    "intent_score": "score",
    "surge_score": "score",
    "signal_date": "date",
    "week": "date",
    "week_start": "date",
}
STAGE_COLUMNS = ("source_line", *INTENT_COLUMNS, "parse_error")
BATCH_ROWS = 50_000


def _contract_column(name: str) -> str:
    normalised = normalise_column_name(name)
    return ALIASES.get(normalised, normalised)


def _rows(path: Path, kind: str, compressed: bool) -> Iterator[tuple]:
    """(source_line, account_domain, topic, score, date, parse_error) per data row."""
    lines = _checked_lines(path, compressed)
    number = 0
    if kind == "csv":
        reader = csv.reader(lines)
        header = [_contract_column(name) for name in next(reader, [])]
        missing = [c for c in INTENT_COLUMNS if c not in header]
        if missing:
            raise FileRejected(
                f"the header has no column {', '.join(missing)} (expected account_domain, "
                "topic, score, date)"
            )
        positions = {c: header.index(c) for c in INTENT_COLUMNS}
        for fields in reader:
            if not any(field.strip() for field in fields):
                continue
            number += 1
            problem = None
            if len(fields) != len(header):
                problem = f"{len(fields)} fields where the header has {len(header)}"
            values = [fields[positions[c]] if positions[c] < len(fields) else None
                      for c in INTENT_COLUMNS]  # fmt: skip
            yield (number, *_clean_text(values), _bad_bytes_problem(values, problem))
        return
    for line in lines:
        if not line.strip():
            continue
        number += 1
        try:
            record = json.loads(line)
        except ValueError:
            yield (
                number,
                None,
                None,
                None,
                None,
                "not valid JSON: " + replace_bad_bytes(line)[:200],
            )
            continue
        if not isinstance(record, dict):
            yield (number, None, None, None, None, "JSON value is not an object")
            continue
        by_column = {_contract_column(k): v for k, v in record.items()}
        values = [_json_text(by_column.get(c)) for c in INTENT_COLUMNS]
        yield (number, *values, None)


def _checked_lines(path: Path, compressed: bool) -> Iterator[str]:
    for line in text_lines(path, compressed):
        if isinstance(line, OverlongLine):
            raise FileRejected(f"{line.problem}: not an intent export")
        yield line


def _json_text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _clean_text(values: list[str | None]) -> list[str | None]:
    return [None if v is None else replace_bad_bytes(v) for v in values]


def _bad_bytes_problem(values: list[str | None], problem: str | None) -> str | None:
    if any(v is not None and has_bad_bytes(v) for v in values):
        return "; ".join(p for p in (problem, "invalid UTF-8 bytes") if p)
    return problem


def stage_intent_file(con: duckdb.DuckDBPyConnection, path: Path, name: str) -> int:
    """Fill ``intent_stage`` from one file; returns its data rows. ``name`` (the landed file's
    name) says the format."""
    detected = file_format(name)
    if detected is None or detected[0] == "parquet":
        raise FileRejected(
            f"unsupported file type {name!r}: expected .csv or .jsonl (optionally .gz)"
        )
    kind, compressed = detected
    sniff_head(path, compressed)
    if compressed:
        check_gzip_complete(path)
    con.execute(
        "CREATE OR REPLACE TEMP TABLE intent_stage (source_line BIGINT, account_domain VARCHAR, "
        "topic VARCHAR, score VARCHAR, date VARCHAR, parse_error VARCHAR)"
    )
    batch: list[tuple] = []
    try:
        for row in _rows(path, kind, compressed):
            batch.append(row)
            if len(batch) >= BATCH_ROWS:
                _append(con, batch)
                batch = []
    except csv.Error as error:
        raise FileRejected(f"cannot parse the file: {error}") from error
    _append(con, batch)
    rows = con.execute("SELECT count(*) FROM intent_stage").fetchone()[0]
    if rows == 0:
        raise FileRejected("no data rows (the file has a header or blank lines only)")
    return int(rows)


def _append(con: duckdb.DuckDBPyConnection, batch: list[tuple]) -> None:
    if not batch:
        return
    columns = list(zip(*batch, strict=True))
    table = pa.table(
        {
            name: pa.array(values, pa.int64() if name == "source_line" else pa.string())
            for name, values in zip(STAGE_COLUMNS, columns, strict=True)
        }
    )
    stage_rows(con, "intent_batch", table)
    con.execute("INSERT INTO intent_stage SELECT * FROM intent_batch")
