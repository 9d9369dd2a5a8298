"""Read one landed signal file into the staging relation ``signal_stage``, every row as text.

The staging relation (a temp table, or for DuckDB's CSV reader a temp view over what it read, so
10 million rows are not copied twice) has the columns of ``raw.signals`` minus the file columns.
Data rows are numbered from 1 in file order (blank lines are not data rows). A file that cannot be
read at all raises ``FileRejected`` with a reason a user can act on; a single row that cannot be
parsed is kept with ``parse_error`` set, so that nothing is lost.

Fast path: DuckDB's own readers. Exact fallback: when DuckDB rejects any row of a CSV or JSONL
file (wrong field count, invalid UTF-8), the file is re-read by Python's ``csv``/line reader,
which keeps those rows and says what was wrong with them.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from batch_platform.lib.warehouse import quote_ident, sql_literal

CONTRACT_COLUMNS = (
    "event_id",
    "occurred_at",
    "source",
    "event_type",
    "email",
    "account_domain",
    "properties",
)
REQUIRED_COLUMNS = ("occurred_at", "source", "event_type", "email")
STAGE_COLUMNS = ("source_line", *CONTRACT_COLUMNS, "extra_columns", "parse_error")
SUFFIXES = {
    ".csv": ("csv", False),
    ".csv.gz": ("csv", True),
    ".jsonl": ("jsonl", False),
    ".ndjson": ("jsonl", False),
    ".jsonl.gz": ("jsonl", True),
    ".ndjson.gz": ("jsonl", True),
    ".parquet": ("parquet", False),
}
MAX_FIELD_BYTES = 256 * 1024 * 1024
_BATCH_ROWS = 50_000
_SEPARATORS = re.compile(r"[\s\-]+")

csv.field_size_limit(MAX_FIELD_BYTES)


class FileRejected(Exception):
    """The whole file cannot be read; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class StagedFile:
    file_format: str
    data_rows: int
    used_fallback: bool


def file_format(name: str) -> tuple[str, bool] | None:
    """('csv' | 'jsonl' | 'parquet', gzip-compressed) for a supported file name, else None."""
    lower = name.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            return SUFFIXES[suffix]
    return None


def normalise_column_name(name: str) -> str:
    """Header names match case- and whitespace-insensitively: ' Event ID' -> 'event_id'."""
    return _SEPARATORS.sub("_", name.strip().lstrip("\ufeff").strip()).lower()


