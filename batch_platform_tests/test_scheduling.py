"""The suite's own scheduler (support/scheduling.py), driven with stand-in workers."""

from __future__ import annotations

from types import SimpleNamespace

from batch_platform_tests.support.scheduling import E2E_ALONE, MAX_E2E_AT_ONCE, DevServersApart

E2E = "batch_platform_tests/e2e/"


class Worker:
    def __init__(self, name: str):
        self.gateway = SimpleNamespace(id=name)
        self.shutting_down = False
        self.sent: list[int] = []

    def send_runtest_some(self, indices: list[int]) -> None:
        self.sent.extend(indices)

    def shutdown(self) -> None:
        self.shutting_down = True


def scheduler(workers: int) -> DevServersApart:
    option = SimpleNamespace(tx=[f"{workers}*popen"], loadscopereorder=True, dist="loadgroup")
    config = SimpleNamespace(option=option, getvalue=lambda name: getattr(option, name))
    return DevServersApart(config)


def collection() -> list[str]:
    ids = [f"batch_platform_tests/lib/test_a.py::test_{n}" for n in range(40)]
    for module in ("test_job_api", "test_browser", "test_concurrent_domains", "test_other"):
        ids += [f"{E2E}{module}.py::test_{n}@{module}" for n in range(3)]
    ids += [f"batch_platform_tests/defs/test_b.py::test_{n}@corpus" for n in range(5)]
    return ids


def run(sched: DevServersApart, workers: list[Worker]) -> tuple[list[str], int, int]:
    """Complete tests one at a time, round-robin over the workers, as they report; returns the
    order in which end-to-end groups started, the most that ran at once, and the most that ran
    beside a group of ``E2E_ALONE``."""
    ids = sched.collection
    started: list[str] = []
    most = beside_alone = 0
    done: set[tuple[str, int]] = set()
    while not sched.tests_finished:
        for worker in workers:
            pending = [i for i in worker.sent if (worker.gateway.id, i) not in done]
            for index in worker.sent:
                group = ids[index].rpartition("@")[2] if ids[index].startswith(E2E) else None
                if group and group not in started:
                    started.append(group)
            in_flight = {
                ids[i].rpartition("@")[2]
                for w in workers
                for i in w.sent
                if ids[i].startswith(E2E) and (w.gateway.id, i) not in done
            }
            most = max(most, len(in_flight))
            if in_flight & set(E2E_ALONE):
                beside_alone = max(beside_alone, len(in_flight - set(E2E_ALONE)))
            if pending:
                done.add((worker.gateway.id, pending[0]))
                sched.mark_test_complete(worker, pending[0])
    return started, most, beside_alone


def test_end_to_end_modules_go_first_longest_first_and_never_more_than_two_at_once():
    """Two at once, except beside test_concurrent_domains (E2E_ALONE), which runs alone."""
    sched = scheduler(4)
    workers = [Worker(f"gw{n}") for n in range(4)]
    for worker in workers:
        sched.add_node(worker)
        sched.add_node_collection(worker, collection())
    sched.schedule()
    first = [sched.collection[i] for w in workers for i in w.sent[:1]]
    assert sum(nodeid.startswith(E2E) for nodeid in first) == 1  # the one that runs alone
    started, most, beside_alone = run(sched, workers)
    assert started == ["test_concurrent_domains", "test_job_api", "test_browser", "test_other"]
    assert most == MAX_E2E_AT_ONCE
    assert beside_alone == 0
    sent = sorted(i for w in workers for i in w.sent)
    assert sent == list(range(len(sched.collection)))  # every test once
