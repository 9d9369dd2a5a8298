"""Embedders: text → unit vectors, with the model version each vector is stored under.

Two kinds, chosen by the environment at run time:

- the bundled static model (default): WordLlama's ``l2_supercat`` 256-dimension token
  embeddings, whose weights and tokenizer ship inside the ``wordllama`` wheel; nothing is
  downloaded. A text's vector is the mean of its tokens' vectors (what WordLlama computes, with
  the pooling done as one sparse product instead of a padded batch: same vectors, several times
  faster on 1,000-character chunks);
- any OpenAI-compatible ``/v1/embeddings`` endpoint ($BATCH_PLATFORM_EMBEDDINGS_URL): batched
  requests through the shared retry policy (429 and 5xx retried, ``Retry-After`` honoured) and
  a client-side request rate, over the guarded HTTP client (the endpoint's address must be public
  or in $BATCH_PLATFORM_EMBEDDINGS_ALLOWED_NETWORKS).

Every vector is L2-normalised, so cosine similarity is an inner product. The static model's
vectors are searched whitened (``search_whitened``): the search index learns the whitening from
the vectors it holds (``logic/whitening.py``); an endpoint's model, trained for cosine
similarity, is searched as it answers.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Protocol

import httpx
import numpy as np

from batch_platform.lib.guarded_http import guarded_client, literal_address_refusal
from batch_platform.lib.http_retry import RetryPolicy, send_with_retries
from batch_platform.lib.network_guard import AddressPolicy, parse_networks

PREFIX = "BATCH_PLATFORM_EMBEDDINGS_"
STATIC_CONFIG = "l2_supercat"
STATIC_DIMENSIONS = 256


class EmbeddingError(RuntimeError):
    """The embedder cannot give vectors (a misconfigured or failing endpoint); says why."""


class Embedder(Protocol):
    model: str  # the model version stored with each vector: a change re-embeds
    dimensions: int
    search_whitened: bool  # the index whitens these vectors (averaged token vectors)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """One unit-length float32 row per text."""
        ...


@dataclass(frozen=True)
class EmbeddingSettings:
    """Where vectors come from. ``url`` and ``api_key`` come from the environment only, so run
    configuration cannot send the key to another host."""

    url: str | None = None
    model: str | None = None
    api_key: str | None = None
    dimensions: int | None = None
    batch_size: int = 64
    timeout: float = 60.0
    attempts: int = 5
    requests_per_minute: float = 0.0  # 0: no client-side limit (429s are still honoured)
    allowed_networks: str = ""

    @property
    def kind(self) -> str:
        return "http" if self.url else "static"


def _number(env: Mapping[str, str], name: str, kind: type, default):
    raw = env.get(PREFIX + name)
    if raw in (None, ""):
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ValueError(f"{PREFIX}{name}: cannot read {raw!r} as {kind.__name__}") from None
    if value < 0 or (kind is int and value == 0):
        raise ValueError(f"{PREFIX}{name} must be positive, not {raw!r}")
    return value


def load_embedding_settings(
    env: Mapping[str, str] | None = None, *, batch_size: int | None = None
) -> EmbeddingSettings:
    env = os.environ if env is None else env
    defaults = EmbeddingSettings()
    settings = EmbeddingSettings(
        url=(env.get(PREFIX + "URL") or "").strip() or None,
        model=(env.get(PREFIX + "MODEL") or "").strip() or None,
        api_key=env.get(PREFIX + "API_KEY") or None,
        dimensions=_number(env, "DIMENSIONS", int, None),
        batch_size=batch_size or _number(env, "BATCH_SIZE", int, defaults.batch_size),
        timeout=_number(env, "TIMEOUT", float, defaults.timeout),
        attempts=_number(env, "ATTEMPTS", int, defaults.attempts),
        requests_per_minute=_number(
            env, "REQUESTS_PER_MINUTE", float, defaults.requests_per_minute
        ),
        allowed_networks=env.get(PREFIX + "ALLOWED_NETWORKS") or "",
    )
    if settings.url and not settings.model:
        raise ValueError(f"{PREFIX}URL needs {PREFIX}MODEL (the model the endpoint serves)")
    return settings


def make_embedder(settings: EmbeddingSettings | None = None) -> Embedder:
    settings = settings or load_embedding_settings()
    return HttpEmbedder(settings) if settings.url else static_embedder()


def normalised(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1, norms)  # a text without tokens stays all zeros


# ---------------------------------------------------------------- the bundled static model
class StaticEmbedder:
    """WordLlama's bundled token embeddings, mean-pooled (see the module's docstring)."""

    dimensions = STATIC_DIMENSIONS
    search_whitened = True

    def __init__(self) -> None:
        import scipy.sparse

        wordllama = _import_wordllama()
        folder = Path(next(iter(wordllama.__path__)))
        # The package's own folder as the cache: its default lookup misses the bundled
        # tokenizer and would download it.
        model = wordllama.WordLlama.load(
            config=STATIC_CONFIG,
            dim=STATIC_DIMENSIONS,
            cache_dir=folder,
            disable_download=True,
        )
        self.model = f"wordllama-{STATIC_CONFIG}-{STATIC_DIMENSIONS}@{wordllama.__version__}"
        self._table = np.ascontiguousarray(model.embedding, dtype=np.float32)
        self._tokenizer = model.tokenizer
        self._tokenizer.no_padding()
        self._tokenizer.no_truncation()
        self._sparse = scipy.sparse.csr_matrix
        self._lock = threading.Lock()  # the tokenizer's settings are shared state

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        with self._lock:
            encoded = self._tokenizer.encode_batch_fast(list(texts), add_special_tokens=False)
        ids = [e.ids for e in encoded]
        lengths = np.fromiter(map(len, ids), dtype=np.int64, count=len(ids))
        flat = np.fromiter(
            (token for row in ids for token in row), dtype=np.int32, count=int(lengths.sum())
        )
        offsets = np.zeros(len(ids) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        counts = self._sparse(
            (np.ones(len(flat), dtype=np.float32), flat, offsets),
            shape=(len(ids), self._table.shape[0]),
        )
        # The mean's division does not change the direction: normalising the sum is enough.
        return normalised(np.asarray(counts @ self._table))


def _import_wordllama():
    """Import wordllama without its import-time ``logging.basicConfig`` taking over the root
    logger of the process (it would print every library's INFO lines)."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    import wordllama

    root.handlers[:] = handlers
    root.setLevel(level)
    return wordllama


@cache
def static_embedder() -> StaticEmbedder:
    """One model per process (loading it takes about 0.3 s)."""
    return StaticEmbedder()


# ---------------------------------------------------------------- an OpenAI-compatible endpoint
class HttpEmbedder:
    """``POST <url>/embeddings`` with ``{"model", "input": [...], "dimensions"?}``, a batch of
    ``batch_size`` texts a request; vectors are taken by their ``index``."""

    search_whitened = False

    def __init__(self, settings: EmbeddingSettings) -> None:
        assert settings.url and settings.model
        self.settings = settings
        url = settings.url.rstrip("/")
        self.endpoint = url if url.endswith("/embeddings") else f"{url}/embeddings"
        self.model = settings.model + (f"@{settings.dimensions}d" if settings.dimensions else "")
        self.dimensions = settings.dimensions or 0  # learnt from the first answer otherwise
        self.requests = 0
        self._policy = AddressPolicy(
            parse_networks(settings.allowed_networks, PREFIX + "ALLOWED_NETWORKS")
        )
        self._retry = RetryPolicy(attempts=settings.attempts, base=0.5, cap=30.0)
        self._next_start = 0.0

    def _wait_for_turn(self) -> None:
        if self.settings.requests_per_minute <= 0:
            return
        now = time.monotonic()
        if now < self._next_start:
            time.sleep(self._next_start - now)
        self._next_start = max(now, self._next_start) + 60.0 / self.settings.requests_per_minute

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        refusal = literal_address_refusal(self._policy, self.endpoint)
        if refusal:
            raise EmbeddingError(
                f"embeddings endpoint {self.endpoint}: {refusal} (allow it with "
                f"{PREFIX}ALLOWED_NETWORKS)"
            )
        headers = {"Content-Type": "application/json"}
        if self.settings.api_key:
            headers["Authorization"] = f"Bearer {self.settings.api_key}"
        size = self.settings.batch_size
        with guarded_client(self._policy, timeout=httpx.Timeout(self.settings.timeout)) as client:
            rows = [
                self._request(client, headers, list(texts[start : start + size]))
                for start in range(0, len(texts), size)
            ]
        if not rows:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        return normalised(np.concatenate(rows))

    def _request(self, client: httpx.Client, headers: dict, batch: list[str]) -> np.ndarray:
        body: dict = {"model": self.settings.model, "input": batch}
        if self.settings.dimensions:
            body["dimensions"] = self.settings.dimensions

        def send() -> httpx.Response:
            self._wait_for_turn()
            self.requests += 1
            return client.post(self.endpoint, json=body, headers=headers)

        outcome = send_with_retries(send, self._retry)
        if not outcome.ok:
            detail = outcome.response.text[:300] if outcome.response is not None else ""
            raise EmbeddingError(
                f"embeddings endpoint {self.endpoint}: {outcome.error} after "
                f"{len(outcome.attempts)} attempts {detail}".strip()
            )
        try:
            data = sorted(outcome.response.json()["data"], key=lambda item: item["index"])
            vectors = np.asarray([item["embedding"] for item in data], dtype=np.float32)
        except (ValueError, KeyError, TypeError) as error:
            raise EmbeddingError(
                f"embeddings endpoint {self.endpoint}: not an embeddings answer ({error})"
            ) from None
        if vectors.ndim != 2 or len(vectors) != len(batch):
            raise EmbeddingError(
                f"embeddings endpoint {self.endpoint}: {len(vectors)} vectors for "
                f"{len(batch)} texts"
            )
        if not self.dimensions:
            self.dimensions = int(vectors.shape[1])
        if vectors.shape[1] != self.dimensions:
            raise EmbeddingError(
                f"embeddings endpoint {self.endpoint}: vectors of {vectors.shape[1]} dimensions, "
                f"expected {self.dimensions}"
            )
        return vectors
