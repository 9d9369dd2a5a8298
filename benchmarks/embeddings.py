"""Embeddings and search on real chunks: the bundled model's throughput, a re-run that embeds
nothing, the index build and search latency.

``python -m benchmarks.embeddings WORKDIR [--corpus DIR]`` serves every HTML page of DIR (default:
Python's documentation from Debian's python3.11-doc, 530 Sphinx pages) from 127.0.0.1, runs them
as one batch through the content assets (fetch → write → clean → chunk → embed → index,
``dg.materialize`` on a lake under WORKDIR), then:

- embeds the batch's chunks again with the bundled model outside Dagster (three times; the best
  and the median are reported, with the machine's load): chunks/s of the embedder itself;
- materializes ``content/content_chunk_embeddings`` and ``content/content_search_index`` again
  for the same batch: the embeddings step must embed 0 chunks (every vector is reused);
- times searches of 200 chunk sentences in each mode, one query at a time (what the CLI and API
  do) and all at once.

``run(work, corpus)`` returns the figures as a dict; ``markdown(result)`` renders them.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

from benchmarks.child import corpus_benchmark_main, corpus_pages_or_exit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET = 2000  # chunks/s with the bundled model
REPEATS = 3
SEARCHES = 200


def _pipeline(work: Path, base_url: str, pages: list[Path]):
    import dagster as dg

    from batch_platform.defs.common.resources import LandingResource, WarehouseResource
    from batch_platform.defs.content.assets.batch_items import record_url_batch
    from batch_platform.defs.content.assets.fetch_results import fetch_url_batch
    from batch_platform.defs.content.assets.pages import clean_url_batch
    from batch_platform.defs.content.assets.search import (
        content_chunk_embeddings,
        content_search_index,
    )
    from batch_platform.defs.content.logic.local_site import allowing_host
    from batch_platform.defs.content.resources import ContentResource, EmbeddingsResource

    batches = work / "landing" / "url_batches"
    batches.mkdir(parents=True, exist_ok=True)
    (batches / "corpus.txt").write_text("\n".join(f"{base_url}/{page}" for page in pages))
    warehouse = WarehouseResource(database=str(work / "warehouse"))
    resources = {
        "duckdb": warehouse,
        "landing": LandingResource(landing_dir=str(work / "landing"), settle_seconds=0),
        "content": ContentResource(cache_max_age=0),
        "embeddings": EmbeddingsResource(),
    }
    search_assets = [content_chunk_embeddings, content_search_index]
    runs = []
    with dg.DagsterInstance.ephemeral() as instance, allowing_host(base_url):
        instance.add_dynamic_partitions("url_batches", ["corpus.txt"])
        for assets in ([fetch_url_batch, record_url_batch, clean_url_batch, *search_assets],
                       search_assets):  # fmt: skip
            result = dg.materialize(
                assets, partition_key="corpus.txt", resources=resources, instance=instance
            )
            if not result.success:
                raise SystemExit("the corpus batch failed")
            runs.append(result)
    return warehouse, runs


def _metadata(result, name: str) -> dict:
    event = next(
        e
        for e in result.get_asset_materialization_events()
        if e.asset_key.path[-1] == f"content_{name}"
    )
    return {k: v.value for k, v in event.materialization.metadata.items()}


def _step_seconds(result, name: str) -> float:
    return next(
        round(e.event_specific_data.duration_ms / 1000, 2)
        for e in result.all_events
        if e.is_step_success and e.step_key.endswith(f"content_{name}")
    )


def embedder_throughput(texts: list[str]) -> dict:
    """The bundled model on ``texts``, REPEATS times, after loading it once."""
    from batch_platform.defs.content.logic.embedders import StaticEmbedder

    started = time.perf_counter()
    embedder = StaticEmbedder()  # a new one: the run's is cached in this process
    load_seconds = time.perf_counter() - started
    embedder.embed(texts[:100])
    rates = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        embedder.embed(texts)
        rates.append(len(texts) / (time.perf_counter() - started))
    return {
        "model": embedder.model,
        "chunks": len(texts),
        "mean_characters": round(statistics.fmean(map(len, texts))),
        "load_seconds": round(load_seconds, 2),
        "chunks_per_second_best": round(max(rates)),
        "chunks_per_second_median": round(statistics.median(rates)),
        "target_per_second": TARGET,
    }


def search_latency(index_file: Path, texts: list[str]) -> dict:
    from batch_platform.defs.content.logic.embedders import make_embedder
    from batch_platform.defs.content.logic.search import MODES, SearchIndex

    step = max(1, len(texts) // SEARCHES)
    queries = [" ".join(text.split()[:12]) for text in texts[::step][:SEARCHES]]
    figures: dict = {"queries": len(queries)}
    with SearchIndex(index_file, make_embedder) as index:
        index.search_many(queries[:1])  # the vectors and page URLs are read once per open
        for mode in MODES:
            times = []
            for query in queries:
                started = time.perf_counter()
                index.search(query, k=10, mode=mode)
                times.append(1000 * (time.perf_counter() - started))
            figures[f"{mode}_ms_median"] = round(statistics.median(times), 1)
            figures[f"{mode}_ms_p95"] = round(sorted(times)[int(0.95 * (len(times) - 1))], 1)
        started = time.perf_counter()
        index.search_many(queries, k=10)
        figures["all_modes_batched_ms_per_query"] = round(
            1000 * (time.perf_counter() - started) / len(queries), 2
        )
    return figures


def run(work: Path, corpus: Path) -> dict:
    """Every figure of this benchmark (see the module's docstring)."""
    from batch_platform.defs.content.logic.search_index import index_path
    from batch_platform.defs.content.logic.static_site import serve_directory

    pages = corpus_pages_or_exit(corpus)
    work.mkdir(parents=True, exist_ok=True)
    load_before = os.getloadavg()[0]
    with serve_directory(corpus) as base_url:
        warehouse, (first, again) = _pipeline(work, base_url, pages)
    with warehouse.get_connection() as con:
        texts = [
            row[0]
            for row in con.execute(
                "SELECT text FROM content.chunks WHERE partition_key = 'corpus.txt' "
                "ORDER BY url, chunk_index"
            ).fetchall()
        ]
    first_embeddings = _metadata(first, "chunk_embeddings")
    rerun = _metadata(again, "chunk_embeddings")
    index = _metadata(first, "search_index")
    return {
        "corpus": str(corpus),
        "pages": len(pages),
        "load_average_before": round(load_before, 2),
        "embedder": embedder_throughput(texts),
        "first_run": {
            "chunks": first_embeddings["dagster/row_count"],
            "embedded": first_embeddings["embedded"],
            "embed_seconds": first_embeddings["embed_seconds"],
            "step_seconds": _step_seconds(first, "chunk_embeddings"),
        },
        "rerun": {
            "embedded": rerun["embedded"],
            "reused": rerun["reused"],
            "step_seconds": _step_seconds(again, "chunk_embeddings"),
        },
        "index": {
            "chunks": index["dagster/row_count"],
            "bytes": index["bytes"],
            "build_seconds": index["build_seconds"],
        },
        "search": search_latency(index_path(warehouse.path), texts),
        "load_average_after": round(os.getloadavg()[0], 2),
    }


def markdown(result: dict) -> str:
    e, first, rerun, index, search = (
        result[k] for k in ("embedder", "first_run", "rerun", "index", "search")
    )
    met = "yes" if e["chunks_per_second_best"] >= e["target_per_second"] else "no"
    return (
        f"\nEmbeddings on real chunks: {e['chunks']:,} chunks (mean {e['mean_characters']} "
        f"characters) of {result['pages']} pages ({result['corpus']}), bundled model "
        f"{e['model']}: **{e['chunks_per_second_best']:,} chunks/s** (median "
        f"{e['chunks_per_second_median']:,} of {REPEATS}; target {e['target_per_second']:,}, "
        f"met: {met}; model loaded in {e['load_seconds']} s; load average "
        f"{result['load_average_before']} before, {result['load_average_after']} after). In the "
        f"run: {first['embedded']:,} of {first['chunks']:,} chunks embedded in "
        f"{first['embed_seconds']} s (step {first['step_seconds']} s); the same batch again: "
        f"**{rerun['embedded']} embedded**, {rerun['reused']:,} reused (step "
        f"{rerun['step_seconds']} s). Search index: {index['chunks']:,} chunks, "
        f"{index['bytes'] / 1e6:.1f} MB, built in {index['build_seconds']} s. Search of "
        f"{search['queries']} queries, median (p95) ms: hybrid {search['hybrid_ms_median']} "
        f"({search['hybrid_ms_p95']}), BM25 {search['bm25_ms_median']} "
        f"({search['bm25_ms_p95']}), vector {search['vector_ms_median']} "
        f"({search['vector_ms_p95']}); all three modes for all queries at once "
        f"{search['all_modes_batched_ms_per_query']} ms a query.\n"
    )


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    corpus_benchmark_main(__doc__, run, markdown)
