"""A batch whose fetch is interrupted keeps what finished and marks the rest `canceled`; the next
run fetches only the rest."""

import signal
import subprocess
import sys
import textwrap
import time
from urllib.parse import urlsplit

import dagster as dg

from batch_platform.defs.common.resources import LandingResource, WarehouseResource
from batch_platform.defs.content.assets.batch_items import record_url_batch
from batch_platform.defs.content.assets.fetch_results import fetch_url_batch
from batch_platform.defs.content.logic.local_site import serve_site
from batch_platform.defs.content.resources import ContentResource
from batch_platform.lib.warehouse import connect

SCRIPT = textwrap.dedent(
    """
    import sys
    import dagster as dg
    from batch_platform.defs.common.resources import LandingResource, WarehouseResource
    from batch_platform.defs.content.assets.fetch_results import fetch_url_batch
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


def test_an_interrupted_fetch_keeps_what_finished_and_the_next_run_fetches_the_rest(tmp_path):
    batches = tmp_path / "landing" / "url_batches"
    batches.mkdir(parents=True)
    warehouse = WarehouseResource(database=str(tmp_path / "warehouse"))
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
        assert process.returncode != 0 or "RUN_FAILURE" in output, output[-3000:]

        assert "wrote the" in output and "staged results to content.batch_items" in output
        # The stopped run wrote what it had staged: every item finished or canceled.
        assert not warehouse.staging("content", "slow.txt").directory.exists()
        states = item_states(tmp_path)
        by_state = {s: sum(1 for v in states.values() if v == s) for s in set(states.values())}
        assert set(by_state) == {"succeeded", "canceled"}, by_state
        assert by_state["succeeded"] >= 6 and by_state["canceled"] >= 20
        assert len(states) == 40
        finished = {url for url, state in states.items() if state == "succeeded"}

        with dg.DagsterInstance.ephemeral() as instance:
            instance.add_dynamic_partitions("url_batches", ["slow.txt"])
            result = dg.materialize(
                [fetch_url_batch, record_url_batch],
                partition_key="slow.txt",
                instance=instance,
                resources={
                    "duckdb": warehouse,
                    "landing": LandingResource(landing_dir=str(tmp_path / "landing")),
                    "content": ContentResource(per_host_concurrency=8, total_timeout=10),
                },
            )
        assert result.success
        # What the interrupted run finished was not requested again.
        for url in finished:
            assert site.stats.requests[urlsplit(url).path] == 1

    assert set(item_states(tmp_path).values()) == {"succeeded"}
    assert not warehouse.staging("content", "slow.txt").directory.exists()


def item_states(root) -> dict[str, str]:
    con = connect(root / "warehouse", read_only=True)
    try:
        return dict(con.execute("SELECT url, state FROM content.batch_items").fetchall())
    finally:
        con.close()
