"""A pool of worker processes that applies one function to many tasks, in order, where a task that
crashes its worker or runs past a timeout fails alone, with a reason, and its worker is replaced.

``concurrent.futures.ProcessPoolExecutor`` cannot do that: a worker that dies breaks the whole
pool (every pending task fails), and a task that hangs cannot be stopped. Here each worker runs one
task at a time, so the parent always knows which task a dead or stopped worker was doing.

Workers are fresh interpreters (``python -m batch_platform.defs.content.logic.worker_process``),
not forks: the run's process has threads (Dagster's, DuckDB's), and a fork copies their locks in
whatever state they are. A worker imports only the function's module, not the run's ``__main__``.
Tasks and results travel pickled over a pipe pair per worker.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any

WORKER_MODULE = "batch_platform.defs.content.logic.worker_process"
READY = -1  # the index of a worker's first message: it has imported the function
# A worker that has not imported the function by then is broken, not slow (it takes 0.3 s).
STARTUP_SECONDS = 60.0


class WorkerStartError(RuntimeError):
    """A worker died or hung before it could take a task: the setup is broken (an import fails),
    not a page; every page would fail the same way, so the whole step fails instead."""


def available_cores() -> int:
    """The cores this process may run on (its CPU affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


@dataclass(frozen=True)
class Outcome:
    """A task's result, or why it has none."""

    value: Any = None
    error: str | None = None


class _Worker:
    def __init__(self, function: str, preload: Sequence[str]) -> None:
        to_worker_read, to_worker_write = os.pipe()
        from_worker_read, from_worker_write = os.pipe()
        # The worker sees the modules this process sees (tests, an uninstalled checkout).
        env = os.environ | {"PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
        try:
            self.process = subprocess.Popen(
                [sys.executable, "-m", WORKER_MODULE, function,
                 str(to_worker_read), str(from_worker_write), ",".join(preload)],
                pass_fds=(to_worker_read, from_worker_write),
                stdin=subprocess.DEVNULL,
                env=env,
            )  # fmt: skip
        finally:
            os.close(to_worker_read)
            os.close(from_worker_write)
        self.tasks = Connection(to_worker_write, readable=False)
        self.results = Connection(from_worker_read, writable=False)
        self.task: int | None = None  # the index of the task it is doing
        self.spawned = self.started = time.monotonic()
        self.ready = False  # it has said it imported the function; its task's clock runs

    def deadline(self, timeout: float) -> float:
        return self.started + timeout if self.ready else self.spawned + STARTUP_SECONDS

    def start(self, index: int, arguments: tuple) -> None:
        self.tasks.send((index, arguments))
        self.task, self.started = index, time.monotonic()  # or once it is ready

    def stop(self, grace: float = 0.0) -> int:
        """Stop the process (at once, or once it has read its end of tasks), and its exit code."""
        self.tasks.close()
        try:
            code = self.process.wait(timeout=grace) if grace else None
        except subprocess.TimeoutExpired:
            code = None
        if code is None:
            self.process.kill()
            code = self.process.wait()
        self.results.close()
        return code


def _exit_reason(code: int) -> str:
    if code < 0:
        try:
            return f"signal {signal.Signals(-code).name}"
        except ValueError:
            return f"signal {-code}"
    return f"exit code {code}"


class WorkerPool:
    """``workers`` processes applying ``function`` (``module:name``, importable by a fresh
    interpreter) to tasks; each task gets ``timeout`` seconds, counted from when its worker has
    imported the function and the ``preload`` modules (which the function would otherwise import
    on its first task, on that task's clock). Use as a context manager."""

    def __init__(
        self, function: str, workers: int, timeout: float, preload: Sequence[str] = ()
    ) -> None:
        if workers < 1:
            raise ValueError("a worker pool needs at least one worker")
        if timeout <= 0:
            raise ValueError("the timeout of a task must be positive")
        self.function, self.size, self.timeout = function, workers, timeout
        self.preload = tuple(preload)
        self._workers: list[_Worker] = []

    def __enter__(self) -> WorkerPool:
        # Started now, they import while the caller reads its first tasks.
        self._workers = [_Worker(self.function, self.preload) for _ in range(self.size)]
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        for worker in self._workers:
            worker.tasks.close()  # each worker ends when it has read every task
        # Done: a moment to end by themselves. Stopped by an error or an interrupt: at once.
        grace = 5.0 if exc_type is None else 0.0
        for worker in self._workers:
            worker.stop(grace=grace)
        self._workers = []

    def map(self, tasks: Iterable[tuple]) -> list[Outcome]:
        """``function(*task)`` for every task, in the order of ``tasks``."""
        return list(self.imap(tasks))

    def imap(self, tasks: Iterable[tuple], ahead: int = 64) -> Iterator[Outcome]:
        """``function(*task)`` for every task, yielded in the order of ``tasks`` as they finish.
        Tasks are read from ``tasks`` only as workers free up, and at most ``ahead`` past the
        oldest unfinished one (a slow task holds back at most that many results in memory)."""
        source = iter(tasks)
        retry: deque[tuple[int, tuple]] = deque()  # tasks whose worker died before taking them
        finished: dict[int, Outcome] = {}
        read = following = 0  # tasks read from the source; the next to yield
        exhausted = False
        idle = list(self._workers)
        busy: dict[Connection, _Worker] = {}
        while True:
            while idle and (retry or (not exhausted and read < following + ahead)):
                if retry:
                    index, arguments = retry.popleft()
                else:
                    try:
                        arguments = next(source)
                    except StopIteration:
                        exhausted = True
                        break
                    index, read = read, read + 1
                worker = idle.pop()
                try:
                    worker.start(index, arguments)
                except OSError:  # it died between tasks (a broken pipe): the task waits
                    retry.appendleft((index, arguments))
                    idle.append(self._replace(worker))
                    continue
                busy[worker.results] = worker
            while following in finished:
                yield finished.pop(following)
                following += 1
            if not busy:
                if exhausted and not retry:
                    return
                continue
            finished.update(self._collect(busy, idle))

    def _collect(self, busy: dict[Connection, _Worker], idle: list[_Worker]) -> dict[int, Outcome]:
        """Wait for the first results (or the oldest task's timeout); what finished, by index."""
        finished: dict[int, Outcome] = {}
        deadline = min(w.deadline(self.timeout) for w in busy.values())
        for results in wait(list(busy), timeout=max(0.0, deadline - time.monotonic())):
            worker = busy.pop(results)
            try:
                index, error, value = results.recv()
            except (EOFError, OSError):  # the worker died doing its task
                code = worker.stop()
                if not worker.ready:
                    raise WorkerStartError(
                        f"an extraction worker could not start ({_exit_reason(code)}); its "
                        "error is in the output above"
                    ) from None
                reason = f"the extraction worker died on this page ({_exit_reason(code)})"
                finished[worker.task] = Outcome(error=reason)
                idle.append(self._replace(worker, stopped=True))
                continue
            if index == READY:  # its task starts now: the timeout counts from here
                worker.ready, worker.started = True, time.monotonic()
                busy[results] = worker
                continue
            finished[index] = Outcome(value, error)
            worker.task = None
            idle.append(worker)
        now = time.monotonic()
        for results, worker in list(busy.items()):
            if now < worker.deadline(self.timeout):
                continue
            del busy[results]
            worker.stop()
            if not worker.ready:
                raise WorkerStartError(
                    f"an extraction worker did not start within {STARTUP_SECONDS:g} s"
                )
            reason = f"extraction took longer than {self.timeout:g} s; stopped"
            finished[worker.task] = Outcome(error=reason)
            idle.append(self._replace(worker, stopped=True))
        return finished

    def _replace(self, worker: _Worker, stopped: bool = False) -> _Worker:
        if not stopped:
            worker.stop()
        fresh = _Worker(self.function, self.preload)
        self._workers[self._workers.index(worker)] = fresh
        return fresh
