"""Finding complete files in a landing directory. No Dagster here."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from batch_platform.lib.keys import partition_key_for
from batch_platform.lib.settings import DEFAULT_SETTLE_SECONDS

DONE_SUFFIX = ".done"
IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".inprogress", ".filepart")
__all__ = [
    "DEFAULT_SETTLE_SECONDS",
    "LandedFile",
    "find_landed_file",
    "find_landed_files",
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
    modified for ``settle_seconds``. Hidden files, in-progress suffixes and symlinks pointing
    outside the directory are ignored. ``accepts`` (a file name test) narrows the files; without
    it every complete file counts, so that unsupported ones reach a run that says why.
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
        if not entry.is_file():
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
    root = directory.resolve()
    with os.scandir(directory) as iterator:
        for entry in iterator:
            if not entry.is_file():
                continue
            key = partition_key_for(entry.name)
            if key not in found or found[key] is not None:
                continue
            if entry.is_symlink() and not Path(entry.path).resolve().is_relative_to(root):
                continue
            found[key] = Path(entry.path)
    return found
