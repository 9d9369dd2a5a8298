"""Keeping the suite's own parallelism out of what end-to-end tests measure.

`make test` runs pytest workers on a 2-core machine, and up to two end-to-end modules at once
(support/scheduling.py). An end-to-end test that measures a latency a user would see
(``batch-platform sql`` answering while `dg dev` ingests 5M rows, a run starting after its file
lands) measures the platform against itself — the dev server, its runs,
the CLI — not against the other workers' unrelated tests. So the workers run at a lower CPU
priority (``WORKER_NICENESS``), and the processes an end-to-end test starts and times (`dg dev`
with its daemon, code server and runs, the job API, the CLI) are started back at normal
priority. They still compete with each other, as on a user's machine; the other workers only
take what they leave. Raising a priority needs root (the CI runs as root); elsewhere the
processes keep the workers' priority and nothing else changes.

The tightest bound, ``batch-platform sql`` under 2 s while 5M rows are written, is stated for a
machine running one dev server (`make dev`), as a user's would: the scheduler runs no other
end-to-end module beside the one that measures it (``E2E_ALONE``), and that module's server runs
at ``LATENCY_NICENESS`` (the user's normal priority). Other modules' dev servers, which may run
two at once, run at ``OTHER_SERVERS_NICENESS``, above the workers.
"""

from __future__ import annotations

import os
from collections.abc import Callable

WORKER_NICENESS = 10
OTHER_SERVERS_NICENESS = 4
LATENCY_NICENESS = 0


def lower_worker_priority() -> None:
    """Called in each pytest-xdist worker at start."""
    os.nice(WORKER_NICENESS)


def at_niceness(niceness: int) -> Callable[[], None]:
    """A ``preexec_fn`` starting a process at ``niceness`` (from the worker's, where allowed)."""

    def set_niceness() -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, 0, niceness)
        except PermissionError:
            pass

    return set_niceness


normal_priority = at_niceness(LATENCY_NICENESS)
"""``preexec_fn`` of a process a test times: back at niceness 0 where allowed."""
