"""Read one landed signal file into the staging relation ``signal_stage``, every row as text.

The staging relation (a temp table, or for DuckDB's CSV reader a temp view over what it read, so
10 million rows are not copied twice) has the columns of ``raw.signals`` minus the file columns.
Data rows are numbered from 1 in file order (blank lines are not data rows). A file that cannot be
read at all raises ``FileRejected`` with a reason a user can act on; a single row that cannot be
parsed is kept with ``parse_error`` set, so that nothing is lost.

Fast path: DuckDB's own readers. The rows they reject (wrong field count, invalid UTF-8, a line
over DuckDB's size limit) are read again alone and put back in their place, so one bad row among
millions costs that row (``signal_rejected_lines``). Exact fallback: for the files DuckDB cannot
place rows in (quoted line breaks together with rejected rows, more than ``MAX_REJECTED_LINES``
rejected rows) Python's ``csv``/line reader reads the file as a stream, keeps every row and says
what was wrong with it.
"""

from __future__ import annotations

import csv
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb

from batch_platform.defs.signals.logic.signal_csv_reader import stage_csv_exact, stage_csv_fast
from batch_platform.defs.signals.logic.signal_file_format import (
    CONTRACT_COLUMNS,
    FileRejected,
    check_required,
    csv_header,
    decompressed_once,
    file_format,
    map_columns,
    sniff_head,
)
from batch_platform.defs.signals.logic.signal_jsonl_reader import (
    stage_jsonl_exact,
    stage_jsonl_fast,
)
from batch_platform.defs.signals.logic.signal_stage import create_stage
from batch_platform.lib.warehouse import quote_ident


@dataclass(frozen=True)
class StagedFile:
    file_format: str
    data_rows: int
    used_fallback: bool
    rows_read_again: int = 0


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


def _fast_or_none(stage: Callable[[], int | None]) -> int | None:
    """Run a DuckDB fast path (rows read again, or None); any parser error means: use the
    exact reader instead."""
    try:
        return stage()
    except duckdb.Error as error:
        if isinstance(error, duckdb.IOException) and "gzip" in str(error).lower():
            raise FileRejected(
                f"cannot decompress the file: {str(error).splitlines()[0]}"
            ) from error
        return None


def _stage_text(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    kind: str,
    head: bytes,
    exact: bool,
    shared_view: str | None = None,
) -> tuple[bool, int]:
    """Stage a plain CSV or JSONL file: DuckDB's reader, or the exact one where DuckDB's cannot
    read the file (or ``exact``). Returns (the exact reader was used, lines read again)."""
    try:
        if kind == "csv":
            names = csv_header(head)
            check_required(names, map_columns(names)[0])
            fast = (
                None
                if exact
                else _fast_or_none(lambda: stage_csv_fast(con, path, names, False, shared_view))
            )
            if fast is None:
                create_stage(con)
                stage_csv_exact(con, path, names, False)
        else:
            fast = None if exact else _fast_or_none(lambda: stage_jsonl_fast(con, path, False))
            if fast is None:
                create_stage(con)
                stage_jsonl_exact(con, path, False)
    except (OSError, EOFError, zlib.error) as error:
        raise FileRejected(f"cannot decompress or read the file: {error}") from error
    except (duckdb.Error, csv.Error, UnicodeError) as error:
        message = str(error).splitlines()[0]
        raise FileRejected(f"cannot parse the file: {message}") from error
    return fast is None, fast or 0


def stage_signal_file(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    name: str | None = None,
    *,
    exact: bool = False,
    shared_view: str | None = None,
) -> StagedFile:
    """Load ``path`` into the temp table ``signal_stage``; raise ``FileRejected`` if unreadable.

    ``name`` is the landed file's name, which says its format, when ``path`` names the open
    file (see :func:`batch_platform.lib.landing.open_landed_file`). ``exact`` skips DuckDB's
    readers for CSV and JSONL (the fallback, on purpose: tests compare both).
    ``shared_view``: see
    :func:`~batch_platform.defs.signals.logic.signal_csv_reader.stage_csv_fast` (CSV only).
    """
    name = name or path.name
    detected = file_format(name)
    if detected is None:
        raise FileRejected(
            f"unsupported file type {name!r}: expected .csv, .jsonl or .parquet "
            "(CSV and JSONL may be gzip-compressed)"
        )
    kind, compressed = detected
    create_stage(con)
    fallback, read_again = False, 0
    if kind == "parquet":
        _stage_parquet(con, path)
    else:
        head = sniff_head(path, compressed)
        if compressed:
            with decompressed_once(path) as plain:
                fallback, read_again = _stage_text(con, plain, kind, head, exact, shared_view)
        else:
            fallback, read_again = _stage_text(con, path, kind, head, exact, shared_view)
    rows = con.execute("SELECT count(*) FROM signal_stage").fetchone()[0]
    if rows == 0:
        raise FileRejected("no data rows (the file has a header or blank lines only)")
    return StagedFile(
        file_format=kind, data_rows=int(rows), used_fallback=fallback, rows_read_again=read_again
    )
