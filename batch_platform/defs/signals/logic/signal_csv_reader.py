"""Reading a signal CSV file into ``signal_stage``: DuckDB's reader, with the rows it rejects read
again alone (see ``signal_rejected_lines``); Python's ``csv`` module as the exact fallback for the
files DuckDB cannot place rows in, keeping and explaining every malformed row."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

from batch_platform.defs.signals.logic.signal_file_format import (
    CONTRACT_COLUMNS,
    OverlongLine,
    has_bad_bytes,
    map_columns,
    replace_bad_bytes,
    text_lines,
)
from batch_platform.defs.signals.logic.signal_rejected_lines import (
    MAX_KEPT_LINE_BYTES,
    LineReadBack,
    RejectedLine,
    place_rejected_rows,
)
from batch_platform.defs.signals.logic.signal_stage import (
    BATCH_ROWS,
    STAGE_COLUMNS,
    contract_select,
    create_stage,
    create_table_as,
    drop_tables,
    insert_stage_rows,
    json_object_sql,
)

MAX_RECORD_LINES = 10_000
DUCKDB_MAX_LINE_BYTES = 2_000_000


def blank_row_sql(columns: int) -> str:
    """True when every field c0…c{columns-1} is blank (NULL or spaces only).

    A chain of WHENs, not an AND of the tests: DuckDB evaluates every operand of an AND for
    every row of a projection, but each WHEN only for the rows no earlier WHEN decided, so a row
    whose first field has text costs one test (at 10M rows of 7 fields, about 4 s of CPU less).
    """
    whens = " ".join(f"WHEN coalesce(trim(c{i}), '') <> '' THEN false" for i in range(columns))
    return f"CASE {whens} ELSE true END"


def csv_read_select(
    names: list[str],
    compressed: bool,
    rejects: tuple[str, str] = ("csv_rejects", "csv_scans"),
    extra_select: str | None = None,
) -> str:
    """DuckDB's read of a CSV file with ``names`` as its header (``?``: its path, or a list of
    paths with that header): every field as text ``c0``, ``c1``, …, ``is_blank``, and
    ``extra_select``; rejected rows go to the temp tables ``rejects`` (rows, scans)."""
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names))) + "}"
    # Rows whose fields are all blank are not data rows (the exact reader skips them too).
    blank = blank_row_sql(len(names))
    extra = f", {extra_select}" if extra_select else ""
    return (
        f"SELECT *, ({blank}) AS is_blank{extra} FROM read_csv(?, header = true, "
        f"auto_detect = false, columns = {columns}, delim = ',', quote = '\"', escape = '\"', "
        f"null_padding = true, store_rejects = true, rejects_table = '{rejects[0]}', "
        f"rejects_scan = '{rejects[1]}', max_line_size = {DUCKDB_MAX_LINE_BYTES}, "
        f"compression = '{'gzip' if compressed else 'none'}')"
    )


def csv_stage_columns(names: Sequence[str], line_sql: str, table: str = "") -> str:
    """The staging columns (``STAGE_COLUMNS``) of a read by ``csv_read_select`` (``table``: its
    alias, if any): ``source_line`` from ``line_sql``, the contract columns, the extra columns
    as a JSON object and no parse error. Views take no bound parameters, so the extra columns'
    names (from the file header) are escaped literals."""
    contract, extra = map_columns(list(names))
    value = f"{table}.c{{position}}" if table else "c{position}"
    extra_sql, _ = json_object_sql(extra, value, literal_keys=True)
    return (
        f"{line_sql} AS source_line, {contract_select(contract, value)}, "
        f"{extra_sql} AS extra_columns, NULL::VARCHAR AS parse_error"
    )


def stage_csv_fast(
    con, path: Path, names: list[str], compressed: bool, shared_view: str | None = None
) -> int | None:
    """DuckDB's CSV reader, with the rows it rejects read again alone and put in their place.

    Returns how many rows were read again, or None when the exact reader must read the file
    (too many rejected rows, or a file DuckDB's line numbers cannot be trusted on).

    ``shared_view`` (a qualified name in a database the process's connections share) is for a
    file read on its own thread's cursor among a run's files: DuckDB's read is kept in
    ``{shared_view}_read`` beside it and, when no row was rejected, the stage is also the view
    ``shared_view``, which the run's write reads from any connection (temp tables and views are
    the cursor's own), so the file's rows are not copied once more.
    """
    read_table = f"{shared_view}_read" if shared_view else "temp.main.csv_read"
    drop_tables(con, "csv_rejects", "csv_scans")
    create_table_as(con, read_table, csv_read_select(names, compressed), [str(path)])
    numbered = _number_csv_rows(con, path, names, compressed, read_table)
    if numbered is None:
        drop_tables(con, read_table, f"{read_table}_kept", "csv_rejects", "csv_scans")
        return None
    relation, line_sql, rejected_rows = numbered
    # A view, not a copy: csv_read's rowid is its insertion (file) order.
    kept = f"SELECT {csv_stage_columns(names, line_sql)} FROM {relation} WHERE NOT is_blank"
    con.execute("DROP TABLE signal_stage")
    if rejected_rows:
        _stage_rejected_rows(con, rejected_rows)
        kept += " UNION ALL SELECT * FROM csv_rejected"
    con.execute(f"CREATE TEMP VIEW signal_stage AS {kept}")
    if shared_view and not rejected_rows:
        con.execute(f"CREATE VIEW {shared_view} AS {kept}")
    drop_tables(con, "csv_rejects", "csv_scans")
    return len(rejected_rows)


def _number_csv_rows(
    con, path: Path, names: list[str], compressed: bool, read_table: str
) -> tuple[str, str, list[tuple]] | None:
    """(relation, data row number SQL, staged rejected rows), or None to read exactly."""
    placed = place_rejected_rows(
        con,
        path,
        compressed,
        read_table,
        header_lines=1,
        skips_empty_lines=True,
        # Physical lines are not rows when values hold line breaks: DuckDB's line numbers
        # cannot place a rejected row then.
        can_place=lambda: not _has_multiline_values(con, len(names), read_table),
    )
    if placed is None:
        return None
    contract, extra = map_columns(names)
    rows = [
        _rejected_row(number, back, rejection, names, contract, extra)
        for number, back, rejection in placed.rejected
    ]
    return placed.relation, placed.line_sql, rows


def _has_multiline_values(con, columns: int, read_table: str) -> bool:
    # A substring test per character, not a regular expression: on 5M rows 0.35 s against 1.15 s.
    breaks = " OR ".join(
        f"contains(c{i}, chr(10)) OR contains(c{i}, chr(13))" for i in range(columns)
    )
    return bool(con.execute(f"SELECT count(*) FROM {read_table} WHERE {breaks}").fetchone()[0])


def _rejected_row(
    number: int,
    back: LineReadBack,
    rejection: RejectedLine,
    names: list[str],
    contract: dict[str, int],
    extra: dict[str, int],
) -> tuple:
    if back.truncated:
        return (number, *([None] * (len(STAGE_COLUMNS) - 2)), back.too_long)
    record, problem = next(_csv_records(iter([back.text])))
    if record is None:
        return (number, *([None] * (len(STAGE_COLUMNS) - 2)), problem)
    known = {"TOO MANY COLUMNS", "INVALID ENCODING", "LINE SIZE OVER MAXIMUM"}
    unexplained = [rejection.message] if set(rejection.problems) - known else []
    return record_row(number, record, names, contract, extra, unexplained)


def _stage_rejected_rows(con, rows: list[tuple]) -> None:
    create_stage(con, "csv_rejected")
    for start in range(0, len(rows), 1000):
        insert_stage_rows(con, rows[start : start + 1000], table="csv_rejected")


def _csv_records(lines: Iterator[str]) -> Iterator[tuple[list[str] | None, str | None]]:
    """Split physical lines into CSV records: (fields, None) or (None, problem).

    A record is complete when its quotes balance. A quote left open for MAX_RECORD_LINES lines,
    over MAX_KEPT_LINE_BYTES or until the end of the file makes its first line a bad record, and
    reading resumes on the line after it, so one stray quote never swallows the rows that follow.
    A line longer than MAX_KEPT_LINE_BYTES is a bad record of its own (only its start was read).
    """
    pending: list[str] = []
    quotes = size = 0
    for text in lines:
        if isinstance(text, OverlongLine):
            if pending:
                yield None, "a quoted field is never closed"
                yield from _csv_records(iter(pending[1:]))
                pending, quotes, size = [], 0, 0
            yield None, text.problem
            continue
        pending.append(text)
        quotes += text.count('"')
        size += len(text)
        if quotes % 2 and len(pending) < MAX_RECORD_LINES and size < MAX_KEPT_LINE_BYTES:
            continue
        if quotes % 2:
            yield None, "a quoted field is never closed"
            yield from _csv_records(iter(pending[1:]))
        else:
            try:
                yield next(csv.reader(["".join(pending)], strict=False), []), None
            except csv.Error as error:
                yield None, str(error)
        pending, quotes, size = [], 0, 0
    if pending:
        yield None, "a quoted field is never closed"
        yield from _csv_records(iter(pending[1:]))


def _is_blank(record: list[str]) -> bool:
    return all(not value.strip() for value in record)


def stage_csv_exact(con, path: Path, names: list[str], compressed: bool) -> None:
    """Python's csv module: slower, but keeps and explains every malformed row."""
    contract, extra = map_columns(names)
    lines = text_lines(path, compressed)
    records = _csv_records(lines)
    next(records, None)  # the header
    batch: list[tuple] = []
    line = 0
    for record, problem in records:
        if record is not None and _is_blank(record):
            continue
        line += 1
        if record is None:
            batch.append((line, *([None] * (len(STAGE_COLUMNS) - 2)), problem))
            continue
        batch.append(record_row(line, record, names, contract, extra))
        if len(batch) >= BATCH_ROWS:
            insert_stage_rows(con, batch)
            batch = []
    insert_stage_rows(con, batch)


def record_row(
    line: int,
    record: list[str],
    names: list[str],
    contract: dict[str, int],
    extra: dict[str, int],
    problems: list[str] | None = None,
) -> tuple:
    """One parsed CSV record as a staging row, with what is wrong with it."""
    found = []
    if len(record) > len(names):
        found.append(f"{len(record)} fields where the header has {len(names)}")
    if any(has_bad_bytes(v) for v in record):
        found.append("invalid UTF-8 bytes")
        record = [replace_bad_bytes(v) for v in record]
    problems = found + [p for p in problems or [] if p not in found]
    padded = record + [""] * (len(names) - len(record))
    values = [(padded[contract[c]] or None) if c in contract else None for c in CONTRACT_COLUMNS]
    # Like DuckDB's path: every extra column present, empty ones as null.
    extras: dict[str, object] = {k: padded[p] or None for k, p in extra.items()}
    if len(record) > len(names):
        extras["_unexpected_fields"] = record[len(names) :]
    return (
        line,
        *values,
        json.dumps(extras, ensure_ascii=False, separators=(",", ":")) if extras else None,
        "; ".join(problems) or None,
    )