def map_columns(names: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Split header positions into contract columns (first occurrence wins) and extra columns."""
    contract: dict[str, int] = {}
    extra: dict[str, int] = {}
    for position, name in enumerate(names):
        normalised = normalise_column_name(name)
        if normalised in CONTRACT_COLUMNS and normalised not in contract:
            contract[normalised] = position
            continue
        key = name.strip() or f"column_{position + 1}"
        while key in extra:  # repeated or empty names must not hide each other's values
            key = f"{key}_{position + 1}"
        extra[key] = position
    return contract, extra


def check_required(names: list[str], contract: dict[str, int]) -> None:
    missing = [column for column in REQUIRED_COLUMNS if column not in contract]
    if not missing:
        return
    shown = ", ".join(repr(n) for n in names[:12]) or "nothing"
    hint = ""
    if len(names) == 1 and any(d in names[0] for d in ";\t|"):
        hint = " The header looks delimited by something other than a comma."
    raise FileRejected(f"missing required columns {', '.join(missing)}; header has {shown}.{hint}")


def _open_bytes(path: Path, compressed: bool) -> io.BufferedIOBase:
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def _sniff(path: Path, compressed: bool) -> bytes:
    """The first 64 KiB of the (decompressed) file; rejects empty, binary and broken gzip."""
    try:
        with _open_bytes(path, compressed) as handle:
            head = handle.read(64 * 1024)
    except (OSError, EOFError, zlib.error) as error:
        raise FileRejected(f"cannot decompress or read the file: {error}") from error
    if not head.strip():
        raise FileRejected("empty file")
    if b"\x00" in head:
        raise FileRejected("binary content (NUL bytes) where text was expected")
    return head


def _check_gzip_complete(path: Path) -> None:
    """Read the whole gzip stream: DuckDB stops quietly at a truncation, Python does not."""
    try:
        with gzip.open(path, "rb") as handle:
            while handle.read(4 * 1024 * 1024):
                pass
    except (OSError, EOFError, zlib.error) as error:
        raise FileRejected(
            f"cannot decompress the file (truncated or corrupt gzip): {error}"
        ) from error


def _csv_header(head: bytes) -> list[str]:
    text = head.decode("utf-8-sig", errors="replace")
    first_record = next(csv.reader(io.StringIO(text)), [])
    if not first_record:
        raise FileRejected("no header row")
    return first_record


def _drop(con: duckdb.DuckDBPyConnection, *tables: str) -> None:
    for table in tables:
        con.execute(f"DROP TABLE IF EXISTS {table}")


def create_stage(con: duckdb.DuckDBPyConnection) -> None:
    """An empty ``signal_stage`` table (what an unreadable file stages)."""
    drop_stage(con)
    columns = ", ".join(
        f"{c} BIGINT" if c == "source_line" else f"{c} VARCHAR" for c in STAGE_COLUMNS
    )
    con.execute(f"CREATE TEMP TABLE signal_stage ({columns})")


def drop_stage(con: duckdb.DuckDBPyConnection) -> None:
    """Drop ``signal_stage`` (a table or a view) and what a view over it reads."""
    kind = con.execute(
        "SELECT table_type FROM information_schema.tables WHERE table_name = 'signal_stage' "
        "AND table_catalog = 'temp'"
    ).fetchall()
    if kind:
        con.execute(f"DROP {'VIEW' if kind[0][0] == 'VIEW' else 'TABLE'} signal_stage")
    _drop(con, "csv_read")


def _json_object_sql(
    extra: dict[str, int], value_sql: str, *, literal_keys: bool = False
) -> tuple[str, list[str]]:
    """SQL building a JSON object of the extra columns; keys are bound as parameters, or
    written as escaped literals where parameters cannot go (a view)."""
    if not extra:
        return "NULL::VARCHAR", []
    pairs = ", ".join(
        f"{sql_literal(key) if literal_keys else '?'}, {value_sql.format(position=position)}"
        for key, position in extra.items()
    )
    return f"json_object({pairs})::VARCHAR", [] if literal_keys else list(extra)


def _contract_select(contract: dict[str, int], value_sql: str) -> str:
    return ", ".join(
        (value_sql.format(position=contract[c]) if c in contract else "NULL::VARCHAR") + f" AS {c}"
        for c in CONTRACT_COLUMNS
    )


# ---------------------------------------------------------------- CSV
def _stage_csv_fast(con, path: Path, names: list[str], compressed: bool) -> bool:
    """DuckDB's CSV reader; False when it rejected any row (the caller falls back)."""
    _drop(con, "csv_rejects", "csv_scans")
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
        _drop(con, "csv_read")
        return False
    contract, extra = map_columns(names)
    # A view, not a copy: csv_read's rowid is its insertion (file) order. Views take no bound
    # parameters, so the extra columns' names (from the file header) become escaped literals.
    extra_sql, _ = _json_object_sql(extra, "c{position}", literal_keys=True)
    con.execute("DROP TABLE signal_stage")
    con.execute(
        "CREATE TEMP VIEW signal_stage AS SELECT rowid + 1 AS source_line, "
        f"{_contract_select(contract, 'c{position}')}, {extra_sql} AS extra_columns, "
        "NULL::VARCHAR AS parse_error FROM csv_read"
    )
    _drop(con, "csv_rejects", "csv_scans")
    return True


def _text_lines(path: Path, compressed: bool) -> Iterator[str]:
    with _open_bytes(path, compressed) as raw:
        yield from io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")


def _has_bad_bytes(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def _clean_text(value: str) -> str:
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def _insert_batch(con, batch: list[tuple]) -> None:
    if not batch:
        return
    columns = list(zip(*batch, strict=True))
    table = pa.table(
        {
            name: pa.array(values, type=pa.int64() if name == "source_line" else pa.string())
            for name, values in zip(STAGE_COLUMNS, columns, strict=True)
        }
    )
    con.register("stage_batch", table)
    con.execute("INSERT INTO signal_stage SELECT * FROM stage_batch")
    con.unregister("stage_batch")


MAX_RECORD_LINES = 10_000


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


def _stage_csv_exact(con, path: Path, names: list[str], compressed: bool) -> None:
    """Python's csv module: slower, but keeps and explains every malformed row."""
    contract, extra = map_columns(names)
    lines = _text_lines(path, compressed)
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
        if any(_has_bad_bytes(v) for v in record):
            problems.append("invalid UTF-8 bytes")
            record = [_clean_text(v) for v in record]
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
        if len(batch) >= _BATCH_ROWS:
            _insert_batch(con, batch)
            batch = []
    _insert_batch(con, batch)


# ---------------------------------------------------------------- JSONL
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


def _stage_jsonl_fast(con, path: Path, compressed: bool) -> bool:
    _drop(con, "csv_rejects", "csv_scans")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE jsonl_lines AS SELECT line FROM read_csv(?, header = false, "
        "auto_detect = false, columns = {'line': 'VARCHAR'}, delim = '\x1f', quote = '', "
        "escape = '', strict_mode = false, store_rejects = true, rejects_table = 'csv_rejects', "
        f"rejects_scan = 'csv_scans', compression = '{'gzip' if compressed else 'none'}') "
        "WHERE line IS NOT NULL AND trim(line) <> ''",
        [str(path)],
    )
    if con.execute("SELECT count(*) FROM csv_rejects").fetchone()[0]:
        _drop(con, "jsonl_lines")
        return False
    con.execute(
        "CREATE OR REPLACE TEMP TABLE jsonl_read AS SELECT rowid + 1 AS source_line, line, "
        "NULL::VARCHAR AS bad_bytes FROM jsonl_lines"
    )
    _stage_jsonl_from_lines(con)
    _drop(con, "jsonl_lines", "jsonl_read", "jsonl_objects", "csv_rejects", "csv_scans")
    return True


def _stage_jsonl_exact(con, path: Path, compressed: bool) -> None:
    rows: list[tuple] = []
    number = 0
    for text in _text_lines(path, compressed):
        if not text.strip():
            continue
        number += 1
        bad = "invalid UTF-8 bytes" if _has_bad_bytes(text) else None
        rows.append((number, _clean_text(text).rstrip("\r\n") if bad else text.rstrip("\r\n"), bad))
    con.execute(
        "CREATE OR REPLACE TEMP TABLE jsonl_read "
        "(source_line BIGINT, line VARCHAR, bad_bytes VARCHAR)"
    )
    for start in range(0, len(rows), _BATCH_ROWS):
        chunk = rows[start : start + _BATCH_ROWS]
        con.register(
            "jsonl_batch",
            pa.table(
                {
                    "source_line": pa.array([r[0] for r in chunk], pa.int64()),
                    "line": pa.array([r[1] for r in chunk], pa.string()),
                    "bad_bytes": pa.array([r[2] for r in chunk], pa.string()),
                }
            ),
        )
        con.execute("INSERT INTO jsonl_read SELECT * FROM jsonl_batch")
        con.unregister("jsonl_batch")
    _stage_jsonl_from_lines(con)
    _drop(con, "jsonl_read", "jsonl_objects")


# ---------------------------------------------------------------- Parquet
def _stage_parquet(con, path: Path) -> None:
    try:
        described = con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
    except duckdb.Error as error:
        raise FileRejected(f"not a readable Parquet file: {error}") from error
    names = [row[0] for row in described]
    types = {row[0]: row[1] for row in described}
    contract, extra = map_columns(names)
    check_required(names, contract)

    def as_text(position: int) -> str:
        name = names[position]
        if types[name].startswith(("STRUCT", "MAP")) or types[name].endswith("[]"):
            return f"to_json({quote_ident(name)})::VARCHAR"
        return f"CAST({quote_ident(name)} AS VARCHAR)"

    selects = ", ".join(
        f"{as_text(contract[c])} AS {c}" if c in contract else f"NULL::VARCHAR AS {c}"
        for c in CONTRACT_COLUMNS
    )
    params: list[object] = []
    extra_sql = "NULL"
    if extra:
        extra_sql = (
            "json_object(" + ", ".join(f"?, {as_text(p)}" for p in extra.values()) + ")::VARCHAR"
        )
        params.extend(extra)
    if "file_row_number" in names:
        raise FileRejected("a Parquet column is named file_row_number, which the reader reserves")
    try:
        con.execute(
            f"INSERT INTO signal_stage SELECT file_row_number + 1 AS source_line, {selects}, "
            f"{extra_sql} AS extra_columns, NULL AS parse_error "
            "FROM read_parquet(?, file_row_number = true) ORDER BY file_row_number",
            [*params, str(path)],
        )
    except duckdb.Error as error:
        raise FileRejected(f"cannot read the Parquet file: {str(error).splitlines()[0]}") from None


def _fast_or_false(stage: Callable[[], bool]) -> bool:
    """Run a DuckDB fast path; any parser error means: use the exact reader instead."""
    try:
        return stage()
    except duckdb.Error as error:
        if isinstance(error, duckdb.IOException) and "gzip" in str(error).lower():
            raise FileRejected(
                f"cannot decompress the file: {str(error).splitlines()[0]}"
            ) from error
        return False


def stage_signal_file(con: duckdb.DuckDBPyConnection, path: Path) -> StagedFile:
    """Load ``path`` into the temp table ``signal_stage``; raise ``FileRejected`` if unreadable."""
    detected = file_format(path.name)
    if detected is None:
        raise FileRejected(
            f"unsupported file type {path.name!r}: expected .csv, .jsonl or .parquet "
            "(CSV and JSONL may be gzip-compressed)"
        )
    kind, compressed = detected
    create_stage(con)
    fallback = False
    if kind == "parquet":
        _stage_parquet(con, path)
    else:
        head = _sniff(path, compressed)
        if compressed:
            _check_gzip_complete(path)
        try:
            if kind == "csv":
                names = _csv_header(head)
                check_required(names, map_columns(names)[0])
                fallback = not _fast_or_false(lambda: _stage_csv_fast(con, path, names, compressed))
                if fallback:
                    create_stage(con)
                    _stage_csv_exact(con, path, names, compressed)
            else:
                fallback = not _fast_or_false(lambda: _stage_jsonl_fast(con, path, compressed))
                if fallback:
                    create_stage(con)
                    _stage_jsonl_exact(con, path, compressed)
        except (OSError, EOFError, zlib.error) as error:
            raise FileRejected(f"cannot decompress or read the file: {error}") from error
        except (duckdb.Error, csv.Error, UnicodeError) as error:
            message = str(error).splitlines()[0]
            raise FileRejected(f"cannot parse the file: {message}") from error
    rows = con.execute("SELECT count(*) FROM signal_stage").fetchone()[0]
    if rows == 0:
        raise FileRejected("no data rows (the file has a header or blank lines only)")
    return StagedFile(file_format=kind, data_rows=int(rows), used_fallback=fallback)
