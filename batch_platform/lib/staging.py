"""Staging areas: where a step that waits on the network writes its results, as files.

A step that fetches (URLs, an office's API) can take hours and spends them waiting; it holds no
warehouse slot. It writes what it gets as Parquet *segments* in its partition's staging
directory, each written whole under a temporary name and renamed, so a segment is either all
there or absent, and a crash loses at most the buffer being written. The short step that then
writes the warehouse takes its domain's slot, folds every segment in within one transaction and,
once that has committed, removes them. Segments left by an interrupted run are how the next run
resumes: what they hold is not fetched again.

Layout: ``<warehouse dir>/staging/<domain>/<partition>/<sequence>-<pid>-<kind>.parquet``, the
partition directory named from the key when it is a safe file name, else from its hash.
No Dagster here.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._=-]{0,99}")
SEGMENT_SUFFIX = ".parquet"


def read_segments(paths: list[Path], columns: list[str] | None = None) -> Iterator[pa.Table]:
    """The rows of each segment of ``paths``, in order, one segment in memory at a time."""
    for path in paths:
        yield pq.read_table(path, columns=columns)


@contextmanager
def readable_paths(paths: list[Path]) -> Iterator[list[str]]:
    """The segments as paths DuckDB's readers take literally: each open file's
    ``/proc/self/fd`` path, since DuckDB expands ``*``, ``?`` and ``[`` in a path (the warehouse
    directory is the user's to name) as a glob. Valid while the block runs."""
    with ExitStack() as stack:
        descriptors = []
        for path in paths:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
            stack.callback(os.close, fd)
            descriptors.append(fd)
        yield [f"/proc/self/fd/{fd}" for fd in descriptors]


def partition_dir_name(partition_key: str) -> str:
    """A file name for ``partition_key``: itself when safe, else ``key-<sha256 prefix>``."""
    if SAFE_NAME.fullmatch(partition_key) and ".." not in partition_key:
        return partition_key
    digest = hashlib.sha256(partition_key.encode("utf-8", "surrogatepass")).hexdigest()[:24]
    return f"key-{digest}"


class StagingArea:
    """The staging directory of one domain's partition."""

    def __init__(self, root: Path | str, domain: str, partition_key: str):
        if not SAFE_NAME.fullmatch(domain):
            raise ValueError(f"not a domain name: {domain!r}")
        self.partition_key = partition_key
        self.directory = Path(root) / domain / partition_dir_name(partition_key)

    def write(self, kind: str, table: pa.Table) -> Path | None:
        """Write ``table`` as the next segment of ``kind``; nothing for an empty table."""
        if not SAFE_NAME.fullmatch(kind):
            raise ValueError(f"not a segment kind: {kind!r}")
        if table.num_rows == 0:
            return None
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{os.getpid()}-{kind}{SEGMENT_SUFFIX}"
        final = self.directory / name
        partial = self.directory / f".{name}.part"
        pq.write_table(table, partial, compression="zstd")
        with open(partial, "rb") as handle:  # on disk before it counts
            os.fsync(handle.fileno())
        os.replace(partial, final)
        return final

    def segments(self, kind: str | None = None) -> list[Path]:
        """Complete segments (of ``kind``, or all), oldest first."""
        if not self.directory.is_dir():
            return []
        found = [
            path
            for path in self.directory.iterdir()
            if path.name.endswith(SEGMENT_SUFFIX)
            and not path.name.startswith(".")
            and (kind is None or path.name[: -len(SEGMENT_SUFFIX)].endswith(f"-{kind}"))
        ]
        return sorted(found, key=lambda path: path.name)

    def read(self, kind: str | None = None, columns: list[str] | None = None) -> Iterator[pa.Table]:
        """Each segment's rows, oldest first (one segment in memory at a time)."""
        return read_segments(self.segments(kind), columns)

    def remove(self, paths: list[Path]) -> None:
        """Remove segments that have been written to the warehouse; the directory when empty."""
        for path in paths:
            path.unlink(missing_ok=True)
        self.discard_partials()
        try:
            self.directory.rmdir()
        except OSError:
            pass  # not empty (a newer segment), or already gone

    def discard_partials(self) -> None:
        """Temporary files of writes that never finished (the process died mid-write)."""
        if self.directory.is_dir():
            for path in self.directory.glob(".*.part"):
                path.unlink(missing_ok=True)

    def clear(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)
