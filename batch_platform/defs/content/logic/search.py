"""Search the content index: BM25, vector similarity, or both fused, results collapsed by page.

Each ranking lists chunks best first; a page (a near duplicate counts as the page it repeats)
keeps its best chunk, so near-duplicate pages and a page's many chunks never crowd the results.
``hybrid`` fuses the two page rankings by weighted reciprocal rank fusion (a page scores
``weight / (RRF_K + rank)`` in each list it is in), which needs no calibration between BM25
scores and cosines; BM25 weighs more because the bundled static model ranks worse alone.
Vector similarity is exact (cosine as an inner product of unit vectors, over every indexed
vector): at the index sizes of this platform it answers in milliseconds, needs no approximate
index to build, and a ``--batch`` filter cannot make it miss results.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from batch_platform.defs.content.logic.embedders import Embedder
from batch_platform.defs.content.logic.search_index import load_whitening, open_index_database
from batch_platform.lib.sql_files import SqlFolder

load_sql = SqlFolder.of_domain(__file__)

MODES = ("hybrid", "bm25", "vector")
# Chosen on the recall test's 530 pages (docs/search.md): with the usual k = 60 and equal
# weights, pages ranked middling by both lists overtook pages BM25 ranked first (hybrid 0.723
# against BM25 0.754); k = 10 with BM25 weighing 0.7 keeps hybrid at least as good as either.
RRF_K = 10
RRF_WEIGHTS = {"bm25": 0.7, "vector": 0.3}
# A page cut into many chunks has many draws at a query: its best chunk scores higher by chance
# alone (the expected best of n draws grows with n), so long pages crowded the results whatever
# the query. A page's score is its best chunk's, less this many spreads of the candidates' scores
# per unit of ln(the page's chunks). Measured on the recall test's 530 pages: BM25 0.791 → 0.818
# and hybrid 0.799 → 0.824 at 0.5; any value from 0.3 to 0.8 gives 0.81 to 0.83.
PAGE_LENGTH_PRIOR = 0.5
# Chunks each ranking reads: enough for k pages after collapsing.
CANDIDATES_PER_RESULT = 10
MIN_CANDIDATES = 100
# Queries whose similarities to every vector are computed at once.
QUERY_BLOCK = 256


class SearchError(RuntimeError):
    """A search that cannot be answered as asked (no index, another model); says why."""


@dataclass(frozen=True)
class Hit:
    rank: int
    score: float
    page_url: str
    url: str
    title: str
    batch_id: str
    chunk_index: int
    text: str
    bm25_rank: int | None
    vector_rank: int | None
    collapsed: int  # other chunks of the page (and of its near duplicates) among the candidates

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Page:
    chunk_id: int
    score: float
    rank: int
    chunks: int = 1


@dataclass(frozen=True)
class _Ranked:
    rank: int
    score: float
    chunk_id: int
    bm25_rank: int | None
    vector_rank: int | None
    collapsed: int

    def hit(self, rows: dict[int, tuple]) -> Hit:
        page_url, url, title, batch_id, chunk_index, text = rows[self.chunk_id]
        return Hit(
            rank=self.rank,
            score=self.score,
            page_url=page_url,
            url=url,
            title=title,
            batch_id=batch_id,
            chunk_index=chunk_index,
            text=text,
            bm25_rank=self.bm25_rank,
            vector_rank=self.vector_rank,
            collapsed=self.collapsed,
        )


def _collapse(
    ranked: list[tuple[int, float]], page_of: list[str], page_length: dict[str, int]
) -> dict[str, _Page]:
    """The pages of a ranking's candidate chunks, best first: a page's score is its best chunk's
    less ``PAGE_LENGTH_PRIOR`` × the spread of the candidates' scores × ln(the page's chunks)."""
    pages: dict[str, _Page] = {}
    for chunk_id, score in ranked:
        page = page_of[chunk_id]
        if page in pages:
            pages[page].chunks += 1
        else:
            pages[page] = _Page(chunk_id, score, 0)
    spread = float(np.std([score for _, score in ranked])) if ranked else 0.0
    for page, hit in pages.items():
        hit.score -= PAGE_LENGTH_PRIOR * spread * math.log(page_length.get(page, 1))
    # sorted() is stable: pages of equal score keep the order their best chunks had.
    ordered = sorted(pages.items(), key=lambda item: -item[1].score)
    for rank, (_, hit) in enumerate(ordered, start=1):
        hit.rank = rank
    return dict(ordered)


class SearchIndex:
    """An open index file (read-only); ``search`` may be called many times."""

    def __init__(self, path: Path, embedder: Callable[[], Embedder] | None = None) -> None:
        if not Path(path).is_file():
            raise SearchError(
                f"no search index at {path}: materialize content/content_search_index "
                "(a content batch run builds it)"
            )
        self.path = Path(path)
        self._con = open_index_database(path, read_only=True)
        self.model, self.dimensions = self._con.execute(
            "SELECT model, dimensions FROM index_info"
        ).fetchone()
        self.chunks = self._con.execute("SELECT count(*) FROM chunks").fetchone()[0]
        self._embedder_factory = embedder
        self._embedder: Embedder | None = None
        self._vectors: np.ndarray | None = None
        self._ids: np.ndarray | None = None
        self._page_of: list[str] | None = None
        self._page_length: dict[str, int] | None = None
        self._whitening = load_whitening(self._con, self.dimensions)

    def close(self) -> None:
        self._con.close()

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _query_vectors(self, queries: list[str]) -> np.ndarray:
        if self._embedder is None:
            if self._embedder_factory is None:
                raise SearchError("vector search needs an embedder")
            self._embedder = self._embedder_factory()
        if self._embedder.model != self.model:
            raise SearchError(
                f"the index holds vectors of {self.model}, the configured embedder is "
                f"{self._embedder.model}: run the content batches again to re-embed, or search "
                "with --mode bm25"
            )
        vectors = self._embedder.embed(queries)
        return self._whitening.apply(vectors) if self._whitening else vectors

    def bm25(
        self, queries: list[str], limit: int, batch: str | None
    ) -> list[list[tuple[int, float]]]:
        """For each query, the best ``limit`` chunks by BM25 (one statement for all)."""
        ranked: list[list[tuple[int, float]]] = [[] for _ in queries]
        if not self.chunks:
            return ranked
        self._con.register(
            "search_queries", pa.table({"qid": range(len(queries)), "query": queries})
        )
        try:
            rows = self._con.execute(
                load_sql("select_bm25_chunks"), {"batch": batch, "limit": limit}
            ).fetchall()
        finally:
            self._con.unregister("search_queries")
        for qid, chunk_id, score in rows:
            ranked[qid].append((chunk_id, score))
        return ranked

    def _matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """Every indexed vector as one matrix (read once per open index), and its chunk ids."""
        if self._vectors is None:
            table = self._con.execute(
                "SELECT id, embedding FROM chunks WHERE embedding IS NOT NULL ORDER BY id"
            ).fetch_arrow_table()
            ids = table.column("id").to_numpy()
            values = table.column("embedding").combine_chunks().flatten().to_numpy()
            self._vectors = values.reshape(len(ids), self.dimensions) if len(ids) else values
            self._ids = ids
        return self._ids, self._vectors

    def vector(
        self, queries: list[str], limit: int, batch: str | None
    ) -> list[list[tuple[int, float]]]:
        """For each query, the ``limit`` chunks of highest cosine (exact, over every vector)."""
        ids, matrix = self._matrix() if self.chunks else (np.zeros(0), None)
        if not len(ids):
            return [[] for _ in queries]
        allowed = np.isin(ids, self._batch_ids(batch)) if batch is not None else None
        ranked = []
        for start in range(0, len(queries), QUERY_BLOCK):
            scores = self._query_vectors(queries[start : start + QUERY_BLOCK]) @ matrix.T
            if allowed is not None:
                scores[:, ~allowed] = -np.inf
            count = min(limit, scores.shape[1])
            top = np.argpartition(-scores, count - 1, axis=1)[:, :count]
            for row, candidates in zip(scores, top, strict=True):
                order = candidates[np.lexsort((ids[candidates], -row[candidates]))]
                ranked.append([(int(ids[i]), float(row[i])) for i in order if np.isfinite(row[i])])
        return ranked

    def _batch_ids(self, batch: str) -> np.ndarray:
        return self._con.execute(
            "SELECT id FROM chunks WHERE partition_key = $batch", {"batch": batch}
        ).fetchnumpy()["id"]

    def search(
        self, query: str, *, k: int = 10, mode: str = "hybrid", batch: str | None = None
    ) -> list[Hit]:
        return self.search_many([query], k=k, modes=(mode,), batch=batch)[0][mode]

    def search_many(
        self,
        queries: list[str],
        *,
        k: int = 10,
        modes: tuple[str, ...] = MODES,
        batch: str | None = None,
    ) -> list[dict[str, list[Hit]]]:
        """For each query, the results of each of ``modes``: each ranking is read once for
        all queries (one BM25 statement, one matrix product per block of queries)."""
        for mode in modes:
            if mode not in MODES:
                raise SearchError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
        if k < 1:
            raise SearchError("k must be at least 1")
        asked = [q for q in queries if q.strip()]
        limit = max(MIN_CANDIDATES, CANDIDATES_PER_RESULT * k)
        wants = set(modes)
        none: list[list[tuple[int, float]]] = [[] for _ in asked]
        bm25 = self.bm25(asked, limit, batch) if wants & {"hybrid", "bm25"} and asked else none
        vector = (
            self.vector(asked, limit, batch) if wants & {"hybrid", "vector"} and asked else none
        )
        page_of, length = self._page_urls(), self._page_lengths()
        ranked = iter(
            [
                {
                    mode: self._ranked(
                        mode, _collapse(b, page_of, length), _collapse(v, page_of, length), k
                    )
                    for mode in modes
                }
                for b, v in zip(bm25, vector, strict=True)
            ]
        )
        results = [next(ranked) if q.strip() else {mode: [] for mode in modes} for q in queries]
        rows = self._rows(
            {hit.chunk_id for result in results for pages in result.values() for hit in pages}
        )
        return [
            {mode: [hit.hit(rows) for hit in pages] for mode, pages in result.items()}
            for result in results
        ]

    def _page_urls(self) -> list[str]:
        """What each chunk collapses into, by id (read once per open index)."""
        if self._page_of is None:
            rows = self._con.execute("SELECT page_url FROM chunks ORDER BY id").fetchall()
            self._page_of = [row[0] for row in rows]
        return self._page_of

    def _page_lengths(self) -> dict[str, int]:
        """Each page's length in chunks (its longest copy), read once per open index."""
        if self._page_length is None:
            self._page_length = dict(
                self._con.execute(
                    "SELECT page_url, max(chunks) FROM (SELECT page_url, partition_key, url, "
                    "count(*) AS chunks FROM chunks GROUP BY ALL) GROUP BY page_url"
                ).fetchall()
            )
        return self._page_length

    @staticmethod
    def _ranked(
        mode: str, by_bm25: dict[str, _Page], by_vector: dict[str, _Page], k: int
    ) -> list[_Ranked]:
        if mode == "bm25":
            ranked = [(page, hit.score) for page, hit in by_bm25.items()]
        elif mode == "vector":
            ranked = [(page, hit.score) for page, hit in by_vector.items()]
        else:
            fused: dict[str, float] = {}
            for weight, pages in (
                (RRF_WEIGHTS["bm25"], by_bm25),
                (RRF_WEIGHTS["vector"], by_vector),
            ):
                for page, hit in pages.items():
                    fused[page] = fused.get(page, 0.0) + weight / (RRF_K + hit.rank)
            ranked = sorted(fused.items(), key=lambda item: (-item[1], item[0]))
        results = []
        for rank, (page, score) in enumerate(ranked[:k], start=1):
            first = by_bm25.get(page) if mode != "vector" else None
            second = by_vector.get(page) if mode != "bm25" else None
            # The chunk shown: the one the stronger ranking found first.
            best = min((h for h in (first, second) if h), key=lambda h: h.rank)
            chunks = max(first.chunks if first else 0, second.chunks if second else 0)
            results.append(
                _Ranked(
                    rank=rank,
                    score=round(score, 6),
                    chunk_id=best.chunk_id,
                    bm25_rank=first.rank if first else None,
                    vector_rank=second.rank if second else None,
                    collapsed=chunks - 1,
                )
            )
        return results

    def _rows(self, ids: set[int]) -> dict[int, tuple]:
        if not ids:
            return {}
        self._con.register("wanted_chunks", pa.table({"id": sorted(ids)}))
        try:
            rows = self._con.execute(
                "SELECT id, page_url, url, title, partition_key, chunk_index, text "
                "FROM chunks JOIN wanted_chunks USING (id)"
            ).fetchall()
        finally:
            self._con.unregister("wanted_chunks")
        return {row[0]: row[1:] for row in rows}
