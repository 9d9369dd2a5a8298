"""Reading a signal JSONL file into ``signal_stage``: DuckDB reads the lines (the lines it rejects,
invalid UTF-8 or over its size limit, are read again alone), or Python streams them when DuckDB
cannot; either way DuckDB's JSON functions pick the contract's keys."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from batch_platform.defs.signals.logic.signal_csv_reader import DUCKDB_MAX_LINE_BYTES
from batch_platform.defs.signals.logic.signal_file_format import (
    CONTRACT_COLUMNS,
    OverlongLine,
    has_bad_bytes,
    normalise_column_name,
    replace_bad_bytes,
    text_lines,
)
from batch_platform.defs.signals.logic.signal_rejected_lines import (
    LineReadBack,
    place_rejected_rows,
)
from batch_platform.defs.signals.logic.signal_stage import BATCH_ROWS, drop_tables

_READ_COLUMNS = "source_line BIGINT, line VARCHAR, read_problem VARCHAR"


def _json_key_mapping(con) -> tuple[dict[str, list[str]], list[str]]:
    keys = [
        row[0]
        for row in con.execute(
            "SELECT DISTINCT unnest(json_keys(obj)) FROM jsonl_objects "
            "WHERE obj IS NOT NULL ORDER BY 1"
        ).fetchall()
    ]
    contract: dict[str, list[str]] = {}
    extra: list[str] = []
    for key in keys:
        normalised = normalise_column_name(key)
        if normalised in CONTRACT_COLUMNS:
            contract.setdefault(normalised, []).append(key)
        else:
            extra.append(key)
    return contract, extra


def _json_path(key: str) -> str:
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _stage_jsonl_from_lines(con) -> None:
    """Turn the one-column table ``jsonl_read(source_line, line)`` into staging rows."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE jsonl_objects AS SELECT *, "
        "CASE WHEN is_object THEN try_cast(line AS JSON) END AS obj FROM ("
        "SELECT *, coalesce(json_valid(line), false) AS is_valid, "
        "coalesce(json_valid(line), false) AND starts_with(ltrim(line), '{') AS is_object "
        "FROM jsonl_read)"
    )
    contract, extra = _json_key_mapping(con)
    params: list[str] = []
    selects = []
    for column in CONTRACT_COLUMNS:
        keys = contract.get(column, [])
        extractor = (
            "json_extract({key})::VARCHAR"
            if column == "properties"
            else ("json_extract_string({key})")
        )
        parts = []
        for key in keys:
            parts.append(extractor.format(key="obj, ?"))
            params.append(_json_path(key))
        value = f"coalesce({', '.join(parts)})" if parts else "NULL"
        selects.append(f"CASE WHEN is_object THEN {value} END AS {column}")
    extra_pairs = []
    for key in extra:
        extra_pairs.append("?, json_extract(obj, ?)")
        params.extend([key, _json_path(key)])
    extra_sql = f"json_object({', '.join(extra_pairs)})::VARCHAR" if extra_pairs else "NULL"
    con.execute(
        "INSERT INTO signal_stage SELECT source_line, "
        f"{', '.join(selects)}, CASE WHEN is_object THEN {extra_sql} END AS extra_columns, "
        "CASE WHEN NOT is_valid THEN concat_ws('; ', read_problem, "
        "'not valid JSON: ' || left(line, 200)) "
        "WHEN NOT is_object THEN concat_ws('; ', read_problem, 'JSON value is not an object') "
        "ELSE read_problem END AS parse_error "
        "FROM jsonl_objects ORDER BY source_line",
        params,
    )


def stage_jsonl_fast(con, path: Path, compressed: bool) -> int | None:
    """DuckDB reads the lines; the lines it rejects are read again alone. Returns how many were
    read again, or None when the exact reader must read the file."""
    drop_tables(con, "csv_rejects", "csv_scans")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE jsonl_lines AS SELECT line, "
        "line IS NULL OR trim(line) = '' AS is_blank FROM read_csv(?, header = false, "
        "auto_detect = false, columns = {'line': 'VARCHAR'}, delim = '\x1f', quote = '', "
        "escape = '', strict_mode = false, store_rejects = true, rejects_table = 'csv_rejects', "
        f"rejects_scan = 'csv_scans', max_line_size = {DUCKDB_MAX_LINE_BYTES}, "
        f"compression = '{'gzip' if compressed else 'none'}')",
        [str(path)],
    )
    read_again = _number_jsonl_lines(con, path, compressed)
    drop_tables(con, "jsonl_lines", "jsonl_lines_kept", "csv_rejects", "csv_scans")
    if read_again is None:
        return None
    _stage_jsonl_from_lines(con)
    drop_tables(con, "jsonl_read", "jsonl_objects")
    return read_again


def _number_jsonl_lines(con, path: Path, compressed: bool) -> int | None:
    """Fill ``jsonl_read`` from ``jsonl_lines`` and the rejected lines; None to read exactly."""
    placed = place_rejected_rows(
        con, path, compressed, "jsonl_lines", header_lines=0, skips_empty_lines=False
    )
    if placed is None:
        return None
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE jsonl_read AS SELECT {placed.line_sql} AS source_line, "
        f"line, NULL::VARCHAR AS read_problem FROM {placed.relation} WHERE NOT is_blank"
    )
    rows = [_read_back_line(number, back) for number, back, _ in placed.rejected]
    _append_read_lines(con, rows)
    return len(rows)


def _read_back_line(number: int, back: LineReadBack) -> tuple[int, str, str | None]:
    text = back.text
    if back.truncated:
        return number, replace_bad_bytes(text[:1000]), back.too_long
    if has_bad_bytes(text):
        return number, replace_bad_bytes(text), "invalid UTF-8 bytes"
    return number, text, None


def _append_read_lines(con, rows: list[tuple[int, str, str | None]]) -> None:
    if not rows:
        return
    numbers, lines, problems = zip(*rows, strict=True)
    table = pa.table(
        {
            "source_line": pa.array(numbers, pa.int64()),
            "line": pa.array(lines, pa.string()),
            "read_problem": pa.array(problems, pa.string()),
        }
    )
    con.register("jsonl_batch", table)
    con.execute("INSERT INTO jsonl_read SELECT * FROM jsonl_batch")
    con.unregister("jsonl_batch")


def stage_jsonl_exact(con, path: Path, compressed: bool) -> None:
    """Python streams the lines, so a line with invalid UTF-8 is kept and flagged, not lost;
    memory holds one batch of lines."""
    con.execute(f"CREATE OR REPLACE TEMP TABLE jsonl_read ({_READ_COLUMNS})")
    batch: list[tuple[int, str, str | None]] = []
    number = 0
    for text in text_lines(path, compressed):
        if not text.strip():
            continue
        number += 1
        if isinstance(text, OverlongLine):
            batch.append((number, replace_bad_bytes(str(text)), text.problem))
        elif has_bad_bytes(text):
            batch.append((number, replace_bad_bytes(text).rstrip("\r\n"), "invalid UTF-8 bytes"))
        else:
            batch.append((number, text.rstrip("\r\n"), None))
        if len(batch) >= BATCH_ROWS:
            _append_read_lines(con, batch)
            batch = []
    _append_read_lines(con, batch)
    _stage_jsonl_from_lines(con)
    drop_tables(con, "jsonl_read", "jsonl_objects")
