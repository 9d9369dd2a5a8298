"""What every benchmark shares: a module run in its own process, and a per-step wall clock.

Each measurement runs as ``python -m benchmarks.<module> ARGS`` in a process of its own, so that
one measurement's memory does not inflate the next one's figures; the module prints its result
as JSON on its last line. ``os.wait4`` reports the resources of that one child (not the sum of
all children so far, as ``RUSAGE_CHILDREN`` would).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class ChildRun:
    result: dict  # the JSON the module printed last
    seconds: float  # wall time of the whole process
    cpu_seconds: float
    peak_rss_mib: float


def run_module(module: str, *args: str) -> ChildRun:
    """Run ``python -m benchmarks.<module> *args`` from the repository root and measure it."""
    command = [sys.executable, "-W", "ignore", "-m", f"benchmarks.{module}", *args]
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    # Reaped here, by wait4: told so, the Popen object does not wait for it again.
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"benchmarks.{module} {' '.join(args)} exited {process.returncode}")
    return ChildRun(
        result=json.loads(output.strip().splitlines()[-1]),
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        peak_rss_mib=round(usage.ru_maxrss / 1024, 1),
    )


class Steps:
    """Wall seconds per step, for a contender's breakdown: call it with each step's name as the
    step ends."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def __call__(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = round(now - self._last, 2)
        self._last = now


def corpus_benchmark_main(description: str, run, markdown) -> None:
    """The command line of a benchmark over a directory of HTML pages: ``WORK [--corpus DIR]``
    (the documentation corpus by default); prints the Markdown, then the JSON result."""
    import argparse

    from batch_platform.defs.content.logic.documentation_corpus import PYTHON_DOCS

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("work")
    parser.add_argument("--corpus", default=str(PYTHON_DOCS), help="a directory of HTML pages")
    args = parser.parse_args()
    result = run(Path(args.work), Path(args.corpus))
    print(markdown(result))
    print(json.dumps(result))


def corpus_pages_or_exit(corpus: Path) -> list:
    """The HTML pages of ``corpus``; a missing corpus ends the benchmark with its message."""
    from batch_platform.defs.content.logic.documentation_corpus import CorpusMissing, corpus_pages

    try:
        return corpus_pages(corpus)
    except CorpusMissing as missing:
        raise SystemExit(str(missing)) from None
