"""Chunks of at most ``size`` characters, cut on sentence boundaries, overlapping by whole
sentences of at most ``overlap`` characters. Offsets point into the page text."""

from __future__ import annotations

import re
from dataclasses import dataclass

# A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before whitespace,
# or at a blank line / line break (headings, list items). The boundary is the whitespace (the
# group that matched). Written to start with a character class rather than a look-behind, so that
# the regex engine skips to the next candidate character instead of trying every position: twice
# as fast on long pages, the same spans.
_BOUNDARY = re.compile(r"[.!?][\"')\]]?(\s+)|(\n+)")


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int
    end: int
    text: str


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, whitespace between sentences excluded."""
    spans, start = [], 0
    for match in _BOUNDARY.finditer(text):
        span = _trim(text, start, match.start(match.lastindex))
        if span[1] > span[0]:
            spans.append(span)
        start = match.end()
    span = _trim(text, start, len(text))
    if span[1] > span[0]:
        spans.append(span)
    return spans


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _split_long(text: str, start: int, end: int, size: int) -> list[tuple[int, int]]:
    """A sentence longer than ``size``: cut at the last space before the limit (or hard)."""
    pieces = []
    while end - start > size:
        cut = text.rfind(" ", start + 1, start + size + 1)
        cut = cut if cut > start else start + size
        pieces.append(_trim(text, start, cut))
        start = cut
    pieces.append(_trim(text, start, end))
    return [p for p in pieces if p[1] > p[0]]


def chunk_text(text: str, size: int = 1000, overlap: int = 200) -> list[Chunk]:
    if size < 50:
        raise ValueError("chunk size must be at least 50 characters")
    if not 0 <= overlap < size:
        raise ValueError("overlap must be at least 0 and smaller than the chunk size")
    units: list[tuple[int, int]] = []
    for start, end in sentence_spans(text):
        units.extend(_split_long(text, start, end, size))
    chunks: list[Chunk] = []
    first = 0
    while first < len(units):
        last = first
        while last + 1 < len(units) and units[last + 1][1] - units[first][0] <= size:
            last += 1
        start, end = units[first][0], units[last][1]
        chunks.append(Chunk(len(chunks), start, end, text[start:end]))
        if last + 1 >= len(units):
            break
        # Step back over whole sentences that fit in the overlap, always moving forward.
        following = last + 1
        while following - 1 > first and end - units[following - 1][0] <= overlap:
            following -= 1
        first = following
    return chunks
