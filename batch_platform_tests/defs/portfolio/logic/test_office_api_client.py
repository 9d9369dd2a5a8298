"""The office API client's building blocks: token bucket, priority gate, rate overrides."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from batch_platform.defs.portfolio.logic.office_api import (
    PriorityGate,
    TokenBucket,
    parse_rate_overrides,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_token_bucket_refills_at_its_rate_up_to_capacity():
    clock = FakeClock()
    bucket = TokenBucket(rate_per_second=2, capacity=2, clock=clock)
    assert bucket.wait_time() == 0
    bucket.spend()
    bucket.spend()
    assert bucket.wait_time() == pytest.approx(0.5)
    clock.now += 10
    assert bucket.wait_time() == 0 and bucket.tokens == 2  # never more than capacity


def test_hold_off_blocks_the_bucket_for_retry_after():
    clock = FakeClock()
    bucket = TokenBucket(rate_per_second=10, clock=clock)
    bucket.hold_off(3)
    assert bucket.wait_time() == pytest.approx(3)
    clock.now += 3
    assert bucket.wait_time() == 0


def test_token_bucket_spaces_requests_in_real_time():
    async def run() -> list[float]:
        bucket = TokenBucket(rate_per_second=20)
        loop = asyncio.get_running_loop()
        times = []

        async def one() -> None:
            async with bucket.turn():
                bucket.spend()
                times.append(loop.time())

        await asyncio.gather(*(one() for _ in range(5)))
        return times

    times = asyncio.run(run())
    assert all(b - a >= 0.045 for a, b in itertools.pairwise(times))


def test_priority_gate_admits_the_most_urgent_waiter_first():
    async def run() -> list[int]:
        gate = PriorityGate(1)
        order: list[int] = []
        await gate.acquire(0)

        async def waiter(priority: int) -> None:
            await gate.acquire(priority)
            order.append(priority)
            gate.release()

        tasks = [asyncio.create_task(waiter(p)) for p in (5, 1, 3)]
        await asyncio.sleep(0)
        gate.release()
        await asyncio.gather(*tasks)
        return order

    assert asyncio.run(run()) == [1, 3, 5]


def test_rate_overrides_parse_and_reject_nonsense():
    assert parse_rate_overrides("em=120, US=30") == {"EM": 120.0, "US": 30.0}
    assert parse_rate_overrides("") == {}
    with pytest.raises(ValueError, match="'US=fast'"):
        parse_rate_overrides("US=fast")
