"""The warehouse's write cost: the lake against the old single DuckDB file, same work, one run.

``python -m benchmarks.lake_write WORKDIR [--rows N]`` generates N signals as one CSV (the
benchmark's generator, default 10M) and loads it into ``raw.signals`` with the platform's raw
load (``load_signal_file``: read, stage, write the raw partition in one transaction), each load in
its own process: once into a DuckDB file (the warehouse before issue 15, the same schema applied to
a plain file connection) and once into the lake (SQLite catalog, Parquet data). While each load
runs, a second process tries to count the rows every 0.5 s: on the lake it reads the last commit
(its slowest answer is reported); on the file it cannot open the file at all while it is written.

``python -m benchmarks.lake_write --load {file,lake} CSV TARGET`` is the measured child process;
``--read {file,lake} TARGET SECONDS`` is the reader.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _open(kind: str, target: Path, *, read_only: bool = False):
    import duckdb

    from batch_platform.lib.warehouse import SCHEMA_FILES, connect

    if kind == "lake":
        return connect(target, read_only=read_only)
    con = duckdb.connect(str(target), read_only=read_only)
    if not read_only:
        con.execute("\n".join(path.read_text() for path in SCHEMA_FILES))
    return con


def load(kind: str, csv_path: Path, target: Path) -> dict:
    from batch_platform.defs.signals.logic.raw_signal_load import load_signal_file

    con = _open(kind, target)
    started = time.perf_counter()
    result = load_signal_file(con, csv_path, "bench", csv_path.name)
    seconds = time.perf_counter() - started
    con.close()
    return {"seconds": round(seconds, 2), "rows": result.data_rows}


def read_while_loading(kind: str, target: Path, seconds: float) -> dict:
    """Count rows every 0.5 s for ``seconds``; the slowest answer, or how often it could not."""
    answers, refused, slowest = 0, 0, 0.0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        started = time.perf_counter()
        try:
            con = _open(kind, target, read_only=True)
            con.execute("SELECT count(*) FROM raw.signals").fetchall()
            con.close()
            answers += 1
            slowest = max(slowest, time.perf_counter() - started)
        except Exception:  # the file is locked by its writer (or does not exist yet)
            refused += 1
        time.sleep(0.5)
    return {"answers": answers, "refused": refused, "slowest_answer_seconds": round(slowest, 3)}


def _child(args: list[str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-W", "ignore", "-m", "benchmarks.lake_write", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )


def measure(kind: str, csv_path: Path, target: Path) -> dict:
    if target.is_dir():
        shutil.rmtree(target)
    target.unlink(missing_ok=True)
    _open(kind, target).close()  # the empty warehouse exists before the load starts
    writer = _child(["--load", kind, str(csv_path), str(target)])
    time.sleep(1.0)
    reader = _child(["--read", kind, str(target), "8"])
    output = writer.stdout.read()
    _, status, usage = os.wait4(writer.pid, 0)
    if status != 0:
        raise RuntimeError(f"the {kind} load failed with status {status}")
    reads = json.loads(reader.communicate()[0].strip().splitlines()[-1])
    return json.loads(output.strip().splitlines()[-1]) | {
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "reader": reads,
    }


def run(work: Path, rows: int) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "benchmarks.generate", str(work / "csv"), str(rows), "1"],
        cwd=ROOT,
        check=True,
    )
    csv_path = next((work / "csv").glob("*.csv"))
    file_result = measure("file", csv_path, work / "warehouse.duckdb")
    lake_result = measure("lake", csv_path, work / "warehouse")
    return {
        "rows": rows,
        "file": file_result,
        "lake": lake_result,
        "lake_vs_file": round(lake_result["seconds"] / file_result["seconds"], 2),
    }


def markdown(result: dict) -> str:
    file, lake = result["file"], result["lake"]

    def reads(r: dict) -> str:
        if not r["answers"]:
            return f"never ({r['refused']} attempts refused)"
        return f"{r['answers']} answers, slowest {r['slowest_answer_seconds']} s"

    return (
        f"\n| raw load of {result['rows']:,} rows | wall s | peak RSS MiB | "
        "another process counting rows meanwhile |\n|---|---:|---:|---|\n"
        f"| one DuckDB file (before) | {file['seconds']} | {file['peak_rss_mib']} "
        f"| {reads(file['reader'])} |\n"
        f"| the lake (SQLite catalog) | {lake['seconds']} | {lake['peak_rss_mib']} "
        f"| {reads(lake['reader'])} |\n"
        f"| lake / file | {result['lake_vs_file']}× | | |\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("work", nargs="?")
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--load", nargs=3, metavar=("KIND", "CSV", "TARGET"))
    parser.add_argument("--read", nargs=3, metavar=("KIND", "TARGET", "SECONDS"))
    args = parser.parse_args()
    if args.load:
        kind, csv_path, target = args.load
        print(json.dumps(load(kind, Path(csv_path), Path(target))))
        return
    if args.read:
        kind, target, seconds = args.read
        print(json.dumps(read_while_loading(kind, Path(target), float(seconds))))
        return
    result = run(Path(args.work), args.rows)
    print(markdown(result))
    print(json.dumps(result))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
