"""Exact duplicates by a hash of normalised text; near duplicates by 64-bit SimHash over word
shingles (Charikar 2002): pages whose fingerprints differ in few bits share most shingles."""

from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np

_WORD = re.compile(r"\w+", re.UNICODE)
SHINGLE_WORDS = 4
BITS = 64


def normalise(text: str) -> str:
    """NFKC, case-folded, whitespace collapsed: formatting differences do not count."""
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def content_hash(text: str) -> str:
    return hashlib.sha256(normalise(text).encode("utf-8")).hexdigest()


def _shingles(text: str, width: int) -> set[str]:
    words = _WORD.findall(normalise(text))
    if len(words) <= width:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + width]) for i in range(len(words) - width + 1)}


def simhash(text: str, width: int = SHINGLE_WORDS) -> int:
    """Unsigned 64-bit SimHash of the text's word shingles (0 for text without words)."""
    shingles = _shingles(text, width)
    if not shingles:
        return 0
    digests = b"".join(hashlib.blake2b(s.encode(), digest_size=8).digest() for s in shingles)
    values = np.frombuffer(digests, dtype=">u8").astype(np.uint64)
    bits = (values[:, None] >> np.arange(BITS, dtype=np.uint64)) & np.uint64(1)
    # A bit is set when more shingles have it set than not (every shingle weighs 1).
    majority = bits.sum(axis=0) * 2 > len(values)
    return sum(1 << bit for bit in np.flatnonzero(majority).tolist())


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()
