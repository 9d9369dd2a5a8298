"""Running an asyncio batch so that a run's termination always stops it cleanly.

Dagster turns SIGINT (and SIGTERM, which it maps to the same handler) into an exception raised
wherever the main thread happens to be. Inside an event loop that place is often a plain
callback (a socket read, a future's done-callback), and asyncio swallows any BaseException
other than KeyboardInterrupt raised there ("Exception in callback …"): the run goes on as if
never told to stop. ``run_interruptibly`` takes the two signals for the life of the loop, cancels
the main task when one arrives (so every ``finally`` of the batch runs: buffers are written,
unfinished items marked), and raises KeyboardInterrupt once the loop has wound down, which
Dagster reports as an interrupted step. No Dagster here.
"""

from __future__ import annotations

import asyncio
import signal
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def run_interruptibly(main: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run(main)``; a SIGINT or SIGTERM cancels ``main`` and raises KeyboardInterrupt."""
    if threading.current_thread() is not threading.main_thread():
        return asyncio.run(main)  # signals reach only the main thread
    loop = asyncio.new_event_loop()
    received: list[int] = []
    task: asyncio.Task[T] | None = None

    def on_signal(signum: int, _frame: object) -> None:
        received.append(signum)
        if task is not None:
            loop.call_soon_threadsafe(task.cancel)

    previous = {signum: signal.getsignal(signum) for signum in STOP_SIGNALS}
    try:
        for signum in STOP_SIGNALS:
            signal.signal(signum, on_signal)
        task = loop.create_task(main)
        if received:  # arrived between taking the signals and creating the task
            task.cancel()
        try:
            result = loop.run_until_complete(task)
        except asyncio.CancelledError:
            if received:
                raise KeyboardInterrupt(f"stopped by signal {received[0]}") from None
            raise
        if received:  # arrived as the last item finished: the caller still stops
            raise KeyboardInterrupt(f"stopped by signal {received[0]}")
        return result
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        try:
            _cancel_leftover_tasks(loop)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(loop.shutdown_default_executor())
        finally:
            loop.close()


def _cancel_leftover_tasks(loop: asyncio.AbstractEventLoop) -> None:
    leftover = [task for task in asyncio.all_tasks(loop) if not task.done()]
    for task in leftover:
        task.cancel()
    if leftover:
        loop.run_until_complete(asyncio.gather(*leftover, return_exceptions=True))
