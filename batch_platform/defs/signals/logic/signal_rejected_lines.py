"""The rows DuckDB's fast readers rejected, read again alone and put back in their place.

DuckDB's CSV reader with ``store_rejects`` reads on past a row it cannot take (invalid UTF-8, too
many fields, a line over its size limit) and records that row's physical line number. So one bad
row among millions does not send the file to a row-by-row Python reader: the readers keep what
DuckDB read, read only the rejected lines again in one streaming pass over the bytes (nothing
held but those lines), and number every row as if the file had been read row by row.

Data rows are numbered 1..N in file order; blank lines and rows whose fields are all blank are
not data rows. DuckDB skips empty lines of a CSV file without a trace, so the pass also counts
the empty lines before each rejected line. Numbering is a step function over the kept rows'
``rowid`` (shift up past each rejected row, down past each blank row), written as a ``CASE``
expression: with more than ``MAX_NUMBERING_STEPS`` steps the caller falls back to the exact reader.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np

from batch_platform.defs.signals.logic.signal_file_format import open_bytes
from batch_platform.defs.signals.logic.signal_stage import create_table_as

MAX_REJECTED_LINES = 10_000
MAX_NUMBERING_STEPS = 256
MAX_KEPT_LINE_BYTES = 16 * 1024 * 1024
CHUNK_BYTES = 8 * 1024 * 1024
_NEWLINE, _CARRIAGE_RETURN = 10, 13


@dataclass(frozen=True)
class RejectedLine:
    """A physical line DuckDB's reader did not take, and what it said about it."""

    line: int
    problems: tuple[str, ...]
    message: str
    shown: str


@dataclass
class LineReadBack:
    """A rejected line's bytes (its first ``MAX_KEPT_LINE_BYTES``), its full length, and how
    many empty lines come before it in the file."""

    line: int
    empty_lines_before: int = -1
    start: int = -1
    data: bytearray = field(default_factory=bytearray)
    length: int = 0
    complete: bool = False

    @property
    def text(self) -> str:
        raw = bytes(self.data).removesuffix(b"\n").removesuffix(b"\r")
        return raw.decode("utf-8", "surrogateescape")

    @property
    def truncated(self) -> bool:
        return self.length > len(self.data)

    @property
    def too_long(self) -> str:
        """The reason a truncated line is kept without its values."""
        return (
            f"line of {self.length:,} bytes is longer than the "
            f"{MAX_KEPT_LINE_BYTES // (1024 * 1024)} MiB a row may have"
        )


def rejected_lines(con: duckdb.DuckDBPyConnection, rejects_table: str) -> list[RejectedLine]:
    """The rejected lines of the last scan, one entry per line, in file order."""
    rows = con.execute(
        "SELECT line, list(DISTINCT error_type ORDER BY error_type), "
        "list(error_message ORDER BY error_type)[1], any_value(csv_line) "
        f"FROM {rejects_table} GROUP BY line ORDER BY line"
    ).fetchall()
    return [
        RejectedLine(
            line=int(line),
            problems=tuple(problems),
            message=str(message or "").splitlines()[0] if message else "",
            shown=str(shown or ""),
        )
        for line, problems, message, shown in rows
    ]


