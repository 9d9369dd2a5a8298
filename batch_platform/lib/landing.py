"""Finding complete files in a landing directory. No Dagster here."""

from __future__ import annotations

import errno
import os
import stat
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from batch_platform.lib.keys import partition_key_for
from batch_platform.lib.settings import DEFAULT_SETTLE_SECONDS

DONE_SUFFIX = ".done"
IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".inprogress", ".filepart")
__all__ = [
    "DEFAULT_SETTLE_SECONDS",
    "LandedFile",
    "LandedFileError",
    "OpenedFile",
    "find_landed_file",
    "find_landed_files",
    "open_landed_file",
    "scan_landing_dir",
]


@dataclass(frozen=True)
class LandedFile:
    path: Path
    name: str
    partition_key: str
    size: int
    mtime_ns: int

    @property
    def fingerprint(self) -> str:
        return f"{self.size}:{self.mtime_ns}"


def scan_landing_dir(
    directory: Path,
    accepts: Callable[[str], bool] | None = None,
    settle_seconds: float = DEFAULT_SETTLE_SECONDS,
    now: float | None = None,
) -> list[LandedFile]:
    """Complete files in ``directory`` (top level), oldest first.

    A file is complete when a ``<name>.done`` marker sits beside it, or when it has not been
    modified for ``settle_seconds``. Hidden files, in-progress suffixes, directories and symlinks
    pointing outside the directory are ignored; other entries that are no regular file (a FIFO)
    are listed, so that their run quarantines them with the reason. ``accepts`` (a file name
    test) narrows the files; without it every complete file counts, so that unsupported ones
    reach a run that says why.
    """
    if not directory.is_dir():
        return []
    now = time.time() if now is None else now
    root = directory.resolve()
    entries: list[os.DirEntry] = []
    names: set[str] = set()
    with os.scandir(directory) as iterator:
        for entry in iterator:
            names.add(entry.name)
            entries.append(entry)
    files = []
    for entry in entries:
        name = entry.name
        if (
            name.startswith(".")
            or name.endswith(DONE_SUFFIX)
            or name.endswith(IN_PROGRESS_SUFFIXES)
        ):
            continue
        if accepts is not None and not accepts(name):
            continue
        if entry.is_symlink() and not Path(entry.path).resolve().is_relative_to(root):
            continue
        try:
            stat = entry.stat()
        except FileNotFoundError:
            continue
        if entry.is_dir():
            continue
        marked_done = f"{name}{DONE_SUFFIX}" in names
        if not marked_done and now - stat.st_mtime < settle_seconds:
            continue
        files.append(
            LandedFile(
                path=Path(entry.path),
                name=name,
                partition_key=partition_key_for(name),
                size=stat.st_size,
                mtime_ns=stat.st_mtime_ns,
            )
        )
    files.sort(key=lambda f: (f.mtime_ns, f.name))
    return files


def find_landed_file(directory: Path, partition_key: str) -> Path | None:
    """The file in ``directory`` whose partition key is ``partition_key``."""
    return find_landed_files(directory, [partition_key])[partition_key]


def find_landed_files(directory: Path, partition_keys: list[str]) -> dict[str, Path | None]:
    """The file in ``directory`` for each partition key (None if gone), in one directory scan."""
    found: dict[str, Path | None] = dict.fromkeys(partition_keys)
    if not directory.is_dir():
        return found
    with os.scandir(directory) as iterator:
        for entry in iterator:
            # Whatever the name holds now (a link, a FIFO) is found: open_landed_file refuses
            # it with its reason, instead of the run calling the file gone.
            if entry.is_dir(follow_symlinks=False):
                continue
            key = partition_key_for(entry.name)
            if key in found and found[key] is None:
                found[key] = Path(entry.path)
    return found


class LandedFileError(OSError):
    """A landed file that must not be read: a symbolic link, not a regular file, or gone."""


@dataclass(frozen=True)
class OpenedFile:
    """A landed file held open: readers read ``path``, which names the open file itself."""

    path: Path  # /proc/self/fd/<n>: no pattern characters, and no second lookup of the name
    name: str
    size: int
    mtime: float


@contextmanager
def open_landed_file(path: Path) -> Iterator[OpenedFile]:
    """Open ``path`` by its exact name, without following a symbolic link, and only if it is a
    regular file (a FIFO or device would block a reader for ever); the checks apply to the very
    file the readers then read, whatever happens to the name meanwhile.

    DuckDB's readers expand ``*``, ``?`` and ``[`` in a path as a glob, so they are given the
    open file's ``/proc/self/fd`` path, never the landed name.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise LandedFileError(
                f"{path.name} is a symbolic link; landed files are read only as regular files"
            ) from None
        raise LandedFileError(f"cannot open {path.name}: {error.strerror}") from None
    try:
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode):
            raise LandedFileError(
                f"{path.name} is not a regular file (a FIFO, device or directory is never read)"
            )
        os.set_blocking(fd, True)
        yield OpenedFile(
            path=Path(f"/proc/self/fd/{fd}"),
            name=path.name,
            size=status.st_size,
            mtime=status.st_mtime,
        )
    finally:
        os.close(fd)
