"""Landing batches: the files that land together, loaded under one partition.

A partition of ``signal_files`` is one landed file (its key from ``lib.keys``) or one landing
batch: the files a sensor tick found new together (at most $BATCH_PLATFORM_MAX_FILES_PER_RUN and
2 GiB). Dagster records every partition of a run with two events per asset (planned, then
materialized), each a few milliseconds of its storage: 100 files as 100 partitions of six assets
took about 9.5 s of events, as one batch 12 events (``docs/benchmarks.md``).

In the warehouse nothing changes: every file keeps its own ``partition_key`` (the file's key)
and ``partition_id``, its rows, its file row and its accounting; the batch only groups them for
Dagster. Which files a batch holds is its manifest, ``<signals dir>/.batches/<batch key>.json``,
written by the sensor before it requests the batch's run (a hidden folder: the landing scan never
picks it up) and read by every run of the batch, so a batch re-materialized from the UI loads the
same files (as they are then).

A batch key is ``batch~<files>-files~<first file's key>~<digest>``: ``~`` never appears in a
file's key, so the two kinds never collide, and the digest of the files' keys and fingerprints
makes the key of one set of files stable (a tick that failed after writing the manifest writes
the same one again).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

BATCH_PREFIX = "batch~"
MANIFEST_DIR = ".batches"
MAX_FIRST_KEY_CHARS = 60


class BatchManifestError(Exception):
    """A batch's manifest is missing or unreadable; the message says which and where."""


@dataclass(frozen=True)
class BatchFile:
    partition_key: str  # the file's own key (what the warehouse's rows carry)
    name: str  # the landed file name
    fingerprint: str  # size:mtime when the batch was formed


def is_batch_key(key: str) -> bool:
    return key.startswith(BATCH_PREFIX)


def batch_key(files: Sequence[BatchFile]) -> str:
    """The partition key of a batch of ``files`` (in landing order)."""
    digest = hashlib.sha256(
        "\n".join(f"{f.partition_key}={f.fingerprint}" for f in files).encode()
    ).hexdigest()[:12]
    first = files[0].partition_key[:MAX_FIRST_KEY_CHARS]
    return f"{BATCH_PREFIX}{len(files)}-files~{first}~{digest}"


def manifest_path(signals_dir: Path, key: str) -> Path:
    return Path(signals_dir) / MANIFEST_DIR / f"{key}.json"


def write_manifest(signals_dir: Path, key: str, files: Sequence[BatchFile]) -> Path:
    """Write the batch's manifest atomically (a temporary file renamed into place)."""
    path = manifest_path(signals_dir, key)
    path.parent.mkdir(exist_ok=True)
    body = {
        "partition_key": key,
        "files": [
            {"partition_key": f.partition_key, "name": f.name, "fingerprint": f.fingerprint}
            for f in files
        ],
    }
    # Compact JSON: the C encoder (an indented dump is Python's, 0.4 ms a manifest of 100
    # files, and a tick over 50,000 waiting files writes 500 of them).
    text = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    temporary = path.parent / f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        temporary.write_bytes(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return path


def read_manifest(signals_dir: Path, key: str) -> list[BatchFile]:
    path = manifest_path(signals_dir, key)
    try:
        body = json.loads(path.read_text(encoding="utf-8"))
        files = [
            BatchFile(str(f["partition_key"]), str(f["name"]), str(f.get("fingerprint", "")))
            for f in body["files"]
        ]
    except FileNotFoundError:
        raise BatchManifestError(
            f"the landing batch {key} has no manifest at {path}: was the landing folder's "
            f"{MANIFEST_DIR} folder removed or moved? Land its files again to load them"
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise BatchManifestError(f"cannot read the manifest of {key} ({path}): {error}") from None
    if not files:
        raise BatchManifestError(f"the manifest of {key} ({path}) lists no files")
    return files


def file_keys(signals_dir: Path, keys: Sequence[str]) -> list[str]:
    """The files' keys of a run's partitions, in order: a file's key as it is, a batch's
    files' keys from its manifest (each key once)."""
    found: dict[str, None] = {}
    for key in keys:
        if is_batch_key(key):
            found.update((f.partition_key, None) for f in read_manifest(signals_dir, key))
        else:
            found[key] = None
    return list(found)
