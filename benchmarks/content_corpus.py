"""Content ingestion on real pages: throughput end to end, and extraction quality against
trafilatura's on the same pages.

``python -m benchmarks.content_corpus WORKDIR [--corpus DIR]`` serves every HTML page of DIR
(default: Python's documentation from Debian's python3.11-doc, 530 Sphinx pages) from 127.0.0.1
in a server process of its own, and runs them as one batch through the platform's assets (fetch →
write → clean → chunk, ``dg.materialize`` on a lake under WORKDIR, the default settings: the
``auto`` extractor in one worker process per core), ``ROUNDS`` times, each on a new lake: the
figure reported is the median round's (on this machine the same run varies by ±10% minutes
apart), and every round's pages/s is listed. Then it measures, on the same pages:

- the quality of the text the platform stored (``extraction_quality.py``: main text kept,
  navigation left behind, precision; the reference is each page's ``div[role=main]`` and its
  navigation, sidebar and footer);
- the same for trafilatura alone (the extractor before issue 17) and for Resiliparse's
  main-content extraction alone, and the CPU time each extractor takes per page (each page in a
  worker process, so the figures are one core's);
- the platform and Resiliparse alone again on the same pages with their navigation markup
  removed (``content_extractors.without_navigation_markup``): what a site that marks none gets.

A missing corpus is an error that says how to install it, never a skip.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from benchmarks.child import corpus_benchmark_main, corpus_pages_or_exit

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
TARGET = 100  # pages/s end to end
ROUNDS = 3  # the batch is ingested this many times; the median round is reported
# The extractors compared side by side: the platform's choice per page, and each part alone; on
# the pages as served, then on the same pages with their navigation markup removed (a site that
# marks none), where the reference stays what it was.
EXTRACTORS = {
    "auto": "the platform (auto)",
    "main_content": "Resiliparse main content alone",
    "trafilatura": "trafilatura alone (before issue 17)",
    "auto_unmarked": "the platform (auto), navigation markup removed",
    "main_content_unmarked": "Resiliparse main content alone, navigation markup removed",
}
TIMED_EXTRACTION = "benchmarks.content_extractors:timed_extraction"


def _serve(corpus: Path) -> tuple[subprocess.Popen, str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "batch_platform.defs.content.logic.static_site", str(corpus)],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    return server, server.stdout.readline().strip()


def ingest(work: Path, base_url: str, pages: list[Path]) -> dict:
    """The batch through the three content assets; wall time, step times and what was stored."""
    import dagster as dg

    from batch_platform.defs.common.resources import LandingResource, WarehouseResource
    from batch_platform.defs.content.assets.batch_items import record_url_batch
    from batch_platform.defs.content.assets.fetch_results import fetch_url_batch
    from batch_platform.defs.content.assets.pages import clean_url_batch
    from batch_platform.defs.content.logic.local_site import allowing_host
    from batch_platform.defs.content.resources import ContentResource

    batches = work / "landing" / "url_batches"
    batches.mkdir(parents=True, exist_ok=True)
    (batches / "corpus.txt").write_text("\n".join(f"{base_url}/{page}" for page in pages))
    warehouse = WarehouseResource(database=str(work / "warehouse"))
    resources = {
        "duckdb": warehouse,
        "landing": LandingResource(landing_dir=str(work / "landing"), settle_seconds=0),
        "content": ContentResource(cache_max_age=0),
    }
    with dg.DagsterInstance.ephemeral() as instance, allowing_host(base_url):
        instance.add_dynamic_partitions("url_batches", ["corpus.txt"])
        load_before = os.getloadavg()[0]
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        result = dg.materialize(
            [fetch_url_batch, record_url_batch, clean_url_batch],
            partition_key="corpus.txt",
            resources=resources,
            instance=instance,
        )
        seconds = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_before
    if not result.success:
        raise SystemExit("the corpus batch failed")
    steps = {
        event.step_key: round(event.event_specific_data.duration_ms / 1000, 2)
        for event in result.all_events
        if event.is_step_success
    }
    metadata = next(
        m.materialization.metadata
        for m in result.get_asset_materialization_events()
        if m.asset_key.path == ["content", "content_pages"]
    )
    with warehouse.get_connection() as con:
        stored = dict(
            con.execute(
                "SELECT url, text FROM content.pages WHERE partition_key = 'corpus.txt' "
                "AND dup_status <> 'failed'"
            ).fetchall()
        )
        chunks = con.execute(
            "SELECT count(*) FROM content.chunks WHERE partition_key = 'corpus.txt'"
        ).fetchone()[0]
    return {
        "seconds": round(seconds, 2),
        # CPU the run used (its process and the extraction workers; not the site's server), and
        # the machine's load before it: on a shared machine, wall time says little without them.
        "cpu_seconds": round(cpu, 2),
        "load_average_before": round(load_before, 2),
        "steps": steps,
        "extractors": metadata["extractors"].value,
        "unreadable": metadata["unreadable"].value,
        "chunks": chunks,
        "stored": stored,
    }


def _cpu_seconds() -> float:
    """User and system CPU of this process and of its children that have ended."""
    own, children = (
        resource.getrusage(resource.RUSAGE_SELF),
        resource.getrusage(resource.RUSAGE_CHILDREN),
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def side_by_side(corpus: Path, pages: list[Path], stored: dict[str, str], base_url: str) -> dict:
    """Quality of each extractor on every page, and its CPU time per page."""
    from batch_platform.defs.content.logic.documentation_corpus import (
        MAIN_SELECTOR,
        NAVIGATION_SELECTORS,
    )
    from batch_platform.defs.content.logic.extraction_quality import (
        corpus_quality,
        page_quality,
        reference_text,
    )
    from batch_platform.defs.content.logic.worker_pool import WorkerPool, available_cores

    bodies = [(corpus / page).read_bytes() for page in pages]
    references = [
        reference_text(body.decode("utf-8", "replace"), MAIN_SELECTOR, NAVIGATION_SELECTORS)
        for body in bodies
    ]
    outputs: dict[str, list[str]] = {}
    figures: dict[str, dict] = {}
    with WorkerPool(TIMED_EXTRACTION, available_cores(), timeout=600) as pool:
        for name in EXTRACTORS:
            outcomes = pool.map([(body, name) for body in bodies])
            failed = [str(p) for p, o in zip(pages, outcomes, strict=True) if o.error]
            if failed:
                raise SystemExit(f"{name} failed on {failed[:5]}")
            outputs[name] = [o.value[0] for o in outcomes]
            cpu = [o.value[1] for o in outcomes]
            figures[name] = {
                "read_by": dict(Counter(o.value[2] for o in outcomes)),
                "cpu_seconds": round(sum(cpu), 2),
                "ms_per_page_mean": round(1000 * statistics.fmean(cpu), 1),
                "ms_per_page_median": round(1000 * statistics.median(cpu), 1),
                "pages_per_second_one_core": round(len(cpu) / sum(cpu), 1),
            }
    # The platform's figure is what it stored, not a re-extraction.
    stored_texts = [stored.get(f"{base_url}/{page}", "") for page in pages]
    if stored_texts != outputs["auto"]:
        differing = sum(a != b for a, b in zip(stored_texts, outputs["auto"], strict=True))
        raise SystemExit(f"the platform stored other text than extract() gives ({differing})")
    for name in EXTRACTORS:
        quality = corpus_quality(
            page_quality(text, ref) for text, ref in zip(outputs[name], references, strict=True)
        )
        figures[name] |= quality.as_dict()
    return figures


def run(work: Path, corpus: Path) -> dict:

    pages = corpus_pages_or_exit(corpus)
    work.mkdir(parents=True, exist_ok=True)
    server, base_url = _serve(corpus)
    try:
        rounds = [
            ingest_in_new_process(work / f"round_{n}", base_url, pages)
            for n in range(1, ROUNDS + 1)
        ]
    finally:
        server.stdin.close()
        server.wait(timeout=10)
    ingested = median_round(rounds)
    stored = ingested.pop("stored")
    if len(stored) != len(pages):
        raise SystemExit(f"{len(pages) - len(stored)} pages of {len(pages)} were not cleaned")
    megabytes = sum((corpus / page).stat().st_size for page in pages) / 1e6
    return {
        "corpus": str(corpus),
        "pages": len(pages),
        "megabytes": round(megabytes, 1),
        "pages_per_second": round(len(pages) / ingested["seconds"], 1),
        "target_per_second": TARGET,
        "rounds_pages_per_second": [round(len(pages) / r["seconds"], 1) for r in rounds],
        **ingested,
        "extractors_compared": side_by_side(corpus, pages, stored, base_url),
    }


def ingest_in_new_process(work: Path, base_url: str, pages: list[Path]) -> dict:
    """``ingest`` in a fresh interpreter, as each run of the platform is its own process: no
    round starts warm from the one before."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        return pool.submit(ingest, work, base_url, pages).result()


