"""``GET /v1/search``: search the content of every batch (or one), as ``batch-platform search``.

The index is the file the content runs build, ``<warehouse>/search/content_index.duckdb``,
opened read-only and kept open between requests until a run renames a new one into place
(then the next request opens that). Results are pages, each with its best chunk.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from batch_platform.api.access import Caller, api_settings, authenticated
from batch_platform.api.problems import Problem
from batch_platform.defs.content.logic.embedders import EmbeddingError, make_embedder
from batch_platform.defs.content.logic.search import SearchError, SearchIndex
from batch_platform.defs.content.logic.search_index import index_path

router = APIRouter(prefix="/v1/search", tags=["search"])


class _OpenIndex:
    """The index file open once, reopened when a run has replaced it; one search at a time
    (a DuckDB connection is not shared between threads)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._index: SearchIndex | None = None
        self._identity: tuple | None = None

    def get(self, path: Path) -> SearchIndex:
        try:
            stat = path.stat()
        except FileNotFoundError:
            raise SearchError(
                "no search index yet: it is built by every content batch run"
            ) from None
        identity = (str(path), stat.st_ino, stat.st_mtime_ns)
        if self._index is None or identity != self._identity:
            if self._index is not None:
                self._index.close()
            self._index, self._identity = SearchIndex(path, make_embedder), identity
        return self._index


_open = _OpenIndex()


@router.get("", summary="Search the content of every batch, or of one")
def search(
    request: Request,
    caller: Annotated[Caller, Depends(authenticated)],
    q: Annotated[str, Query(min_length=1, max_length=2000, description="the query")],
    batch: Annotated[str | None, Query(max_length=120, description="only this batch")] = None,
    k: Annotated[int, Query(ge=1, le=100, description="pages to return")] = 10,
    mode: Literal["hybrid", "bm25", "vector"] = "hybrid",
) -> dict:
    """Pages best first, each with its URL, title, score and best chunk (`text`, `batch_id`,
    `chunk_index`); `bm25_rank` and `vector_rank` say where each ranking placed it. `hybrid`
    fuses BM25 and vector similarity by reciprocal rank; a near duplicate counts as the page it
    repeats, so it never takes a second place. 503 when no index has been built yet."""
    path = index_path(api_settings(request).platform.warehouse)
    with _open.lock:
        try:
            index = _open.get(path)
            hits = index.search(q, k=k, mode=mode, batch=batch)
        except SearchError as error:
            status = 503 if "no search index" in str(error) else 422
            raise Problem(status, "search_unavailable", str(error)) from None
        except EmbeddingError as error:
            raise Problem(502, "embedder_unavailable", str(error)) from None
        return {
            "query": q,
            "mode": mode,
            "batch": batch,
            "model": index.model,
            "results": [hit.as_dict() for hit in hits],
        }