def read_lines_back(path: Path, compressed: bool, lines: Iterable[int]) -> list[LineReadBack]:
    """Read the given physical lines (1-based, sorted) from the file in one pass.

    Memory holds one chunk and the wanted lines (each cut at ``MAX_KEPT_LINE_BYTES``); reading
    stops after the last wanted line.
    """
    wanted = [LineReadBack(line=n) for n in lines]
    pending_starts = list(wanted)  # lines whose start is not found yet
    reading: list[LineReadBack] = []  # lines started, not yet ended
    newlines_before = 0  # newlines before the current chunk
    empty_before = 0  # empty lines ended before the current chunk
    last_newline = -1  # absolute position of the last newline seen
    last_byte = -1
    offset = 0
    with open_bytes(path, compressed) as handle:
        while pending_starts or reading:
            chunk = handle.read(CHUNK_BYTES)
            if not chunk:
                break
            positions, empty = _newlines(chunk, offset, last_newline, last_byte)
            count = len(positions)
            while pending_starts and pending_starts[0].line - 1 <= newlines_before + count:
                item = pending_starts.pop(0)
                before = item.line - 1 - newlines_before  # newlines of this chunk before it
                if before <= 0:  # line 1
                    item.start, item.empty_lines_before = 0, 0
                else:
                    item.start = int(positions[before - 1]) + 1
                    item.empty_lines_before = empty_before + int(np.count_nonzero(empty[:before]))
                reading.append(item)
            for item in reading:
                _take_line_bytes(item, chunk, offset)
            reading = [item for item in reading if not item.complete]
            if count:
                newlines_before += count
                empty_before += int(np.count_nonzero(empty))
                last_newline = int(positions[-1])
            last_byte = chunk[-1]
            offset += len(chunk)
    for item in reading:
        item.complete = True  # the last line of a file without a final newline
    return [item for item in wanted if item.start >= 0]


def _newlines(chunk: bytes, offset: int, last_newline: int, last_byte: int):
    """Absolute positions of the chunk's newlines and, for each, whether it ends an empty line
    (nothing, or only a carriage return, since the previous newline)."""
    array = np.frombuffer(chunk, np.uint8)
    positions = np.flatnonzero(array == _NEWLINE)
    if not positions.size:
        return positions, positions.astype(bool)
    previous = np.empty_like(positions)
    previous[0] = last_newline - offset
    previous[1:] = positions[:-1]
    gap = positions - previous
    before = positions - 1
    carriage = np.zeros(positions.size, dtype=bool)
    inside = before >= 0
    carriage[inside] = array[before[inside]] == _CARRIAGE_RETURN
    if not inside[0]:
        carriage[0] = last_byte == _CARRIAGE_RETURN
    empty = (gap == 1) | ((gap == 2) & carriage)
    return positions + offset, empty


def _take_line_bytes(item: LineReadBack, chunk: bytes, offset: int) -> None:
    local = item.start - offset
    if local >= len(chunk):
        return
    local = max(local, 0)
    end = chunk.find(b"\n", local)
    stop = len(chunk) if end < 0 else end + 1
    room = MAX_KEPT_LINE_BYTES - len(item.data)
    if room > 0:
        item.data += chunk[local : min(stop, local + room)]
    item.length += stop - local
    item.complete = end >= 0


def same_line(read_back: LineReadBack, rejected: RejectedLine) -> bool:
    """Whether the line read back is the one DuckDB rejected: DuckDB shows invalid bytes as
    '?' (and sometimes the previous line's newline); compare what both keep."""

    def comparable(text: str) -> str:
        kept = "".join("?" if "\udc80" <= ch <= "\udcff" else ch for ch in text)
        return kept.replace("\r", "").replace("\n", "")

    ours, theirs = comparable(read_back.text), comparable(rejected.shown)
    if not ours or not theirs:
        return ours == theirs
    shortest = min(len(ours), len(theirs), 4096)
    return ours[:shortest] == theirs[:shortest]


def numbering(
    good_rows_before: list[int], blank_rowids: list[int]
) -> tuple[list[tuple[int, int]], list[int]] | None:
    """The step function that numbers kept rows as data rows, and the rejected rows' numbers.

    ``good_rows_before[j]`` is how many rows DuckDB kept before the j-th rejected row (sorted);
    ``blank_rowids`` are the kept rows that are not data rows. A kept row with rowid ``r`` has
    data row number ``r + 1 + shift(r)``; steps are ``(from_rowid, shift)``. None when the step
    function is too large to write as one expression.
    """
    deltas: dict[int, int] = {}
    for before in good_rows_before:
        deltas[before] = deltas.get(before, 0) + 1
    for rowid in blank_rowids:
        deltas[rowid + 1] = deltas.get(rowid + 1, 0) - 1
    if len(deltas) > MAX_NUMBERING_STEPS:
        return None
    steps, shift = [], 0
    for start in sorted(deltas):
        shift += deltas[start]
        steps.append((start, shift))
    rejected_numbers = [
        before - bisect.bisect_left(blank_rowids, before) + j + 1
        for j, before in enumerate(good_rows_before)
    ]
    return steps, rejected_numbers


