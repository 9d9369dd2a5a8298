"""Unit tests for ``batch_platform.lib.retry``: exponential backoff with full jitter."""

from __future__ import annotations

import logging
import random

import pytest

from batch_platform.lib.retry import backoff_delays, retry_with_jitter


class Transient(Exception):
    pass


class Fatal(Exception):
    pass


def is_transient(error: Exception) -> bool:
    return isinstance(error, Transient)


class Flaky:
    """Raises the given errors in turn, then returns ``result``."""

    def __init__(self, *errors: BaseException, result: object = "ok"):
        self.errors = list(errors)
        self.result = result
        self.calls = 0

    def __call__(self):
        self.calls += 1
        if self.errors:
            raise self.errors.pop(0)
        return self.result


@pytest.fixture
def sleeps() -> list[float]:
    return []


def run(fn, sleeps, *, seed: int = 42, **options):
    return retry_with_jitter(
        fn,
        is_retryable=is_transient,
        rng=random.Random(seed),
        sleep=sleeps.append,
        **options,
    )


def test_success_at_first_attempt_does_not_sleep(sleeps):
    fn = Flaky(result=123)
    assert run(fn, sleeps) == 123
    assert fn.calls == 1
    assert sleeps == []


def test_retryable_errors_are_retried_with_the_seeded_delays(sleeps):
    fn = Flaky(Transient("1"), Transient("2"), Transient("3"), result="done")
    assert run(fn, sleeps, attempts=8, base=0.1, cap=5.0, seed=7) == "done"
    assert fn.calls == 4
    assert sleeps == backoff_delays(8, 0.1, 5.0, random.Random(7))[:3]


def test_the_same_seed_gives_the_same_delays():
    first, second = [], []
    run(Flaky(*[Transient()] * 5), first, seed=3)
    run(Flaky(*[Transient()] * 5), second, seed=3)
    assert first == second
    other = []
    run(Flaky(*[Transient()] * 5), other, seed=4)
    assert other != first


def test_gives_up_after_the_last_attempt_and_raises_the_last_error(sleeps):
    errors = [Transient(str(n)) for n in range(10)]
    fn = Flaky(*errors)
    with pytest.raises(Transient) as raised:
        run(fn, sleeps, attempts=5)
    assert raised.value is errors[4]
    assert fn.calls == 5
    assert len(sleeps) == 4


def test_a_single_attempt_never_sleeps(sleeps):
    fn = Flaky(Transient())
    with pytest.raises(Transient):
        run(fn, sleeps, attempts=1)
    assert fn.calls == 1
    assert sleeps == []


def test_non_retryable_error_raises_at_once(sleeps):
    error = Fatal("no")
    fn = Flaky(error)
    with pytest.raises(Fatal) as raised:
        run(fn, sleeps)
    assert raised.value is error
    assert fn.calls == 1
    assert sleeps == []


def test_non_retryable_error_after_retryable_ones_stops_retrying(sleeps):
    fn = Flaky(Transient(), Transient(), Fatal(), result="never")
    with pytest.raises(Fatal):
        run(fn, sleeps)
    assert fn.calls == 3
    assert len(sleeps) == 2


def test_is_retryable_sees_each_error(sleeps):
    seen: list[Exception] = []
    errors = [Transient("a"), Transient("b")]

    def classify(error: Exception) -> bool:
        seen.append(error)
        return True

    retry_with_jitter(
        Flaky(*errors), is_retryable=classify, rng=random.Random(0), sleep=sleeps.append
    )
    assert seen == errors


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, SystemExit])
def test_base_exceptions_are_never_retried(sleeps, interrupt):
    fn = Flaky(interrupt())
    with pytest.raises(interrupt):
        retry_with_jitter(fn, is_retryable=lambda e: True, sleep=sleeps.append)
    assert fn.calls == 1
    assert sleeps == []


@pytest.mark.parametrize("seed", range(20))
@pytest.mark.parametrize(("base", "cap"), [(0.1, 5.0), (1.0, 2.0), (0.5, 0.5), (2.0, 1.0)])
def test_delays_are_bounded_by_the_exponential_and_the_cap(seed, base, cap):
    delays = backoff_delays(16, base, cap, random.Random(seed))
    assert len(delays) == 15
    for n, delay in enumerate(delays):
        assert 0 <= delay <= min(cap, base * 2**n)
        assert delay <= cap


def test_retry_sleeps_never_exceed_the_cap(sleeps):
    fn = Flaky(*[Transient()] * 30)
    with pytest.raises(Transient):
        run(fn, sleeps, attempts=30, base=1.0, cap=3.0)
    assert len(sleeps) == 29
    assert all(0 <= s <= 3.0 for s in sleeps)
    assert max(sleeps) > 1.0, "later attempts use the whole capped window"


def test_backoff_delays_count():
    rng = random.Random(1)
    assert backoff_delays(1, 0.1, 5.0, rng) == []
    assert len(backoff_delays(8, 0.1, 5.0, rng)) == 7


def test_default_random_source_still_respects_bounds(sleeps):
    fn = Flaky(*[Transient()] * 4)
    retry_with_jitter(fn, is_retryable=is_transient, base=0.01, cap=0.02, sleep=sleeps.append)
    assert len(sleeps) == 4
    assert all(0 <= s <= 0.02 for s in sleeps)


def test_each_retry_is_logged(sleeps, caplog):
    with caplog.at_level(logging.WARNING, logger="batch_platform.lib.retry"):
        run(Flaky(Transient("locked"), Transient("locked")), sleeps, attempts=4)
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert messages[0].startswith("attempt 1/4 failed (locked); retrying in ")
    assert messages[1].startswith("attempt 2/4 failed (locked)")
