"""The token bucket: a burst, then one request per 60/rate seconds, and Retry-After."""

import pytest

from batch_platform.api.rate_limit import Bucket, consume, take_token
from batch_platform.api.state_store import immediate, open_state


def requests(times, rate=60.0, burst=3):
    bucket, decisions = None, []
    for now in times:
        bucket, decision = take_token(bucket, now, rate, burst)
        decisions.append(decision)
    return decisions


def test_a_burst_then_the_rate():
    decisions = requests([0, 0, 0, 0, 0.5, 1.0, 1.0])
    assert [d.allowed for d in decisions] == [True, True, True, False, False, True, False]
    assert [d.remaining for d in decisions[:3]] == [2, 1, 0]
    assert [d.retry_after for d in decisions] == [0, 0, 0, 1, 1, 0, 1]


@pytest.mark.parametrize(
    ("rate", "burst", "retry_after"), [(6, 1, 10), (1, 2, 60), (120, 5, 1), (0.5, 1, 120)]
)
def test_retry_after_is_the_wait_for_the_next_token(rate, burst, retry_after):
    decisions = requests([100.0] * (burst + 1), rate=rate, burst=burst)
    assert decisions[-1].allowed is False and decisions[-1].retry_after == retry_after
    later = take_token(Bucket(0.0, 100.0), 100.0 + retry_after, rate, burst)[1]
    assert later.allowed


def test_tokens_never_pass_the_burst_and_a_clock_going_back_adds_none():
    bucket = Bucket(0.0, 1000.0)
    refilled, _ = take_token(bucket, 1_000_000.0, 60, 3)
    assert refilled.tokens == 2.0  # 3 at most, one taken
    backwards, decision = take_token(Bucket(0.0, 1000.0), 10.0, 60, 3)
    assert decision.allowed is False and backwards.tokens == 0.0


def test_the_bucket_is_kept_in_the_state_file(tmp_path):
    def once(now):
        with open_state(tmp_path / "s.sqlite") as con, immediate(con):
            return consume(con, "key1", now, rate_per_minute=60, burst=2)

    assert [once(10.0).allowed for _ in range(3)] == [True, True, False]
    assert once(11.0).allowed is True
    with open_state(tmp_path / "s.sqlite") as con, immediate(con):
        assert consume(con, "key2", 11.0, 60, 2).allowed is True
