"""URL lists as submitted: ``.txt`` (one URL a line) or CSV (a ``url`` column plus metadata).

Every line ends up either as an item to fetch or as a rejection with its reason (invalid URL,
duplicate of an earlier line), so a submission can report both before anything is fetched.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

SUPPORTED_SUFFIXES = (".txt", ".csv")
MAX_URL_LENGTH = 2048


class UrlListError(ValueError):
    """The file as a whole cannot be read as a URL list; the message names the file."""


@dataclass(frozen=True)
class UrlItem:
    line: int
    url: str  # normalised: lower-case scheme and host, default port and fragment dropped
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rejected:
    line: int
    value: str
    reason: str


@dataclass
class UrlList:
    items: list[UrlItem]
    rejected: list[Rejected]

    @property
    def invalid(self) -> list[Rejected]:
        return [r for r in self.rejected if not r.reason.startswith("duplicate")]

    @property
    def duplicates(self) -> list[Rejected]:
        return [r for r in self.rejected if r.reason.startswith("duplicate")]


def is_supported(name: str) -> bool:
    return name.lower().endswith(SUPPORTED_SUFFIXES)


def normalise_url(value: str) -> str:
    """The URL to fetch, or ValueError saying what is wrong with it."""
    text = value.strip()
    if not text:
        raise ValueError("empty URL")
    if len(text) > MAX_URL_LENGTH:
        raise ValueError(f"URL longer than {MAX_URL_LENGTH} characters")
    if any(ch.isspace() for ch in text):
        raise ValueError("URL contains whitespace")
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError as error:
        raise ValueError(f"unparseable URL ({error})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError(f"scheme {parts.scheme or '(none)'!r} is not http or https")
    host = (parts.hostname or "").lower()
    if not host:
        raise ValueError("URL has no host")
    if parts.username or parts.password:
        raise ValueError("URL carries credentials")
    default = {"http": 80, "https": 443}[scheme]
    netloc = f"[{host}]" if ":" in host else host
    if port is not None and port != default:
        netloc = f"{netloc}:{port}"
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def parse_url_list(path: Path) -> UrlList:
    """Read a URL list file; UrlListError when the file itself is unusable."""
    if not is_supported(path.name):
        raise UrlListError(f"{path.name}: unsupported file type (expected .txt or .csv)")
    data = path.read_bytes()
    if b"\x00" in data[:8192]:
        raise UrlListError(f"{path.name}: binary content, not a URL list")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        reason = f"{error.reason} at byte {error.start}"
        raise UrlListError(f"{path.name}: not UTF-8 ({reason})") from None
    rows = _csv_rows(path.name, text) if path.suffix.lower() == ".csv" else _txt_rows(text)
    items: list[UrlItem] = []
    rejected: list[Rejected] = []
    first_line: dict[str, int] = {}
    for line, value, metadata in rows:
        try:
            url = normalise_url(value)
        except ValueError as error:
            rejected.append(Rejected(line, value, f"invalid URL: {error}"))
            continue
        if url in first_line:
            rejected.append(Rejected(line, value, f"duplicate of line {first_line[url]}"))
            continue
        first_line[url] = line
        items.append(UrlItem(line, url, metadata))
    if not items and not rejected:
        raise UrlListError(f"{path.name}: no URLs in the file")
    return UrlList(items, rejected)


def _txt_rows(text: str):
    for number, raw in enumerate(text.splitlines(), start=1):
        value = raw.strip()
        if value and not value.startswith("#"):
            yield number, value, {}


def _csv_rows(name: str, text: str):
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    if header is None:
        raise UrlListError(f"{name}: empty CSV")
    columns = [h.strip().lower() for h in header]
    if "url" not in columns:
        raise UrlListError(f"{name}: CSV header has no 'url' column (found: {', '.join(columns)})")
    url_at = columns.index("url")
    for number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        value = row[url_at] if url_at < len(row) else ""
        metadata = {c: v for c, v in zip(columns, row, strict=False) if c != "url" and c}
        yield number, value, metadata


def metadata_json(item: UrlItem) -> str:
    return json.dumps(item.metadata, ensure_ascii=False, sort_keys=True)
