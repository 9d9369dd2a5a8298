"""Reading a signal CSV file into ``signal_stage``: DuckDB's reader first, and Python's ``csv``
module as the exact fallback that keeps and explains every malformed row."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

from batch_platform.defs.signals.logic.signal_file_format import (
    CONTRACT_COLUMNS,
    has_bad_bytes,
    map_columns,
    replace_bad_bytes,
    text_lines,
)
from batch_platform.defs.signals.logic.signal_stage import (
    BATCH_ROWS,
    STAGE_COLUMNS,
    contract_select,
    drop_tables,
    insert_stage_rows,
    json_object_sql,
)

MAX_RECORD_LINES = 10_000


def stage_csv_fast(con, path: Path, names: list[str], compressed: bool) -> bool:
    """DuckDB's CSV reader; False when it rejected any row (the caller falls back)."""
    drop_tables(con, "csv_rejects", "csv_scans")
    columns = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(names))) + "}"
    # Rows whose fields are all blank are not data rows (the exact reader skips them too).
    not_blank = " OR ".join(f"coalesce(trim(c{i}), '') <> ''" for i in range(len(names)))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE csv_read AS SELECT * FROM read_csv(?, header = true, "
        f"auto_detect = false, columns = {columns}, delim = ',', quote = '\"', escape = '\"', "
        "null_padding = true, store_rejects = true, rejects_table = 'csv_rejects', "
        f"rejects_scan = 'csv_scans', compression = '{'gzip' if compressed else 'none'}') "
        f"WHERE {not_blank}",
        [str(path)],
    )
    rejected = con.execute("SELECT count(*) FROM csv_rejects").fetchone()[0]
    if rejected:
        drop_tables(con, "csv_read")
        return False
    contract, extra = map_columns(names)
    # A view, not a copy: csv_read's rowid is its insertion (file) order. Views take no bound
    # parameters, so the extra columns' names (from the file header) become escaped literals.
    extra_sql, _ = json_object_sql(extra, "c{position}", literal_keys=True)
    con.execute("DROP TABLE signal_stage")
    con.execute(
        "CREATE TEMP VIEW signal_stage AS SELECT rowid + 1 AS source_line, "
        f"{contract_select(contract, 'c{position}')}, {extra_sql} AS extra_columns, "
        "NULL::VARCHAR AS parse_error FROM csv_read"
    )
    drop_tables(con, "csv_rejects", "csv_scans")
    return True


def _csv_records(lines: Iterator[str]) -> Iterator[tuple[list[str] | None, str | None]]:
    """Split physical lines into CSV records: (fields, None) or (None, problem).

    A record is complete when its quotes balance. A quote left open for MAX_RECORD_LINES lines
    or until the end of the file makes its first line a bad record, and reading resumes on the
    line after it, so one stray quote never swallows the rows that follow.
    """
    pending: list[str] = []
    quotes = 0
    for text in lines:
        pending.append(text)
        quotes += text.count('"')
        if quotes % 2 and len(pending) < MAX_RECORD_LINES:
            continue
        if quotes % 2:
            yield None, "a quoted field is never closed"
            yield from _csv_records(iter(pending[1:]))
        else:
            try:
                yield next(csv.reader(["".join(pending)], strict=False), []), None
            except csv.Error as error:
                yield None, str(error)
        pending, quotes = [], 0
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
            batch.append(
                (line, *([None] * (len(STAGE_COLUMNS) - 2)), f"unparseable row: {problem}")
            )
            continue
        problems = []
        if len(record) > len(names):
            problems.append(f"{len(record)} fields where the header has {len(names)}")
        if any(has_bad_bytes(v) for v in record):
            problems.append("invalid UTF-8 bytes")
            record = [replace_bad_bytes(v) for v in record]
        padded = record + [""] * (len(names) - len(record))
        values = [
            (padded[contract[c]] or None) if c in contract else None for c in CONTRACT_COLUMNS
        ]
        # Like DuckDB's path: every extra column present, empty ones as null.
        extras: dict[str, object] = {k: padded[p] or None for k, p in extra.items()}
        if len(record) > len(names):
            extras["_unexpected_fields"] = record[len(names) :]
        batch.append(
            (
                line,
                *values,
                json.dumps(extras, ensure_ascii=False, separators=(",", ":")) if extras else None,
                "; ".join(problems) or None,
            )
        )
        if len(batch) >= BATCH_ROWS:
            insert_stage_rows(con, batch)
            batch = []
    insert_stage_rows(con, batch)
