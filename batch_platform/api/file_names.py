"""The name an uploaded signal file lands under: never a path, never hidden, never reserved.

The name comes from the URL, so from anyone holding a key. Path separators and control
characters become ``_``, leading dots and spaces go (no hidden file, no ``..``), and the names
the landing sensor reads as markers or files in progress (``.done``, ``.part``, …) are refused,
as is a name left without a letter or digit, or longer than 200 bytes. Every other character is
kept: the partition key (``batch_platform.lib.keys``) makes any name safe for Dagster and keeps
names apart.
"""

from __future__ import annotations

import re
import unicodedata

from batch_platform.lib.landing import DONE_SUFFIX, IN_PROGRESS_SUFFIXES

MAX_NAME_BYTES = 200
_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\]")


class FileNameError(ValueError):
    """No file may land under this name; the message says why."""


def landing_name(original: str) -> str:
    name = _UNSAFE.sub("_", unicodedata.normalize("NFC", original)).strip().lstrip(". ")
    if not any(ch.isalnum() for ch in name):
        raise FileNameError(
            "the name has no letter or digit once path separators and leading dots are removed"
        )
    if len(name.encode("utf-8", "surrogateescape")) > MAX_NAME_BYTES:
        raise FileNameError(f"the name is longer than {MAX_NAME_BYTES} bytes")
    lowered = name.lower()
    if lowered.endswith((DONE_SUFFIX, *IN_PROGRESS_SUFFIXES)):
        raise FileNameError(
            "names ending in .done or an in-progress suffix (.part, .tmp, …) are reserved for "
            "the landing sensor"
        )
    return name
