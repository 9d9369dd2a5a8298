"""How pytest-xdist hands the suite to its workers (``make test``: ``-n 3 --dist loadgroup``).

End-to-end modules each start a real `dg dev` (webserver, daemon, code server, the runs it
launches), some a browser or a Postgres-backed instance, and they time what a user would see: a
run starting within seconds of its file, ``batch-platform sql`` answering in under 2 s while 5M
rows are written. Two or three of them at once on a 2-core machine made each slower (the 5M-row
module took 162 s beside two others) and put their latency bounds at the mercy of the draw.

``DevServersApart`` keeps the order ``loadgroup`` would use, with two changes:

- the end-to-end modules go first, the longest first (measured figures in
  ``E2E_LONGEST_FIRST``), so none starts near the end and runs on alone;
- at most ``MAX_E2E_AT_ONCE`` of them run at the same time: a worker asking for work while that
  many are in flight gets the next ordinary test instead (workers run those at niceness 10, so
  they take the CPU the servers leave, mostly while the servers wait on sensors and queues);
- a module in ``E2E_ALONE`` runs with no other end-to-end module beside it. The bound
  ``test_concurrent_domains`` holds the platform to (``batch-platform sql`` under 2 s while its
  dev server writes 5M rows) is stated for a machine running one dev server, as a user's does;
  with another module's server beside it the project's CI measured 2.01 s and 2.04 s once each.
"""

from __future__ import annotations

from xdist.scheduler import LoadGroupScheduling

E2E_PREFIX = "batch_platform_tests/e2e/"
MAX_E2E_AT_ONCE = 2
E2E_ALONE = ("test_concurrent_domains",)
# Modules by their time under the full suite, longest first (5M rows after a minute of slow
# pages; alert and outbox ticks, mostly waiting, beside it; eight runs on a Postgres instance; …).
E2E_LONGEST_FIRST = (
    "test_concurrent_domains",
    "test_notifications",
    "test_production_mode",
    "test_job_api",
    "test_dev_server",
    "test_browser",
    "test_content_batches",
    "test_delivery_webhooks",
)


def _holds_e2e(nodeids) -> bool:
    return any(nodeid.startswith(E2E_PREFIX) for nodeid in nodeids)


def _runs_alone(nodeids) -> bool:
    modules = tuple(f"{E2E_PREFIX}{module}.py" for module in E2E_ALONE)
    return any(nodeid.startswith(modules) for nodeid in nodeids)


class DevServersApart(LoadGroupScheduling):
    def __init__(self, config, log=None) -> None:
        super().__init__(config, log)
        self._ordered = False  # the queue exists once every worker has collected

    def _is_e2e(self, scope: str) -> bool:
        return _holds_e2e(self.workqueue.get(scope, ()))

    def _e2e_in_flight(self) -> list:
        """The end-to-end work units sent and not finished."""
        return [
            work_unit
            for assigned in self.assigned_work.values()
            for work_unit in assigned.values()
            if not all(work_unit.values()) and _holds_e2e(work_unit)
        ]

    def _may_start(self, scope: str) -> bool:
        in_flight = self._e2e_in_flight()
        if not in_flight:
            return True
        if _runs_alone(self.workqueue[scope]) or any(map(_runs_alone, in_flight)):
            return False
        return len(in_flight) < MAX_E2E_AT_ONCE

    def _order(self) -> None:
        """End-to-end groups first, longest first; everything else keeps its order."""
        rank = {name: n for n, name in enumerate(E2E_LONGEST_FIRST)}
        e2e = [scope for scope in self.workqueue if self._is_e2e(scope)]
        e2e.sort(key=lambda scope: rank.get(scope, len(rank)))
        for scope in reversed(e2e):
            self.workqueue.move_to_end(scope, last=False)

    def _assign_work_unit(self, node) -> None:
        if not self._ordered:
            self._order()
            self._ordered = True
        upcoming = next(iter(self.workqueue), None)
        if upcoming is not None and self._is_e2e(upcoming) and not self._may_start(upcoming):
            ordinary = next((s for s in self.workqueue if not self._is_e2e(s)), None)
            if ordinary is not None:
                self.workqueue.move_to_end(ordinary, last=False)
        super()._assign_work_unit(node)