def numbered_sql(steps: list[tuple[int, int]]) -> str:
    """SQL for a kept row's data row number from its ``rowid``."""
    if not steps:
        return "rowid + 1"
    cases = " ".join(f"WHEN rowid >= {start} THEN {shift}" for start, shift in reversed(steps))
    return f"rowid + 1 + CASE {cases} ELSE 0 END"


def in_order(good_rows_before: list[int], kept_rows: int) -> bool:
    """Whether the rejected rows' positions are consistent with the rows kept."""
    previous = 0
    for before in good_rows_before:
        if before < previous or before > kept_rows:
            return False
        previous = before
    return True


@dataclass(frozen=True)
class PlacedRows:
    """How to number what DuckDB kept, and the rejected rows read back with their numbers."""

    relation: str  # the kept rows: the read itself, or a copy without its blank rows
    line_sql: str  # a kept row's data row number, from its rowid
    rejected: list[tuple[int, LineReadBack, RejectedLine]]


def place_rejected_rows(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    compressed: bool,
    read_table: str,
    *,
    header_lines: int,
    skips_empty_lines: bool,
    can_place: Callable[[], bool] = lambda: True,
) -> PlacedRows | None:
    """Number the rows of ``read_table`` (DuckDB's read, with an ``is_blank`` column) and the
    rows its reader rejected (``csv_rejects``) as data rows; None when the exact reader must
    read the file instead.

    ``header_lines`` lines precede the first row; ``skips_empty_lines`` says whether DuckDB's
    read left out empty lines (a CSV read does; a one-column read keeps them as rows).
    ``can_place`` is asked only when rows were rejected.
    """
    rejected = rejected_lines(con, "csv_rejects")
    if len(rejected) > MAX_REJECTED_LINES:
        return None
    kept_rows = con.execute(f"SELECT count(*) FROM {read_table}").fetchall()[0][0]
    blanks = [
        row[0]
        for row in con.execute(
            f"SELECT rowid FROM {read_table} WHERE is_blank ORDER BY rowid LIMIT ?",
            [MAX_NUMBERING_STEPS + 1],
        ).fetchall()
    ]
    relation = read_table
    if not rejected and len(blanks) > MAX_NUMBERING_STEPS:
        relation, blanks = f"{read_table}_kept", []
        # Beside the read (a temp table, or in the database a run's reading threads share).
        create_table_as(con, relation, f"SELECT * FROM {read_table} WHERE NOT is_blank")
    if rejected and not can_place():
        return None
    read_back = read_lines_back(path, compressed, [r.line for r in rejected]) if rejected else []
    if len(read_back) != len(rejected) or not all(
        same_line(back, rejection) for back, rejection in zip(read_back, rejected, strict=True)
    ):
        return None
    # The lines before a rejected line: header lines, empty lines (when the read skipped
    # them), rows kept and rows rejected.
    good_before = [
        rejection.line - 1 - header_lines - (back.empty_lines_before if skips_empty_lines else 0)
        - j
        for j, (rejection, back) in enumerate(zip(rejected, read_back, strict=True))
    ]  # fmt: skip
    numbered = numbering(good_before, blanks) if in_order(good_before, kept_rows) else None
    if numbered is None:
        return None
    steps, numbers = numbered
    return PlacedRows(
        relation, numbered_sql(steps), list(zip(numbers, read_back, rejected, strict=True))
    )
