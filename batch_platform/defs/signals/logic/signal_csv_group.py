"""Many CSV files of a run read in one pass: DuckDB's multi-file reader over every plain CSV file
that shares a header, each file's rows told apart by ``file_index`` and numbered by its place.

A run of 100 files of 100,000 rows read one file at a time parses each file on one core (a file
smaller than DuckDB's per-thread chunk is not split) and leaves 100 small tables, which the
write then reads one after another. Read together, DuckDB parses the files on every core into
one table, and the write reads it on every core: 10M rows in 100 files were staged and written
in 6.4 s against 10.7 s (``docs/benchmarks.md``).

Only what this path can number exactly is taken from it: a file with no row DuckDB rejected
and no blank row (a row of empty fields) has data row ``n`` at ``first rowid + n - 1`` of the
group's read, since a table created from the reader keeps the files' order. Every other file
(rejected rows to read again, blank rows, no rows, a reader error) is read again alone by the
one-file path, which places such rows; so is every file whose head or header a group cannot
take (gzip, binary, an unsupported or missing header).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import duckdb

from batch_platform.defs.signals.logic.signal_csv_reader import (
    csv_read_select,
    csv_stage_columns,
)
from batch_platform.defs.signals.logic.signal_file_format import (
    FileRejected,
    check_required,
    csv_header,
    file_format,
    map_columns,
    sniff_head,
)
from batch_platform.defs.signals.logic.signal_stage import drop_tables
from batch_platform.lib.landing import LandedFileError, OpenedFile, open_landed_file

# Files read by one statement at most (each is held open while it is read).
MAX_GROUP_FILES = 256
# Groups of fewer files are not worth a statement of their own.
MIN_GROUP_FILES = 2
# Files a group's read may leave out, one after another, for a reader error naming them.
MAX_GROUP_RETRIES = 3


@dataclass(frozen=True)
class GroupedFile:
    """A file whose rows the group's read holds, numbered: rows ``first_rowid`` onwards."""

    number: int  # the file's place in the run
    file_index: int  # its place in the group's read
    first_rowid: int
    data_rows: int
    size_bytes: int
    mtime: float


def csv_group_header(path: Path, name: str) -> tuple[str, ...] | None:
    """The header a plain CSV file would be read with, if the group path can take the file:
    not gzip, a head without NUL bytes or wide text, a header with the required columns.
    None: the one-file path reads it (and says why it cannot, if it cannot)."""
    if file_format(name) != ("csv", False):
        return None
    try:
        with open_landed_file(path) as opened:
            names = csv_header(sniff_head(opened.path, False))
        check_required(names, map_columns(names)[0])
    except (FileRejected, LandedFileError, OSError):
        return None
    return tuple(names)


def plan_groups(headers: dict[int, tuple[str, ...] | None]) -> list[list[int]]:
    """File numbers in groups of one header (in run order, at most ``MAX_GROUP_FILES`` each,
    at least ``MIN_GROUP_FILES``)."""
    by_header: dict[tuple[str, ...], list[int]] = {}
    for number in sorted(headers):
        header = headers[number]
        if header is not None:
            by_header.setdefault(header, []).append(number)
    groups = []
    for numbers in by_header.values():
        for start in range(0, len(numbers), MAX_GROUP_FILES):
            chunk = numbers[start : start + MAX_GROUP_FILES]
            if len(chunk) >= MIN_GROUP_FILES:
                groups.append(chunk)
    return groups


def read_csv_group(
    con: duckdb.DuckDBPyConnection,
    table: str,
    members: Sequence[tuple[int, Path]],
    names: Sequence[str],
) -> list[GroupedFile]:
    """Read ``members`` ((file number, landed path), in run order) into ``table`` (a table of a
    database the run's connections share) with one ``read_csv``; the files it numbered.

    A file left out of the result is to be read alone. A reader error that names a file (one
    DuckDB's parallel reader cannot read, such as a quoted line break in a padded row) leaves
    that file out and the others are read again, at most ``MAX_GROUP_RETRIES`` times; any other
    error drops the table and returns nothing."""
    with contextlib.ExitStack() as stack:
        opened: list[tuple[int, OpenedFile]] = []
        for number, path in members:
            try:
                opened.append((number, stack.enter_context(open_landed_file(path))))
            except LandedFileError:
                continue  # gone or replaced meanwhile: read alone, which says so
        for _ in range(MAX_GROUP_RETRIES + 1):
            if len(opened) < MIN_GROUP_FILES:
                break
            try:
                return _read_group(con, table, opened, names)
            except duckdb.Error as error:
                drop_tables(con, table)
                failed = _file_named_in(error, [str(file.path) for _, file in opened])
                if failed is None:
                    break
                del opened[failed]
        return []


def _read_group(
    con: duckdb.DuckDBPyConnection,
    table: str,
    opened: list[tuple[int, OpenedFile]],
    names: Sequence[str],
) -> list[GroupedFile]:
    drop_tables(con, "csv_group_rejects", "csv_group_scans")
    try:
        con.execute(
            f"CREATE OR REPLACE TABLE {table} AS "
            + csv_read_select(
                list(names),
                compressed=False,
                rejects=("csv_group_rejects", "csv_group_scans"),
                extra_select="file_index::UINTEGER AS file_index",
            ),
            [[str(file.path) for _, file in opened]],
        )
        rejected = {
            str(path)
            for (path,) in con.execute(
                "SELECT DISTINCT s.file_path FROM csv_group_rejects AS r "
                "JOIN csv_group_scans AS s USING (scan_id, file_id)"
            ).fetchall()
        }
        counts = {
            int(index): (int(first), int(rows), int(blank))
            for index, first, rows, blank in con.execute(
                f"SELECT file_index, min(rowid), count(*), count(*) FILTER (WHERE is_blank) "
                f"FROM {table} GROUP BY file_index"
            ).fetchall()
        }
    finally:
        drop_tables(con, "csv_group_rejects", "csv_group_scans")
    grouped = []
    for index, (number, file) in enumerate(opened):
        first, rows, blank = counts.get(index, (0, 0, 0))
        if rows and not blank and str(file.path) not in rejected:
            grouped.append(GroupedFile(number, index, first, rows, file.size, file.mtime))
    return grouped


def _file_named_in(error: duckdb.Error, paths: list[str]) -> int | None:
    """The place in ``paths`` of the file a DuckDB reader error names (``file = …``), if any."""
    found = re.search(r"^\s*file = (.+?)\s*$", str(error), re.MULTILINE)
    if found and found.group(1) in paths:
        return paths.index(found.group(1))
    return None


def group_stage_select(read_table: str, members_table: str, names: Sequence[str]) -> str:
    """The staged rows (``file_number`` and ``STAGE_COLUMNS``) of the group's numbered files;
    ``members_table`` holds (file_index, file_number, first_rowid) for them."""
    columns = csv_stage_columns(names, "g.rowid - m.first_rowid + 1", "g")
    return (
        f"SELECT m.file_number, {columns} FROM {read_table} AS g "
        f"JOIN {members_table} AS m ON m.file_index = g.file_index"
    )


def members_rows(grouped: Sequence[GroupedFile]) -> str:
    """A VALUES list of (file_index, file_number, first_rowid): integers only."""
    return ", ".join(
        f"({int(f.file_index)}, {int(f.number)}, {int(f.first_rowid)})" for f in grouped
    )
