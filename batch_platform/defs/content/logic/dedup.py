"""Exact duplicates by a hash of normalised text; near duplicates by 64-bit SimHash over word
shingles (Charikar 2002): pages whose fingerprints differ in few bits share most shingles."""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)
SHINGLE_WORDS = 4
BITS = 64
_MULTIPLIER = np.uint64(0x100000001B3)  # FNV-1a 64-bit prime: mixes word hashes in order


def normalise(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed: formatting differences do not count."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def content_hash(text: str) -> str:
    return _sha256(normalise(text))


def fingerprints(text: str) -> tuple[str, int]:
    """``content_hash`` and ``simhash`` of the text, normalising it once for both."""
    normalised = normalise(text)
    return _sha256(normalised), _simhash(_shingles(normalised, SHINGLE_WORDS))


def _sha256(normalised: str) -> str:
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=1 << 17)
def _word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "big")


def _mix(values: np.ndarray) -> np.ndarray:
    """SplitMix64's finaliser: every input bit affects every output bit."""
    values = (values ^ (values >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    values = (values ^ (values >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return values ^ (values >> np.uint64(31))


def shingle_hashes(text: str, width: int = SHINGLE_WORDS) -> np.ndarray:
    """Distinct 64-bit hashes of the text's runs of ``width`` words (stable across processes)."""
    return _shingles(normalise(text), width)


def _shingles(normalised: str, width: int) -> np.ndarray:
    words = _WORD.findall(normalised)
    if not words:
        return np.empty(0, dtype=np.uint64)
    hashed = np.fromiter(map(_word_hash, words), dtype=np.uint64, count=len(words))
    count = max(1, len(words) - width + 1)
    combined = np.zeros(count, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for offset in range(min(width, len(words))):
            combined = combined * _MULTIPLIER + hashed[offset : offset + count]
        return _distinct(_mix(combined))


def _distinct(values: np.ndarray) -> np.ndarray:
    """``np.unique`` of the values, a sort and a comparison: numpy 2's hashing ``unique`` takes
    five times longer on a page's few thousand shingles."""
    values = np.sort(values)
    return values[np.concatenate(([True], values[1:] != values[:-1]))]


def simhash(text: str, width: int = SHINGLE_WORDS) -> int:
    """Unsigned 64-bit SimHash of the text's word shingles (0 for text without words)."""
    return _simhash(shingle_hashes(text, width))


def _simhash(values: np.ndarray) -> int:
    if not len(values):
        return 0
    # Big-endian bytes unpacked: column i is bit 63 - i of every shingle hash.
    bits = np.unpackbits(values.astype(">u8").view(np.uint8).reshape(-1, 8), axis=1)
    # A bit is set when more shingles have it set than not (every shingle weighs 1).
    majority = bits.sum(axis=0, dtype=np.int64) * 2 > len(values)
    return sum(1 << (BITS - 1 - column) for column in np.flatnonzero(majority).tolist())


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def nearest(fingerprint: int, others: np.ndarray) -> tuple[int, int] | None:
    """(index, distance) of the closest fingerprint in ``others`` (uint64), None if empty."""
    if not len(others):
        return None
    distances = np.bitwise_count(others ^ np.uint64(fingerprint))
    index = int(np.argmin(distances))
    return index, int(distances[index])
