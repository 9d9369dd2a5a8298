"""Exponential backoff with full jitter, for calls that fail transiently (file locks, HTTP)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")
log = logging.getLogger(__name__)


def backoff_delays(attempts: int, base: float, cap: float, rng: random.Random) -> list[float]:
    """Full-jitter delays: attempt n waits uniform(0, min(cap, base * 2**n))."""
    return [rng.uniform(0, min(cap, base * 2**n)) for n in range(attempts - 1)]


def retry_with_jitter(
    fn: Callable[[], T],
    *,
    is_retryable: Callable[[Exception], bool],
    attempts: int = 8,
    base: float = 0.1,
    cap: float = 5.0,
    rng: random.Random | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``fn`` until it succeeds, retrying only errors ``is_retryable`` accepts."""
    delays = backoff_delays(attempts, base, cap, rng or random.Random())
    for attempt, delay in enumerate([*delays, None], start=1):
        try:
            return fn()
        except Exception as error:
            if delay is None or not is_retryable(error):
                raise
            log.warning(
                "attempt %d/%d failed (%s); retrying in %.2fs", attempt, attempts, error, delay
            )
            sleep(delay)
    raise AssertionError("unreachable")
