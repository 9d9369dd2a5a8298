"""The office API path against a real, rate-limiting, failing server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict

import pytest

from batch_platform.defs.portfolio.assets._common import OFFICE_SNAPSHOT
from batch_platform.defs.portfolio.assets.firm_records import portfolio_firm_records
from batch_platform.defs.portfolio.assets.office_api_responses import office_api_responses
from batch_platform.defs.portfolio.assets.office_snapshot import office_snapshot
from batch_platform.defs.portfolio.logic.office_responses import staged_successes
from batch_platform_tests.defs.portfolio.conftest import (
    ASSETS,
    MONTH,
    OFFICE_API_KEY,
    use_office_api,
)
from batch_platform_tests.support.office_api import JITTER, OfficeApiServer, OfficeState

RATE_PER_MINUTE = 120  # per jurisdiction: one request every 0.5 s
INTERVAL = 60 / RATE_PER_MINUTE


def test_rate_limited_failing_api_records_failures_and_rerun_fetches_only_those(
    portfolio, office_sample, monkeypatch
):
    _sample, records = office_sample
    ids = sorted(records)
    state = OfficeState(
        records=records,
        api_key=OFFICE_API_KEY,
        min_interval=INTERVAL,
        throttle_once={ids[3], ids[17]},
        flaky_once={ids[5], ids[30]},
        down={ids[8], ids[41]},
        missing={ids[12]},
    )
    with OfficeApiServer(state) as server:
        use_office_api(portfolio, monkeypatch, server.url, RATE_PER_MINUTE)
        assert portfolio.sweep(MONTH, assets=[portfolio_firm_records]).success
        first = portfolio.sweep(MONTH, assets=[office_api_responses, office_snapshot])
        assert first.success
        assert all(c.passed for c in first.get_asset_check_evaluations())

        # The rate limit held: the server never had to refuse a request for going too fast, and
        # every jurisdiction's requests (retries included) are at least the interval apart.
        assert state.violations == 0
        by_jurisdiction = defaultdict(list)
        for request in state.log:
            by_jurisdiction[request.jurisdiction].append(request.at)
        assert len(by_jurisdiction) == 6
        for times in by_jurisdiction.values():
            gaps = [b - a for a, b in itertools.pairwise(times)]
            assert min(gaps) >= INTERVAL - JITTER, (min(gaps), INTERVAL)
            # On average too (allowing one request's arrival jitter over the whole span).
            assert (len(times) - 1) / (times[-1] - times[0] + JITTER) <= RATE_PER_MINUTE / 60

        # Retry-After was honoured: the retry of a throttled registration came ≥ 1 s later.
        for registration_id in state.throttle_once:
            times = [r.at for r in state.log if r.registration_id == registration_id]
            assert len(times) == 2 and times[1] - times[0] >= 0.97

        # Nearest renewal first: within a jurisdiction, first requests follow the priority rank.
        ranks = dict(
            portfolio.query(
                "SELECT registration_id, priority_rank FROM portfolio.office_snapshot "
                "WHERE month = ?",
                [MONTH],
            )
        )
        first_seen: dict[str, list[str]] = defaultdict(list)
        for request in state.log:
            if request.registration_id not in first_seen[request.jurisdiction]:
                first_seen[request.jurisdiction].append(request.registration_id)
        for order in first_seen.values():
            assert [ranks[i] for i in order] == sorted(ranks[i] for i in order)

        states = portfolio.office_states(MONTH)
        assert len(states) == 60
        failed = {i for i, s in states.items() if s[0] == "failed"}
        assert failed == state.down | state.missing
        for registration_id in state.down:
            assert states[registration_id][1:] == (3, "HTTP 503 Service Unavailable", True)
        assert states[ids[12]][1:] == (1, "HTTP 404 Not Found", False)
        for registration_id in state.throttle_once | state.flaky_once:
            assert states[registration_id][:2] == ("succeeded", 2)
        (materialization,) = [
            e.materialization
            for e in first.get_asset_materialization_events()
            if e.materialization.asset_key == OFFICE_SNAPSHOT
        ]
        assert materialization.metadata["failed"].value == 3
        assert materialization.metadata["retried"].value == 6
        assert ids[8] in materialization.metadata["failed_items"].value

        # The office recovers; a re-run requests exactly the registrations that failed.
        state.down.clear()
        state.log.clear()
        second = portfolio.sweep(MONTH, assets=ASSETS[1:])
        assert second.success
        assert {r.registration_id for r in state.log} == failed
        states = portfolio.office_states(MONTH)
        assert {i for i, s in states.items() if s[0] == "failed"} == {ids[12]}
        assert states[ids[8]][0] == "succeeded"

    report = (portfolio.reports_dir / f"portfolio_health_{MONTH:%Y-%m}.md").read_text()
    assert "60 registrations:" in report and "1 fetch failures" in report
    assert ids[12] in report and "HTTP 404 Not Found" in report


def test_api_records_are_normalised_like_snapshots(portfolio, office_sample, monkeypatch):
    _sample, records = office_sample
    state = OfficeState(records=records, api_key=OFFICE_API_KEY, min_interval=0.0)
    with OfficeApiServer(state) as server:
        use_office_api(portfolio, monkeypatch, server.url, rate=6000)
        assert portfolio.sweep(
            MONTH, assets=[portfolio_firm_records, office_api_responses, office_snapshot]
        ).success
    rows = portfolio.query(
        "SELECT count(*) FILTER (fetch_state = 'succeeded'), count(DISTINCT status), "
        "min(as_of), max(as_of) FROM portfolio.office_snapshot WHERE month = ?",
        [MONTH],
    )
    succeeded, statuses, first, last = rows[0]
    assert succeeded == 60 and statuses >= 2
    assert first == last == dt.date(2026, 11, 1)


def test_wrong_key_fails_every_item_without_retrying(portfolio, office_sample, monkeypatch):
    _sample, records = office_sample
    monkeypatch.setenv("BATCH_PLATFORM_OFFICE_API_KEY", "wrong")
    state = OfficeState(records=records, api_key=OFFICE_API_KEY, min_interval=0.0)
    with OfficeApiServer(state) as server:
        use_office_api(portfolio, monkeypatch, server.url, rate=6000)
        result = portfolio.sweep(
            MONTH, assets=[portfolio_firm_records, office_api_responses, office_snapshot]
        )
    assert result.success
    assert len(state.log) == 60
    assert {s[1:] for s in portfolio.office_states(MONTH).values()} == {
        (1, "HTTP 401 Unauthorized", False)
    }


def test_a_fetch_that_dies_keeps_its_staged_results_and_the_rerun_fetches_only_the_rest(
    portfolio, office_sample, monkeypatch
):
    from batch_platform.defs.portfolio.assets import office_api_responses as module

    _sample, records = office_sample
    monkeypatch.setattr(module, "CHECKPOINT_EVERY", 10)
    staging = portfolio.staging(MONTH)
    real_write = type(staging).write
    calls = {"n": 0}

    def dying_write(self, kind, table):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("disk lost")
        return real_write(self, kind, table)

    state = OfficeState(records=records, api_key=OFFICE_API_KEY, min_interval=0.0)
    with OfficeApiServer(state) as server:
        use_office_api(portfolio, monkeypatch, server.url, rate=6000)
        assert portfolio.sweep(MONTH, assets=[portfolio_firm_records]).success
        with monkeypatch.context() as patch:
            patch.setattr(type(staging), "write", dying_write)
            with pytest.raises(OSError, match="disk lost"):
                portfolio.sweep(MONTH, assets=[office_api_responses, office_snapshot])
        # The segments written before the failure survived it (results other workers had in
        # hand may have been staged too before the fetch stopped); nothing reached the lake.
        kept = staged_successes(staging)
        assert 20 <= len(kept) < 60
        assert portfolio.office_states(MONTH) == {}
        state.log.clear()
        assert portfolio.sweep(MONTH, assets=[office_api_responses, office_snapshot]).success
    assert {r.registration_id for r in state.log} == set(records) - kept
    assert {s[0] for s in portfolio.office_states(MONTH).values()} == {"succeeded"}
    assert len(portfolio.office_states(MONTH)) == 60
    assert staging.segments() == []
