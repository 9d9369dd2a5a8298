"""Delivery throughput: changed lead scores sent to a receiver on 127.0.0.1.

Seeds RECORDS changed scores in a fresh warehouse under WORKDIR, starts the reference receiver
(it verifies every signature and keeps each idempotency key once) and runs one real delivery
through the same code as the nightly asset: change detection, pages, signing, retries policy,
the audit rows of every attempt, the report. Checks the receiver got every record exactly once.

    python -m benchmarks.throughput.delivery WORKDIR [--records 50000] [--page-size 500]
"""

import argparse
import json
import multiprocessing
import shutil
import sys
import time
from pathlib import Path

from batch_platform.defs.delivery.logic.config import DeliveryConfig
from batch_platform.defs.delivery.logic.receiver import Receiver
from batch_platform.defs.delivery.logic.runner import deliver
from batch_platform.lib.warehouse import connect

DAY = "2026-05-04"
SECRET = "benchmark-secret"
TARGET_PER_SECOND = 5000

SEED_SQL = """
INSERT INTO scores.lead_scores BY NAME
SELECT
    $day::DATE AS as_of_date,
    'contact' || i || '@account' || (i % 997) || '.example.com' AS email,
    'account' || (i % 997) || '.example.com' AS account_domain,
    (i % 90) + 10.0 AS behaviour_score,
    0.0 AS fit_score,
    (i % 90) + 10.0 AS score,
    CASE WHEN i % 90 + 10 >= 75 THEN 'A' WHEN i % 90 + 10 >= 50 THEN 'B'
         WHEN i % 90 + 10 >= 25 THEN 'C' ELSE 'D' END AS tier,
    i % 90 + 10 >= 50 AS is_mql,
    1 AS events_in_lookback
FROM range($records) AS t(i)
"""


def serve(secret: str, ports, stop, stats) -> None:
    """The receiver in its own process, as a real destination would be."""
    with Receiver(secret) as receiver:
        ports.put(receiver.port)
        stop.wait()
    stats.put({"unique": len(receiver.records), "requests": len(receiver.log)})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workdir", type=Path)
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--page-size", type=int, default=500)
    args = parser.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    warehouse = args.workdir / "delivery_warehouse"
    shutil.rmtree(warehouse, ignore_errors=True)
    con = connect(warehouse)
    con.execute(SEED_SQL, {"day": DAY, "records": args.records})
    spawn = multiprocessing.get_context("spawn")
    ports, stats, stop = spawn.Queue(), spawn.Queue(), spawn.Event()
    server = spawn.Process(target=serve, args=(SECRET, ports, stop, stats), daemon=True)
    server.start()
    try:
        url = f"http://127.0.0.1:{ports.get(timeout=60)}/records"
        config = DeliveryConfig.model_validate(
            {
                "destinations": [
                    {"name": "bench", "url": url, "page_size": args.page_size,
                     "max_records_per_run": args.records}
                ]
            }
        )  # fmt: skip
        started = time.perf_counter()
        run = deliver(
            con, config, run_id="bench-run", as_of_date=DAY, outbox_dir=args.workdir / "outbox",
            reports_dir=args.workdir / "reports", env={"BATCH_PLATFORM_SIGNING_SECRET": SECRET},
        )  # fmt: skip
        seconds = time.perf_counter() - started
    finally:
        stop.set()
    received = stats.get(timeout=60)
    server.join(timeout=30)
    result = run.results[0]
    con.close()
    if (result.succeeded, received["unique"]) != (args.records, args.records):
        print(f"delivery incomplete: {result.summary}; receiver holds {received['unique']}")
        return 1
    print(f"{result.summary}; {result.requests} requests in {seconds:.2f} s", file=sys.stderr)
    print(
        json.dumps(
            {
                "domain": "delivery",
                "work": "changed lead scores sent to a receiver on 127.0.0.1 "
                f"(pages of {args.page_size}, signed, audited)",
                "items": args.records,
                "unit": "records",
                "seconds": round(seconds, 3),
                "target_per_second": TARGET_PER_SECOND,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
