"""Finding complete files in a landing directory. No Dagster here."""

from __future__ import annotations

import errno
import functools
import gc
import json
import os
import stat
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from batch_platform.lib.keys import partition_key_for
from batch_platform.lib.settings import DEFAULT_SETTLE_SECONDS

DONE_SUFFIX = ".done"
IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".inprogress", ".filepart")
__all__ = [
    "DEFAULT_SETTLE_SECONDS",
    "LandedFile",
    "LandedFileError",
    "LandingWatch",
    "OpenedFile",
    "find_landed_file",
    "find_landed_files",
    "garbage_collection_paused",
    "open_landed_file",
    "scan_landing_dir",
]


_pause_lock = threading.Lock()
_pauses = 0
_collector_was_enabled = False


@contextmanager
def garbage_collection_paused() -> Iterator[None]:
    """Python's cyclic garbage collector held off for the block (nested and concurrent blocks
    allowed: it runs again when the last one ends, if it ran before the first).

    A tick over tens of thousands of landed files allocates several objects per file (its
    entry, its ``LandedFile``, its cursor entry, its run request). Every 700 allocations start a
    collection, and each tenth of those a full one over the whole process heap (Dagster's
    definitions and all), several times a tick: 0.2 to 0.45 s of a one-second tick over 50,000
    waiting files (``make bench``). What a tick allocates is freed by reference counting; any
    cycle among it is collected after the block.
    """
    global _pauses, _collector_was_enabled
    with _pause_lock:
        if _pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _collector_was_enabled:
                gc.enable()


@dataclass(frozen=True)
class LandedFile:
    directory: Path
    name: str
    size: int
    mtime_ns: int
    ctime_ns: int = 0

    @property
    def path(self) -> Path:
        return self.directory / self.name

    @functools.cached_property
    def partition_key(self) -> str:  # asked several times a file by a sensor's tick
        return partition_key_for(self.name)

    @functools.cached_property
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
    return _scan(directory, accepts, settle_seconds, now).complete


@dataclass
class _Scan:
    complete: list[LandedFile] = field(default_factory=list)
    # ctime of the oldest file still landing (no marker, not settled), if any
    oldest_incomplete_ns: int | None = None
    # Files named in ``known`` with the same fingerprint: (name, fingerprint, ctime), nothing built
    unchanged: list[tuple[str, str, int]] = field(default_factory=list)


def _scan(
    directory: Path,
    accepts: Callable[[str], bool] | None,
    settle_seconds: float,
    now: float | None,
    changed_since_ns: int = 0,
    known: dict[str, str] | None = None,
) -> _Scan:
    """The scan behind ``scan_landing_dir``; files whose inode changed (ctime) before
    ``changed_since_ns`` are passed over without building anything for them, and so are files
    that ``known`` (name → fingerprint) holds unchanged, listed only in ``unchanged``: a tick over
    tens of thousands of files does one ``stat`` each and little else."""
    found = _Scan()
    if not directory.is_dir():
        return found
    now = time.time() if now is None else now
    known = known or {}
    root = directory.resolve()
    with os.scandir(directory) as iterator:
        entries = list(iterator)
    names = {entry.name for entry in entries}
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
        try:
            status = entry.stat()
        except FileNotFoundError:
            continue
        ctime_ns = status.st_ctime_ns
        if ctime_ns < changed_since_ns or stat.S_ISDIR(status.st_mode):
            continue
        if entry.is_symlink() and not Path(entry.path).resolve().is_relative_to(root):
            continue
        fingerprint = f"{status.st_size}:{status.st_mtime_ns}"
        if known.get(name) == fingerprint:
            found.unchanged.append((name, fingerprint, ctime_ns))
            continue
        marked_done = f"{name}{DONE_SUFFIX}" in names
        if not marked_done and now - status.st_mtime < settle_seconds:
            oldest = found.oldest_incomplete_ns
            found.oldest_incomplete_ns = min(oldest or ctime_ns, ctime_ns)
            continue
        found.complete.append(
            LandedFile(
                directory=directory,
                name=name,
                size=status.st_size,
                mtime_ns=status.st_mtime_ns,
                ctime_ns=ctime_ns,
            )
        )
    found.complete.sort(key=lambda f: (f.mtime_ns, f.name))
    return found


