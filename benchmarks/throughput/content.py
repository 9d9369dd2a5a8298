"""Content ingestion throughput: one batch of 1,000 URLs through the platform's assets.

The site runs in its own process on 127.0.0.1 (so it does not share this process's GIL) and
counts the connections open at once; the per-host cap is 4. The batch goes through the real
Dagster assets (fetch → staging → clean → pages → chunks) on a DuckDB file under WORKDIR.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import httpx

from batch_platform.defs.common.resources import LandingResource, WarehouseResource
from batch_platform.defs.content.assets.batch_items import record_url_batch
from batch_platform.defs.content.assets.fetch_results import fetch_url_batch
from batch_platform.defs.content.assets.pages import clean_url_batch
from batch_platform.defs.content.logic.local_site import allowing_host
from batch_platform.defs.content.resources import ContentResource

URLS = 1000
PER_HOST = 4
TARGET = 200


def main(work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    site = subprocess.Popen(
        [sys.executable, "-m", "batch_platform.defs.content.logic.local_site"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        base = site.stdout.readline().strip()
        batches = work / "landing" / "url_batches"
        batches.mkdir(parents=True, exist_ok=True)
        (batches / "bench.txt").write_text("\n".join(f"{base}/page/{n}" for n in range(URLS)))
        resources = {
            "duckdb": WarehouseResource(database=str(work / "warehouse")),
            "landing": LandingResource(landing_dir=str(work / "landing"), settle_seconds=0),
            "content": ContentResource(per_host_concurrency=PER_HOST, cache_max_age=0),
        }
        with dg.DagsterInstance.ephemeral() as instance, allowing_host(base):
            instance.add_dynamic_partitions("url_batches", ["bench.txt"])
            started = time.perf_counter()
            result = dg.materialize(
                [fetch_url_batch, record_url_batch, clean_url_batch],
                partition_key="bench.txt",
                resources=resources,
                instance=instance,
            )
            seconds = time.perf_counter() - started
        assert result.success
        steps = {
            e.step_key: e.event_specific_data.duration_ms / 1000
            for e in result.all_events
            if e.is_step_success
        }
        stats = httpx.get(f"{base}/_stats", timeout=10).json()
        if stats["max_open_connections"] > PER_HOST:
            raise SystemExit(f"per-host cap broken: {stats['max_open_connections']} connections")
        # Step keys as Dagster names them (the fetch asset's is its asset key).
        timings = ", ".join(f"{step} {seconds:.2f} s" for step, seconds in steps.items())
        opened = stats["max_open_connections"]
        print(f"{timings}; at most {opened} connections at once on the server")
        print(
            json.dumps(
                {
                    "domain": "content",
                    "work": f"{URLS:,} URLs fetched, cleaned, chunked and de-duplicated from a "
                    f"site on 127.0.0.1 (per-host cap {PER_HOST})",
                    "items": URLS,
                    "unit": "pages",
                    "seconds": round(seconds, 2),
                    "target_per_second": TARGET,
                    "max_open_connections": stats["max_open_connections"],
                }
            )
        )
    finally:
        site.stdin.close()
        try:
            site.wait(timeout=10)
        except subprocess.TimeoutExpired:
            site.kill()


if __name__ == "__main__":
    main(Path(sys.argv[1]))
