"""Partition keys for landed files: safe for Dagster, stable, and collision-free."""

from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
MAX_KEY_LENGTH = 120


def partition_key_for(file_name: str) -> str:
    """Map a file name to a dynamic partition key.

    Names made only of letters, digits, ``.``, ``_`` and ``-`` are used as they are. Any other
    character (commas, ``|``, spaces, path separators, non-ASCII) is replaced by ``_`` and a short
    hash of the original name is appended, so two names that sanitise alike never share a key.
    """
    safe = _UNSAFE.sub("_", file_name).strip("._") or "file"
    if safe == file_name and len(safe) <= MAX_KEY_LENGTH:
        return safe
    digest = hashlib.sha1(file_name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{safe[: MAX_KEY_LENGTH - 9]}-{digest}"
