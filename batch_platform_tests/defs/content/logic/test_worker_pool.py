"""Worker processes: results in order, and a task that raises, crashes or hangs its worker fails
alone, with a reason, while the others go on (its worker replaced)."""

import time

import pytest

from batch_platform.defs.content.logic.worker_pool import WorkerPool, WorkerStartError

BEHAVE = "batch_platform_tests.defs.content.logic.worker_tasks:behave"
WORKER_ID = "batch_platform_tests.defs.content.logic.worker_tasks:worker_id"


def test_results_come_back_in_the_order_of_the_tasks():
    with WorkerPool(BEHAVE, workers=2, timeout=30) as pool:
        outcomes = pool.map([("ok", n) for n in range(50)])
    assert [o.value for o in outcomes] == [n * 2 for n in range(50)]
    assert all(o.error is None for o in outcomes)


def test_every_worker_takes_tasks():
    with WorkerPool(WORKER_ID, workers=2, timeout=30) as pool:
        pids = {o.value for o in pool.map([(n,) for n in range(40)])}
    assert len(pids) == 2


def test_a_task_that_fails_its_worker_fails_alone():
    tasks = [("ok", 1), ("raise", 2), ("ok", 3), ("crash", 4), ("ok", 5), ("exit", 6)]
    tasks += [("hang", 7), ("ok", 8)]
    started = time.monotonic()
    with WorkerPool(BEHAVE, workers=2, timeout=2) as pool:
        outcomes = pool.map(tasks)
        # The pool goes on with fresh workers after losing three.
        again = pool.map([("ok", n) for n in range(6)])
    assert time.monotonic() - started < 20  # the hang cost its timeout, not an hour
    assert [(o.value, o.error) for o in outcomes] == [
        (2, None),
        (None, "ValueError: page 2 is unreadable"),
        (6, None),
        (None, "the extraction worker died on this page (signal SIGSEGV)"),
        (10, None),
        (None, "the extraction worker died on this page (exit code 3)"),
        (None, "extraction took longer than 2 s; stopped"),
        (16, None),
    ]
    assert [o.value for o in again] == [0, 2, 4, 6, 8, 10]


def test_a_pool_needs_workers_and_a_timeout():
    with pytest.raises(ValueError, match="at least one worker"):
        WorkerPool(BEHAVE, workers=0, timeout=1)
    with pytest.raises(ValueError, match="positive"):
        WorkerPool(BEHAVE, workers=1, timeout=0)


def test_an_error_in_the_caller_stops_busy_workers_at_once():
    started = time.monotonic()
    with pytest.raises(RuntimeError, match="the run was stopped"):
        with WorkerPool(BEHAVE, workers=2, timeout=60) as pool:
            for outcome in pool.imap([("ok", 1), ("hang", 2)]):
                assert outcome.value == 2  # the hanging task is still running in the other
                raise RuntimeError("the run was stopped")
    assert time.monotonic() - started < 5


def test_a_worker_that_cannot_start_fails_the_pool_not_each_task():
    """A broken setup (the function cannot be imported) is not a page's fault."""
    with pytest.raises(WorkerStartError, match=r"could not start \(exit code 1\)"):
        with WorkerPool("batch_platform_tests.no_such_module:f", workers=1, timeout=5) as pool:
            pool.map([("ok", 1)])
