"""Which tables compaction works on, how, and what it reports: small files, deletes, counts."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

# A large file is rewritten without its deleted rows once this share of its rows is deleted
# (a partition replaced after it was merged leaves a delete file on the merged file). Small
# files with any deletes are always rewritten: DuckLake merges only files without deletes.
REWRITE_DELETED_FRACTION = 0.1


@dataclass(frozen=True)
class DataFile:
    """One Parquet file of a table's current snapshot."""

    path: str
    size_bytes: int
    has_deletes: bool


@dataclass(frozen=True)
class TableFiles:
    """The data files of one table, as its current snapshot lists them."""

    schema: str
    table: str
    files: tuple[DataFile, ...]

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    @property
    def file_count(self) -> int:
        return len(self.files)

    @property
    def size_bytes(self) -> int:
        return sum(f.size_bytes for f in self.files)

    def small_files(self, small_bytes: int) -> int:
        return sum(1 for f in self.files if f.size_bytes < small_bytes)


@dataclass(frozen=True)
class CompactionPlan:
    """What to call for one table: rewrite files with deletes first (at ``rewrite_threshold``,
    the deleted share of a file's rows that warrants it; None: no rewrite), then merge."""

    rewrite_threshold: float | None


def compaction_plan(files: TableFiles, small_bytes: int) -> CompactionPlan | None:
    """None when the table has nothing to gain: at most one small file and no deletes."""
    with_deletes = [f for f in files.files if f.has_deletes]
    if files.small_files(small_bytes) < 2 and not with_deletes:
        return None
    if not with_deletes:
        return CompactionPlan(rewrite_threshold=None)
    all_small = all(f.size_bytes < small_bytes for f in with_deletes)
    # Rewriting small files costs little, and until rewritten they are never merged.
    return CompactionPlan(rewrite_threshold=0.0 if all_small else REWRITE_DELETED_FRACTION)


@dataclass(frozen=True)
class Compaction:
    """One table before and after compaction."""

    before: TableFiles
    after: TableFiles

    def row(self) -> tuple[str, int, int, int, int]:
        return (
            self.before.name,
            self.before.file_count,
            self.after.file_count,
            self.before.size_bytes,
            self.after.size_bytes,
        )


COMPACTION_HEADERS = ("table", "files before", "files after", "bytes before", "bytes after")


def compaction_totals(compactions: Sequence[Compaction]) -> dict[str, int]:
    """What the asset's metadata says about the tables it compacted."""
    return {
        "tables_compacted": len(compactions),
        "files_before": sum(c.before.file_count for c in compactions),
        "files_after": sum(c.after.file_count for c in compactions),
        "bytes_before": sum(c.before.size_bytes for c in compactions),
        "bytes_after": sum(c.after.size_bytes for c in compactions),
    }


def tables_with_too_many_small_files(
    tables: Iterable[TableFiles], small_bytes: int, max_small_files: int
) -> dict[str, int]:
    """Tables with more than ``max_small_files`` small files, and how many each has."""
    return {
        t.name: t.small_files(small_bytes)
        for t in tables
        if t.small_files(small_bytes) > max_small_files
    }