def median_round(rounds: list[dict]) -> dict:
    """The round whose time is the median of all (the middle one of an odd number; of an even
    number, the slower of the two middle ones)."""
    ordered = sorted(rounds, key=lambda r: r["seconds"])
    return ordered[len(ordered) // 2]


def markdown(result: dict) -> str:
    met = "yes" if result["pages_per_second"] >= result["target_per_second"] else "no"
    steps = ", ".join(f"{step} {seconds} s" for step, seconds in result["steps"].items())
    rounds = result["rounds_pages_per_second"]
    rounds_text = ", ".join(str(r) for r in rounds)
    lines = [
        "",
        f"Content on real pages: {result['pages']} pages ({result['megabytes']} MB of HTML, "
        f"{result['corpus']}) served from 127.0.0.1, fetched, written, cleaned and chunked "
        f"end to end in {result['seconds']} s: **{result['pages_per_second']} pages/s**, the "
        f"median of {len(rounds)} rounds ({rounds_text} pages/s) (target "
        f"{result['target_per_second']}, met: {met}; {steps}; {result['cpu_seconds']} s of CPU "
        f"on {os.cpu_count()} cores, load average {result['load_average_before']} before; HTML "
        f"read by {result['extractors']}, {result['chunks']:,} chunks).",
        "",
        "| extractor | main text kept | navigation left behind | precision | pages keeping "
        "< half | CPU ms/page (mean, median) | pages/s on one core | pages read by |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name, label in EXTRACTORS.items():
        f = result["extractors_compared"][name]
        read_by = ", ".join(f"{used} {count}" for used, count in sorted(f["read_by"].items()))
        lines.append(
            f"| {label} | {f['main_kept']:.2%} | {f['navigation_left_behind']:.2%} "
            f"| {f['precision']:.2%} | {f['pages_keeping_under_half']} "
            f"| {f['ms_per_page_mean']}, {f['ms_per_page_median']} "
            f"| {f['pages_per_second_one_core']} | {read_by} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    corpus_benchmark_main(__doc__, run, markdown)
