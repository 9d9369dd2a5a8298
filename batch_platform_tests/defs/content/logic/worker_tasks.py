"""Tasks for the worker-pool tests, imported by the worker processes by name."""

import os
import signal
import time


def behave(how: str, number: int) -> int:
    """Twice ``number``, or the failure ``how`` names: raise, crash, exit or hang."""
    if how == "raise":
        raise ValueError(f"page {number} is unreadable")
    if how == "crash":
        os.kill(os.getpid(), signal.SIGSEGV)
    if how == "exit":
        os._exit(3)
    if how == "hang":
        time.sleep(3600)
    return number * 2


def worker_id(_: int) -> int:
    return os.getpid()
