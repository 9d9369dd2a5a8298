"""A batch run interrupted mid-fetch keeps what finished and marks the rest `canceled`."""

import signal
import subprocess
import sys
import textwrap
import time

from batch_platform.defs.content.logic.local_site import serve_site
from batch_platform.lib.warehouse import connect

SCRIPT = textwrap.dedent(
    """
    import sys
    import dagster as dg
    from batch_platform.defs.common.resources import LandingResource, WarehouseResource
    from batch_platform.defs.content.assets.batch_items import fetch_url_batch
    from batch_platform.defs.content.resources import ContentResource

    root = sys.argv[1]
    with dg.DagsterInstance.ephemeral() as instance:
        instance.add_dynamic_partitions("url_batches", ["slow.txt"])
        dg.materialize(
            [fetch_url_batch],
            partition_key="slow.txt",
            instance=instance,
            resources={
                "duckdb": WarehouseResource(database=f"{root}/warehouse"),
                "landing": LandingResource(landing_dir=f"{root}/landing", settle_seconds=0),
                "content": ContentResource(per_host_concurrency=2, total_timeout=10),
            },
        )
    """
)


def test_an_interrupted_run_leaves_no_item_unfinished(tmp_path):
    batches = tmp_path / "landing" / "url_batches"
    batches.mkdir(parents=True)
    with serve_site() as site:
        urls = [site.url(f"/slow/{n}?seconds=0.5") for n in range(40)]
        (batches / "slow.txt").write_text("\n".join(urls) + "\n")
        process = subprocess.Popen(
            [sys.executable, "-c", SCRIPT, str(tmp_path)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # Interrupt once some pages (2 at a time, 0.5 s each) have finished.
        deadline = time.monotonic() + 60
        while site.stats.requests["/slow/8"] == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
    assert "unfinished URLs marked canceled" in output, output[-3000:]
    con = connect(tmp_path / "warehouse", read_only=True)
    try:
        states = dict(
            con.execute("SELECT state, count(*) FROM content.batch_items GROUP BY 1").fetchall()
        )
        staged = con.execute("SELECT count(*) FROM content.raw_responses").fetchone()[0]
    finally:
        con.close()
    assert set(states) == {"succeeded", "canceled"}, states
    assert states["succeeded"] >= 6 and states["canceled"] >= 20
    assert sum(states.values()) == 40 and staged == states["succeeded"]
