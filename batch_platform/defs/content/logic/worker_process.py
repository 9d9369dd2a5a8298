"""The loop of one ``worker_pool`` worker:
``python -m <this module> MODULE:FUNCTION IN_FD OUT_FD PRELOAD`` (PRELOAD: comma-separated).

It says it is ready once the PRELOAD modules and the function are imported, then reads
``(index, arguments)`` from IN_FD, answers ``(index, error, value)`` on OUT_FD, and ends when IN_FD
closes (the pool is done, or its process is gone). An exception is an answer (the error, as
``Type: message``); a crash or a hang is noticed by the pool.
"""

from __future__ import annotations

import importlib
import signal
import sys
from multiprocessing.connection import Connection

from batch_platform.defs.content.logic.worker_pool import READY


def serve(function: str, tasks_fd: int, results_fd: int, preload: str = "") -> None:
    for module in filter(None, preload.split(",")):
        importlib.import_module(module)
    module, name = function.split(":")
    apply = getattr(importlib.import_module(module), name)
    tasks = Connection(tasks_fd, writable=False)
    results = Connection(results_fd, readable=False)
    results.send((READY, None, None))
    while True:
        try:
            index, arguments = tasks.recv()
        except EOFError:
            return
        try:
            answer = (index, None, apply(*arguments))
        except Exception as exc:  # the task's failure, not the worker's
            answer = (index, f"{type(exc).__name__}: {exc}", None)
        results.send(answer)


if __name__ == "__main__":
    # Ctrl-C reaches the whole process group: the pool's owner decides when workers stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])
