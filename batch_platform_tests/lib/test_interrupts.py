"""run_interruptibly: a SIGINT or SIGTERM cancels the batch so its cleanup runs, then stops."""

import asyncio
import os
import signal
import threading

import pytest

from batch_platform.lib.interrupts import run_interruptibly


async def _work(seen: list[str], seconds: float = 5.0) -> str:
    try:
        await asyncio.sleep(seconds)
        return "finished"
    finally:
        seen.append("cleanup ran")


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_cancels_the_batch_runs_its_cleanup_and_raises(signum):
    seen: list[str] = []
    previous = signal.getsignal(signum)
    timer = threading.Timer(0.2, os.kill, (os.getpid(), signum))
    timer.start()
    with pytest.raises(KeyboardInterrupt, match=f"signal {int(signum)}"):
        run_interruptibly(_work(seen))
    timer.join()
    assert seen == ["cleanup ran"]
    assert signal.getsignal(signum) is previous  # the caller's handler is back


def test_a_signal_landing_inside_a_callback_is_not_swallowed():
    # Dagster's handler raises a BaseException wherever the main thread is; asyncio swallows one
    # raised in a plain callback. Here the signal is delivered while callbacks run constantly.
    seen: list[str] = []

    async def busy() -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                for _ in range(100):
                    loop.call_soon(lambda: sum(range(50)))
                await asyncio.sleep(0)
        finally:
            seen.append("cleanup ran")

    timer = threading.Timer(0.2, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    with pytest.raises(KeyboardInterrupt):
        run_interruptibly(busy())
    timer.join()
    assert seen == ["cleanup ran"]


def test_without_a_signal_it_returns_the_result():
    assert run_interruptibly(_work([], 0.01)) == "finished"
