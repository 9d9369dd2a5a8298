"""Partition keys for landed files: safe for Dagster, stable, and collision-free."""

from __future__ import annotations

import hashlib
import re

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
# The shape of a key that carries a hash: a safe name of that shape gets a hash of its own too,
# so a file literally named like another file's key ("a_b.csv-50a29e02") cannot take it.
_HASHED = re.compile(r"-[0-9a-f]{8}$")
MAX_KEY_LENGTH = 120


def partition_key_for(file_name: str) -> str:
    """Map a file name to a dynamic partition key.

    Names made only of letters, digits, ``.``, ``_`` and ``-`` are used as they are. Any other
    character (commas, ``|``, spaces, path separators, non-ASCII) is replaced by ``_`` and a short
    hash of the original name is appended, so two names that sanitise alike never share a key;
    a safe name that ends like a hashed key (``-`` and 8 hex digits) is hashed as well.
    """
    safe = _UNSAFE.sub("_", file_name).strip("._") or "file"
    if safe == file_name and len(safe) <= MAX_KEY_LENGTH and not _HASHED.search(safe):
        return safe
    digest = hashlib.sha1(file_name.encode("utf-8", "surrogateescape")).hexdigest()[:8]
    return f"{safe[: MAX_KEY_LENGTH - 9]}-{digest}"
