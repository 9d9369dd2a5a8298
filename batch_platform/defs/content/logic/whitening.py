"""Whitening of a static model's vectors, learned from the vectors an index holds.

A chunk vector of a static model is an average of token vectors: every such average leans the
same way (the common direction of frequent tokens) and varies much more along a few directions
than the rest, so cosine similarity is dominated by what all chunks share. Whitening centres the
vectors on their mean and rescales each principal direction to unit variance, so every direction
counts by what distinguishes chunks (on the 530 pages of Python's documentation: vector recall@10
0.617 → 0.666). It is a linear map, learned from the index's own vectors when the index is built
and applied to query vectors at search time.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Below this many vectors per dimension, the covariance is too poorly estimated to whiten by.
MIN_VECTORS_PER_DIMENSION = 2
# Added to every eigenvalue, as a share of their mean: keeps directions in which the vectors
# barely vary (or not at all, with few vectors) from being blown up.
SHRINKAGE = 0.01


@dataclass(frozen=True)
class Whitening:
    mean: np.ndarray  # (d,)
    transform: np.ndarray  # (d, d)

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        """Whitened, unit-length rows."""
        whitened = (np.asarray(vectors, dtype=np.float32) - self.mean) @ self.transform
        norms = np.linalg.norm(whitened, axis=1, keepdims=True)
        return whitened / np.where(norms == 0, 1, norms)


def fit_whitening(vectors: np.ndarray) -> Whitening | None:
    """The whitening of ``vectors`` (one per row), or None when there are too few to learn one
    (fewer than ``MIN_VECTORS_PER_DIMENSION`` per dimension)."""
    vectors = np.asarray(vectors, dtype=np.float64)
    count, dimensions = vectors.shape
    if dimensions == 0 or count < MIN_VECTORS_PER_DIMENSION * dimensions:
        return None
    mean = vectors.mean(axis=0)
    eigenvalues, eigenvectors = np.linalg.eigh(np.cov(vectors - mean, rowvar=False))
    eigenvalues = np.clip(eigenvalues, 0, None)
    scale = 1 / np.sqrt(eigenvalues + SHRINKAGE * max(eigenvalues.mean(), 1e-12))
    return Whitening(
        mean=mean.astype(np.float32), transform=(eigenvectors * scale).astype(np.float32)
    )
