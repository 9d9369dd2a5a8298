"""Keeping the suite's own parallelism out of what end-to-end tests measure.

`make test` runs three pytest workers on a 2-core machine. An end-to-end test that measures a
latency a user would see (``batch-platform sql`` answering while `dg dev` ingests 5M rows, a run
starting after its file lands) measures the platform against itself — the dev server, its runs,
the CLI — not against the other workers' unrelated tests. So the workers run at a lower CPU
priority (``WORKER_NICENESS``), and the processes an end-to-end test starts and times (`dg dev`
with its daemon, code server and runs, the job API, the CLI) are started back at normal
priority. They still compete with each other, as on a user's machine; the other workers only
take what they leave. Raising a priority needs root (the CI runs as root); elsewhere the
processes keep the workers' priority and nothing else changes.
"""

from __future__ import annotations

import os

WORKER_NICENESS = 10


def lower_worker_priority() -> None:
    """Called in each pytest-xdist worker at start."""
    os.nice(WORKER_NICENESS)


def normal_priority() -> None:
    """``preexec_fn`` of a process a test times: back at niceness 0 where allowed."""
    try:
        os.setpriority(os.PRIO_PROCESS, 0, 0)
    except PermissionError:
        pass
