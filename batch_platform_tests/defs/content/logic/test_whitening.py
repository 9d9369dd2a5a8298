"""Whitening learnt from an index's vectors, without Dagster or an index."""

import numpy as np

from batch_platform.defs.content.logic.whitening import fit_whitening


def _anisotropic(count: int, dimensions: int, seed: int = 0, *, spread: float = 100) -> np.ndarray:
    """Vectors that share a common direction and vary much more along some directions than
    others (by ``spread`` between the most and the least), like averaged token vectors."""
    rng = np.random.default_rng(seed)
    scales = np.geomspace(np.sqrt(spread), 1, dimensions)
    return rng.normal(size=(count, dimensions)) * scales + 30 * np.ones(dimensions)


def test_whitened_vectors_vary_alike_in_every_direction():
    vectors = _anisotropic(4000, 16, spread=10)
    whitening = fit_whitening(vectors)
    assert whitening is not None
    assert whitening.mean.shape == (16,) and whitening.transform.shape == (16, 16)
    raw = whitening.mean.dtype, whitening.transform.dtype
    assert raw == (np.float32, np.float32)
    whitened = (vectors - whitening.mean) @ whitening.transform
    variances = np.linalg.eigvalsh(np.cov(whitened, rowvar=False))
    assert variances.min() > 0.9 and variances.max() < 1.05  # the shrinkage takes a little
    assert abs(whitened.mean(axis=0)).max() < 1e-3
    applied = whitening.apply(vectors[:5])
    assert applied.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(applied, axis=1), 1.0, atol=1e-5)


def test_the_common_direction_no_longer_decides_the_nearest_vector():
    # Raw cosines between these are all near 1 (the shared direction); whitened, a vector's
    # nearest other vector is the one that differs from it the least where they vary.
    vectors = _anisotropic(500, 8, seed=1)
    near = vectors[0] + 0.01 * (vectors[1] - vectors[0])
    whitening = fit_whitening(vectors)
    similarities = whitening.apply(near[None, :]) @ whitening.apply(vectors).T
    assert int(np.argmax(similarities)) == 0


def test_too_few_vectors_learn_nothing_and_degenerate_ones_stay_finite():
    assert fit_whitening(_anisotropic(31, 16)) is None  # fewer than 2 per dimension
    assert fit_whitening(np.zeros((0, 4))) is None
    # Every vector in a 2-dimensional plane of 8 dimensions: six directions without variance.
    flat = np.zeros((40, 8))
    flat[:, :2] = np.random.default_rng(2).normal(size=(40, 2))
    whitening = fit_whitening(flat)
    assert whitening is not None
    assert np.isfinite(whitening.apply(flat)).all()
    assert np.isfinite(whitening.apply(np.ones((1, 8)))).all()
