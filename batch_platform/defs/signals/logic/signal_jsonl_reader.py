"""Reading a signal JSONL file into ``signal_stage``: DuckDB reads the lines, or Python does when
a line is not valid UTF-8; either way DuckDB's JSON functions pick the contract's keys."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from batch_platform.defs.signals.logic.signal_file_format import (
    CONTRACT_COLUMNS,
    has_bad_bytes,
    normalise_column_name,
    replace_bad_bytes,
    text_lines,
)
from batch_platform.defs.signals.logic.signal_stage import drop_tables
from batch_platform.lib.warehouse import stage_rows


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
        "CASE WHEN NOT is_valid THEN 'not valid JSON: ' || left(line, 200) "
        "WHEN NOT is_object THEN 'JSON value is not an object' "
        "ELSE bad_bytes END AS parse_error "
        "FROM jsonl_objects ORDER BY source_line",
        params,
    )


def stage_jsonl_fast(con, path: Path, compressed: bool) -> bool:
    drop_tables(con, "csv_rejects", "csv_scans")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE jsonl_lines AS SELECT line FROM read_csv(?, header = false, "
        "auto_detect = false, columns = {'line': 'VARCHAR'}, delim = '\x1f', quote = '', "
        "escape = '', strict_mode = false, store_rejects = true, rejects_table = 'csv_rejects', "
        f"rejects_scan = 'csv_scans', compression = '{'gzip' if compressed else 'none'}') "
        "WHERE line IS NOT NULL AND trim(line) <> ''",
        [str(path)],
    )
    if con.execute("SELECT count(*) FROM csv_rejects").fetchone()[0]:
        drop_tables(con, "jsonl_lines")
        return False
    con.execute(
        "CREATE OR REPLACE TEMP TABLE jsonl_read AS SELECT rowid + 1 AS source_line, line, "
        "NULL::VARCHAR AS bad_bytes FROM jsonl_lines"
    )
    _stage_jsonl_from_lines(con)
    drop_tables(con, "jsonl_lines", "jsonl_read", "jsonl_objects", "csv_rejects", "csv_scans")
    return True


def stage_jsonl_exact(con, path: Path, compressed: bool) -> None:
    """Python reads the lines, so a line with invalid UTF-8 is kept and flagged, not lost."""
    numbers: list[int] = []
    lines: list[str] = []
    bad_bytes: list[str | None] = []
    for text in text_lines(path, compressed):
        if not text.strip():
            continue
        bad = "invalid UTF-8 bytes" if has_bad_bytes(text) else None
        numbers.append(len(numbers) + 1)
        lines.append((replace_bad_bytes(text) if bad else text).rstrip("\r\n"))
        bad_bytes.append(bad)
    stage_rows(
        con,
        "jsonl_read",
        pa.table(
            {
                "source_line": pa.array(numbers, pa.int64()),
                "line": pa.array(lines, pa.string()),
                "bad_bytes": pa.array(bad_bytes, pa.string()),
            }
        ),
    )
    _stage_jsonl_from_lines(con)
    drop_tables(con, "jsonl_read", "jsonl_objects")
