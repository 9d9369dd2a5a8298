"""The office API step stages to files and holds no pool; the write step folds them in once.

Against a real office API on 127.0.0.1: an interrupted fetch (SIGINT to a real process) keeps
what it finished and the next run fetches only the rest; a write step that fails midway leaves
the staged segments, and the re-run writes them exactly once.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from dataclasses import dataclass

import pytest

from batch_platform.definitions import defs
from batch_platform.defs.common.resources import warehouse_pool
from batch_platform.defs.portfolio.assets.firm_records import portfolio_firm_records
from batch_platform.defs.portfolio.assets.office_api_responses import office_api_responses
from batch_platform.defs.portfolio.assets.office_snapshot import office_snapshot
from batch_platform.defs.portfolio.logic import office_data
from batch_platform.defs.portfolio.logic.office_responses import staged_successes
from batch_platform.lib.warehouse import current_snapshot
from batch_platform_tests.defs.portfolio.conftest import MONTH, OFFICE_API_KEY, use_office_api
from batch_platform_tests.support.office_api import OfficeApiServer, OfficeState

FETCH_IN_A_PROCESS = textwrap.dedent(
    """
    import sys
    import dagster as dg
    from batch_platform.defs.common.resources import WarehouseResource
    from batch_platform.defs.portfolio.assets import office_api_responses as module
    from batch_platform.defs.portfolio.resources import OfficeDataResource

    warehouse, month = sys.argv[1:]
    module.CHECKPOINT_EVERY = 5
    with dg.DagsterInstance.ephemeral() as instance:
        dg.materialize(
            [module.office_api_responses],
            partition_key=month,
            instance=instance,
            resources={
                "duckdb": WarehouseResource(database=warehouse),
                "portfolio_office": OfficeDataResource(
                    source="api", requests_per_minute=6000, concurrency=2, timeout_seconds=5
                ),
            },
        )
    """
)


@dataclass
class SlowOfficeState(OfficeState):
    """An office that takes ``delay`` seconds to answer each request."""

    delay: float = 0.0

    def respond(self, jurisdiction: str, registration_id: str, auth: str | None):
        time.sleep(self.delay)
        return super().respond(jurisdiction, registration_id, auth)


def test_the_fetch_step_holds_no_pool_and_the_write_step_the_portfolio_pool():
    assert office_api_responses.op.pool is None
    assert office_snapshot.op.pool == warehouse_pool("portfolio")
    job = defs().resolve_job_def("monthly_portfolio_health")
    pools = {name: node.definition.pool for name, node in job.graph.node_dict.items()}
    assert pools.pop("portfolio__portfolio_office_api_responses") is None
    # The records' delivery writes the delivery tables, in turn with the score delivery.
    assert pools.pop("delivery__delivery_portfolio_records") == warehouse_pool("delivery")
    assert set(pools.values()) == {warehouse_pool("portfolio")}


def test_an_interrupted_fetch_keeps_what_it_finished_and_the_next_run_fetches_the_rest(
    portfolio, office_sample, monkeypatch
):
    _sample, records = office_sample
    staging = portfolio.staging(MONTH)
    state = SlowOfficeState(records=records, api_key=OFFICE_API_KEY, min_interval=0.0, delay=0.3)
    with OfficeApiServer(state) as server:
        use_office_api(portfolio, monkeypatch, server.url, rate=6000)
        assert portfolio.sweep(MONTH, assets=[portfolio_firm_records]).success
        process = subprocess.Popen(
            [sys.executable, "-c", FETCH_IN_A_PROCESS, str(portfolio.warehouse), str(MONTH)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        # Interrupt once some answers (2 in flight, 0.3 s each) have come back.
        deadline = time.monotonic() + 60
        while len(state.log) < 15 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        output, _ = process.communicate(timeout=60)
        assert "a re-run fetches only the rest" in output, output[-3000:]

        # What came back before the signal is staged; nothing reached the warehouse.
        answered = {r.registration_id for r in state.log}
        staged = staged_successes(staging)
        assert 10 <= len(staged) < 60, output[-3000:]
        assert staged <= answered
        assert not list(staging.directory.glob(".*.part"))
        assert portfolio.office_states(MONTH) == {}

        state.log.clear()
        state.delay = 0.0
        assert portfolio.sweep(MONTH, assets=[office_api_responses, office_snapshot]).success
    requested = [r.registration_id for r in state.log]
    assert sorted(requested) == sorted(set(records) - staged)
    states = portfolio.office_states(MONTH)
    assert len(states) == 60 and {s[0] for s in states.values()} == {"succeeded"}
    assert staging.segments() == []


def test_a_write_step_that_fails_midway_leaves_the_segments_and_the_rerun_writes_them_once(
    portfolio, office_sample, monkeypatch
):
    _sample, records = office_sample
    staging = portfolio.staging(MONTH)
    real_write_partition = office_data.write_partition

    def write_then_fail(*args, **kwargs):
        real_write_partition(*args, **kwargs)
        raise RuntimeError("catalog lost before the commit")

    state = OfficeState(records=records, api_key=OFFICE_API_KEY, min_interval=0.0)
    with OfficeApiServer(state) as server:
        use_office_api(portfolio, monkeypatch, server.url, rate=6000)
        assert portfolio.sweep(MONTH, assets=[portfolio_firm_records]).success
        with monkeypatch.context() as patch:
            patch.setattr(office_data, "write_partition", write_then_fail)
            with pytest.raises(RuntimeError, match="catalog lost"):
                portfolio.sweep(MONTH, assets=[office_api_responses, office_snapshot])
        segments = staging.segments()
        assert segments and staged_successes(staging) == set(records)
        assert portfolio.office_states(MONTH) == {}  # rolled back whole

        # The re-run fetches nothing (every registration is staged) and writes each once.
        state.log.clear()
        assert portfolio.sweep(MONTH, assets=[office_api_responses, office_snapshot]).success
        assert state.log == []
    rows = portfolio.query(
        "SELECT count(*), count(DISTINCT registration_id) FROM portfolio.office_snapshot "
        "WHERE month = ? AND fetch_state = 'succeeded'",
        [MONTH],
    )
    assert rows == [(60, 60)]
    assert staging.segments() == [] and not staging.directory.exists()

    # Nothing staged and nothing stale: another write step leaves the lake as it is.
    with portfolio.resources["duckdb"].get_connection() as con:
        before = current_snapshot(con)
    assert portfolio.sweep(MONTH, assets=[office_snapshot]).success
    with portfolio.resources["duckdb"].get_connection() as con:
        assert current_snapshot(con) == before


def test_refetch_all_fetches_every_registration_again(portfolio, office_sample, monkeypatch):
    _sample, records = office_sample
    state = OfficeState(records=records, api_key=OFFICE_API_KEY, min_interval=0.0)
    with OfficeApiServer(state) as server:
        use_office_api(portfolio, monkeypatch, server.url, rate=6000)
        assets = [portfolio_firm_records, office_api_responses, office_snapshot]
        assert portfolio.sweep(MONTH, assets=assets).success
        state.log.clear()
        assert portfolio.sweep(MONTH, assets=assets[1:]).success
        assert state.log == []  # every registration has succeeded
        refetch = {
            "ops": {"portfolio__portfolio_office_api_responses": {"config": {"refetch_all": True}}}
        }
        assert portfolio.sweep(MONTH, assets=assets[1:], run_config=refetch).success
    assert sorted(r.registration_id for r in state.log) == sorted(records)
    assert len(portfolio.office_states(MONTH)) == 60