# Files whose inode changed within this long before the newest one handled are looked at again
# on every tick: a file written while a scan ran (a fraction of a second for 50,000 files) may
# carry a slightly older change time than one the scan handled.
WATCH_MARGIN_NS = 10 * 10**9


@dataclass
class _Watched:
    since_ns: int = 0
    recent: dict[str, str] = field(default_factory=dict)  # name → fingerprint, changed ≥ since
    scanned: list[LandedFile] = field(default_factory=list)  # complete, new or changed
    unchanged: list[tuple[str, str, int]] = field(default_factory=list)  # name, fingerprint, ctime
    requested: set[str] = field(default_factory=set)
    oldest_incomplete_ns: int | None = None


class LandingWatch:
    """What a landing sensor remembers between ticks, bounded by what lands at once, not by
    every file ever seen.

    Per watched folder: a time ``since`` before which every file was dealt with (by the inode's
    change time, which copying, renaming or writing a file sets to the present and no one can set
    back, unlike mtime), and the fingerprints of the files that changed after it. A tick looks
    only at files changed since then: new or rewritten complete files are returned, and
    ``since`` moves up to the newest file requested, never past a file still landing or one not
    requested yet (a tick that stops at its run limit leaves the rest for the next).

    The cursor of earlier versions (every requested file's fingerprint, keyed by the sensor's own
    scheme) is read once: ``legacy_key`` names a file's key in it.
    """

    def __init__(self, cursor: str | None):
        self._folders: dict[str, _Watched] = {}
        self._legacy: dict[str, str] = {}
        loaded = json.loads(cursor) if cursor else {}
        if isinstance(loaded, dict) and loaded.get("version") == 2:
            for folder, state in loaded["folders"].items():
                self._folders[folder] = _Watched(state["since_ns"], dict(state["recent"]))
        elif isinstance(loaded, dict):
            self._legacy = {str(k): str(v) for k, v in loaded.items()}

    def scan(
        self,
        folder: str,
        directory: Path,
        accepts: Callable[[str], bool] | None = None,
        settle_seconds: float = DEFAULT_SETTLE_SECONDS,
        *,
        now: float | None = None,
        legacy_key: Callable[[LandedFile], str] | None = None,
    ) -> list[LandedFile]:
        """Complete files of ``directory`` that are new or changed since they were requested,
        oldest first. ``folder`` names the folder's state in the cursor."""
        watched = self._folders.setdefault(folder, _Watched())
        found = _scan(directory, accepts, settle_seconds, now, watched.since_ns, watched.recent)
        watched.scanned = found.complete
        watched.unchanged = found.unchanged
        watched.oldest_incomplete_ns = found.oldest_incomplete_ns
        changed = []
        for landed in found.complete:
            if legacy_key and self._legacy.get(legacy_key(landed)) == landed.fingerprint:
                watched.recent[landed.name] = landed.fingerprint
                continue
            changed.append(landed)
        return changed

    def requested(self, folder: str, landed: LandedFile) -> None:
        """``landed`` has been requested (a run, or whatever the sensor does with it)."""
        watched = self._folders[folder]
        watched.recent[landed.name] = landed.fingerprint
        watched.requested.add(landed.name)

    def cursor(self) -> str:
        folders = {}
        for folder, watched in self._folders.items():
            # (name, fingerprint, ctime) of every file dealt with: known and unchanged, or
            # requested by this tick; the ctime of every file not dealt with yet.
            handled, waiting = list(watched.unchanged), []
            for landed in watched.scanned:
                if watched.recent.get(landed.name) == landed.fingerprint:
                    handled.append((landed.name, landed.fingerprint, landed.ctime_ns))
                else:
                    waiting.append(landed.ctime_ns)
            if watched.oldest_incomplete_ns is not None:
                waiting.append(watched.oldest_incomplete_ns)
            # Never back (every file scanned changed at or after the old value), never past a
            # file still waiting.
            since = watched.since_ns
            if handled:
                since = max(since, max(ctime for _, _, ctime in handled) - WATCH_MARGIN_NS)
            if waiting:
                since = min(since, min(waiting))
            recent = {name: fp for name, fp, ctime in handled if ctime >= since}
            folders[folder] = {"since_ns": since, "recent": recent}
        return json.dumps({"version": 2, "folders": folders}, separators=(",", ":"))


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
