"""Chunks of at most ``size`` characters, cut on sentence boundaries, overlapping by whole
sentences of at most ``overlap`` characters. Offsets point into the page text.

A sentence ends at . ! ? (optionally followed by a closing quote or bracket) before whitespace,
or at a line break (headings, list items); the whitespace between sentences belongs to none.
The boundaries are found with array operations over the text's code points rather than a regex
match (or a Python step) per sentence: a documentation page has hundreds of sentences, and this
is part of every page's cleaning. ``test_sentence_boundaries.py`` checks the spans against the
plain regex definition.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import numpy as np

# Each code point's part in a sentence boundary, by a table lookup: whitespace as ``str.isspace``
# (and a regex's ``\s``) has it (none lies above U+3000, a unit test checks), the marks that end a
# sentence, the closing marks that may follow them, and the line break.
_SPACE, _ENDS, _CLOSES, _BREAK = 1, 2, 4, 8
_LAST_SPACE = 0x3000
_ROLE = np.array([_SPACE * chr(c).isspace() for c in range(_LAST_SPACE + 2)], dtype=np.uint8)
_ROLE[[ord(c) for c in ".!?"]] = _ENDS
_ROLE[[ord(c) for c in "\"')]"]] = _CLOSES
_ROLE[ord("\n")] |= _BREAK


@dataclass(frozen=True)
class Chunk:
    index: int
    start: int
    end: int
    text: str


def _runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(starts, ends) of the runs of True in ``mask``."""
    edges = np.diff(mask.astype(np.int8), prepend=np.int8(0), append=np.int8(0))
    return np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, whitespace between sentences excluded."""
    starts, ends = _sentence_bounds(text)
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


_NONE = np.empty(0, dtype=np.int64)


def _sentence_bounds(text: str) -> tuple[np.ndarray, np.ndarray]:
    """The starts and the ends of the text's sentences (``sentence_spans``), as arrays."""
    if not text:
        return _NONE, _NONE
    codes = np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)
    role = _ROLE[np.minimum(codes, _LAST_SPACE + 1)]
    space = (role & _SPACE).astype(bool)
    solid = np.flatnonzero(~space)
    if not len(solid):
        return _NONE, _NONE
    space_starts, space_ends = _runs(space)
    # A run of whitespace ends a sentence after . ! ? or after one of them and a closing mark.
    before = np.where(space_starts >= 1, role[space_starts - 1], 0)
    two_before = np.where(space_starts >= 2, role[space_starts - 2], 0)
    ends_sentence = (before == _ENDS) | ((before == _CLOSES) & (two_before == _ENDS))
    # A run of line breaks ends one too, unless it is within whitespace that already does.
    break_starts, break_ends = _runs((role & _BREAK).astype(bool))
    within = np.searchsorted(space_starts, break_starts, side="right") - 1
    own = ~ends_sentence[within]
    cut_starts = np.concatenate((space_starts[ends_sentence], break_starts[own]))
    cut_ends = np.concatenate((space_ends[ends_sentence], break_ends[own]))
    order = np.argsort(cut_starts, kind="stable")
    piece_starts = np.concatenate(([0], cut_ends[order]))
    piece_ends = np.concatenate((cut_starts[order], [len(codes)]))
    # Each piece trimmed to its first and last non-whitespace character; blank pieces dropped.
    first = np.searchsorted(solid, piece_starts)
    after_last = np.searchsorted(solid, piece_ends)
    kept = after_last > first
    return solid[first[kept]], solid[after_last[kept] - 1] + 1


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
    sentence_starts, sentence_ends = _sentence_bounds(text)
    starts, ends = sentence_starts.tolist(), sentence_ends.tolist()
    if (sentence_ends - sentence_starts).max(initial=0) > size:  # a sentence to cut up
        units = [
            unit
            for start, end in zip(starts, ends, strict=True)
            for unit in _split_long(text, start, end, size)
        ]
        starts, ends = [start for start, _ in units], [end for _, end in units]
    # Units (sentences, or pieces of one) are in order and each at most ``size``: a chunk takes
    # every unit that ends within ``size`` of its first; the next starts at the first of its
    # last units that lie within ``overlap`` of its end, always moving forward.
    chunks: list[Chunk] = []
    first = 0
    while first < len(starts):
        last = max(first, bisect_right(ends, starts[first] + size, lo=first) - 1)
        start, end = starts[first], ends[last]
        chunks.append(Chunk(len(chunks), start, end, text[start:end]))
        if last + 1 >= len(starts):
            break
        first = bisect_left(starts, end - overlap, lo=first + 1, hi=last + 1)
    return chunks
