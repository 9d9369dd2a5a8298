"""What a landed signal file is: its format by name, its header mapped to the contract, and the
checks on its first bytes that reject a file before any reader runs."""

from __future__ import annotations

import csv
import gzip
import io
import re
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

CONTRACT_COLUMNS = (
    "event_id",
    "occurred_at",
    "source",
    "event_type",
    "email",
    "account_domain",
    "properties",
)
REQUIRED_COLUMNS = ("occurred_at", "source", "event_type", "email")
SUFFIXES = {
    ".csv": ("csv", False),
    ".csv.gz": ("csv", True),
    ".jsonl": ("jsonl", False),
    ".ndjson": ("jsonl", False),
    ".jsonl.gz": ("jsonl", True),
    ".ndjson.gz": ("jsonl", True),
    ".parquet": ("parquet", False),
}
MAX_FIELD_BYTES = 256 * 1024 * 1024
_SEPARATORS = re.compile(r"[\s\-]+")

csv.field_size_limit(MAX_FIELD_BYTES)


class FileRejected(Exception):
    """The whole file cannot be read; ``reason`` says why."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def file_format(name: str) -> tuple[str, bool] | None:
    """('csv' | 'jsonl' | 'parquet', gzip-compressed) for a supported file name, else None."""
    lower = name.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            return SUFFIXES[suffix]
    return None


def normalise_column_name(name: str) -> str:
    """Header names match case- and whitespace-insensitively: ' Event ID' -> 'event_id'."""
    return _SEPARATORS.sub("_", name.strip().lstrip("\ufeff").strip()).lower()


def map_columns(names: list[str]) -> tuple[dict[str, int], dict[str, int]]:
    """Split header positions into contract columns (first occurrence wins) and extra columns."""
    contract: dict[str, int] = {}
    extra: dict[str, int] = {}
    for position, name in enumerate(names):
        normalised = normalise_column_name(name)
        if normalised in CONTRACT_COLUMNS and normalised not in contract:
            contract[normalised] = position
            continue
        key = name.strip() or f"column_{position + 1}"
        while key in extra:  # repeated or empty names must not hide each other's values
            key = f"{key}_{position + 1}"
        extra[key] = position
    return contract, extra


def check_required(names: list[str], contract: dict[str, int]) -> None:
    missing = [column for column in REQUIRED_COLUMNS if column not in contract]
    if not missing:
        return
    shown = ", ".join(repr(n) for n in names[:12]) or "nothing"
    hint = ""
    if len(names) == 1 and any(d in names[0] for d in ";\t|"):
        hint = " The header looks delimited by something other than a comma."
    raise FileRejected(f"missing required columns {', '.join(missing)}; header has {shown}.{hint}")


def open_bytes(path: Path, compressed: bool) -> io.BufferedIOBase:
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def sniff_head(path: Path, compressed: bool) -> bytes:
    """The first 64 KiB of the (decompressed) file; rejects empty, binary and broken gzip."""
    try:
        with open_bytes(path, compressed) as handle:
            head = handle.read(64 * 1024)
    except (OSError, EOFError, zlib.error) as error:
        raise FileRejected(f"cannot decompress or read the file: {error}") from error
    if not head.strip():
        raise FileRejected("empty file")
    encoding = wide_text_encoding(head)
    if encoding:
        raise FileRejected(
            f"{encoding} text where UTF-8 was expected (in Excel, save as 'CSV UTF-8'; "
            f"or convert it: iconv -f {encoding} -t UTF-8)"
        )
    if b"\x00" in head:
        raise FileRejected("binary content (NUL bytes) where text was expected")
    if b"\r" in head and b"\n" not in head and len(head) > head.index(b"\r") + 1:
        raise FileRejected(
            "lines end with a lone carriage return (\\r, as old Mac OS wrote them); "
            "lines must end with \\n or \\r\\n"
        )
    return head


# Byte-order marks of the wide Unicode encodings, longest first (UTF-32 LE starts like UTF-16 LE).
_WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32LE"),
    (b"\x00\x00\xfe\xff", "UTF-32BE"),
    (b"\xff\xfe", "UTF-16LE"),
    (b"\xfe\xff", "UTF-16BE"),
)


def wide_text_encoding(head: bytes) -> str | None:
    """'UTF-16LE' etc. when ``head`` is text in a wide Unicode encoding: by its byte-order mark,
    or (without one) by ASCII text's zero high bytes at every other position."""
    for bom, encoding in _WIDE_BOMS:
        if head.startswith(bom):
            return encoding
    sample = head[:1024]
    if len(sample) >= 8:
        even, odd = sample[0::2], sample[1::2]
        if odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even):
            return "UTF-16LE"
        if even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd):
            return "UTF-16BE"
    return None


@contextmanager
def decompressed_once(path: Path) -> Iterator[Path]:
    """The gzip file ``path`` decompressed into a temporary file (under $TMPDIR), checked whole
    on the way: a truncated or corrupt stream is rejected, which DuckDB would pass over quietly.
    The readers then read plain text, DuckDB's on every core, instead of decompressing a second
    time on one thread. The file is removed when the block ends."""
    with tempfile.TemporaryDirectory(prefix="batch_platform_gunzip_") as directory:
        target = Path(directory) / "decompressed"
        try:
            with gzip.open(path, "rb") as source, open(target, "wb") as sink:
                shutil.copyfileobj(source, sink, 4 * 1024 * 1024)
        except (OSError, EOFError, zlib.error) as error:
            raise FileRejected(
                f"cannot decompress the file (truncated or corrupt gzip): {error}"
            ) from error
        yield target


def check_gzip_complete(path: Path) -> None:
    """Read the whole gzip stream: DuckDB stops quietly at a truncation, Python does not."""
    try:
        with gzip.open(path, "rb") as handle:
            while handle.read(4 * 1024 * 1024):
                pass
    except (OSError, EOFError, zlib.error) as error:
        raise FileRejected(
            f"cannot decompress the file (truncated or corrupt gzip): {error}"
        ) from error


def csv_header(head: bytes) -> list[str]:
    text = head.decode("utf-8-sig", errors="replace")
    first_record = next(csv.reader(io.StringIO(text)), [])
    if not first_record:
        raise FileRejected("no header row")
    return first_record


MAX_LINE_CHARS = 16 * 1024 * 1024


class OverlongLine(str):
    """The start of a line longer than ``MAX_LINE_CHARS``; the rest was skipped, not held."""

    def __new__(cls, start: str, length: int):
        line = super().__new__(cls, start)
        line.problem = (
            f"line of {length:,} characters is longer than the "
            f"{MAX_LINE_CHARS // (1024 * 1024)} Mi characters a row may have"
        )
        return line


def text_lines(path: Path, compressed: bool) -> Iterator[str]:
    """The file's lines as text (invalid bytes kept as surrogates); a line longer than
    ``MAX_LINE_CHARS`` comes as an ``OverlongLine`` holding only its start."""
    with open_bytes(path, compressed) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
        while line := text.readline(MAX_LINE_CHARS):
            if len(line) < MAX_LINE_CHARS or line.endswith(("\n", "\r")):
                yield line
                continue
            length = len(line)
            while (rest := text.readline(MAX_LINE_CHARS)) and not rest.endswith(("\n", "\r")):
                length += len(rest)
            length += len(rest)
            yield OverlongLine(line[:1000], length)


def has_bad_bytes(value: str) -> bool:
    return any("\udc80" <= ch <= "\udcff" for ch in value)


def replace_bad_bytes(value: str) -> str:
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
