"""The embedders without Dagster: the bundled model gives WordLlama's own vectors (normalised),
offline; settings from the environment."""

import numpy as np
import pytest

from batch_platform.defs.content.logic.embedders import (
    EmbeddingSettings,
    load_embedding_settings,
    static_embedder,
)

TEXTS = [
    "The json module decodes JSON documents into dictionaries and lists.",
    "A socket is an endpoint of a network connection.",
    "",
    "x" * 3000,
]


def test_the_bundled_model_gives_wordllamas_own_vectors():
    import wordllama

    embedder = static_embedder()
    ours = embedder.embed(TEXTS)
    assert ours.shape == (4, 256) and ours.dtype == np.float32
    assert embedder.model.startswith("wordllama-l2_supercat-256@")
    model = wordllama.WordLlama.load(cache_dir=wordllama.__path__[0], disable_download=True)
    reference = model.embed(TEXTS, norm=False)
    reference /= np.maximum(np.linalg.norm(reference, axis=1, keepdims=True), 1e-30)
    with_tokens = [0, 1, 3]
    np.testing.assert_allclose(ours[with_tokens], reference[with_tokens], atol=1e-5)
    assert not ours[2].any()  # no tokens: a zero vector, not NaN
    assert np.allclose(np.linalg.norm(ours[with_tokens], axis=1), 1.0, atol=1e-5)
    assert embedder.embed([]).shape == (0, 256)


def test_settings_from_the_environment():
    assert load_embedding_settings({}) == EmbeddingSettings()
    assert load_embedding_settings({}).kind == "static"
    settings = load_embedding_settings(
        {
            "BATCH_PLATFORM_EMBEDDINGS_URL": " http://10.0.0.5:8000/v1 ",
            "BATCH_PLATFORM_EMBEDDINGS_MODEL": "bge-small",
            "BATCH_PLATFORM_EMBEDDINGS_BATCH_SIZE": "16",
            "BATCH_PLATFORM_EMBEDDINGS_REQUESTS_PER_MINUTE": "600",
        }
    )
    assert (settings.kind, settings.url, settings.batch_size) == (
        "http",
        "http://10.0.0.5:8000/v1",
        16,
    )
    assert settings.requests_per_minute == 600.0
    with pytest.raises(ValueError, match="BATCH_SIZE must be positive"):
        load_embedding_settings({"BATCH_PLATFORM_EMBEDDINGS_BATCH_SIZE": "0"})
    with pytest.raises(ValueError, match="cannot read 'many' as int"):
        load_embedding_settings({"BATCH_PLATFORM_EMBEDDINGS_ATTEMPTS": "many"})
