"""Bad rows in a big file: what they cost to load the file raw, against the same file clean.

``python -m benchmarks.bad_row WORKDIR [--rows N]`` generates N signals as one CSV (the
benchmark's generator), and a copy of it with one byte in the middle row replaced by an invalid
UTF-8 byte (0xFF) and a field too many at the end of the row after three quarters of the file
(a malformed row). Each file is then loaded into ``raw.signals`` of a fresh warehouse
file by the platform's raw load (``load_signal_file``: read, stage, write the raw partition in
one transaction), each load in its own process, alternating clean and bad for ``--rounds`` rounds;
the best time and the peak RSS of each are reported, with their ratios. The bad file must have
exactly two rows with a parse error and no other difference.

``python -m benchmarks.bad_row --load FILE WAREHOUSE`` is the measured child process.
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


def plant_bad_rows(clean: Path, bad: Path) -> None:
    """Copy ``clean`` to ``bad`` with two bad rows: the first '@' after the middle byte replaced
    by 0xFF (an invalid UTF-8 byte), and the row ending after three quarters of the file given
    a field too many (a malformed row)."""
    size = clean.stat().st_size
    plants = [(size // 2, b"@", b"\xff", True), (size * 3 // 4, b"\n", b",surplus\n", True)]
    with clean.open("rb") as source, bad.open("wb") as target:
        copied = 0
        while chunk := source.read(16 * 1024 * 1024):
            edits = []
            for number, (position, find, replace, pending) in enumerate(plants):
                if pending and copied + len(chunk) > position:
                    at = chunk.find(find, max(position - copied, 0))
                    if at >= 0:
                        edits.append((at, len(find), replace))
                        plants[number] = (position, find, replace, False)
            for at, length, replace in sorted(edits, reverse=True):
                chunk = chunk[:at] + replace + chunk[at + length :]
            target.write(chunk)
            copied += len(chunk) - sum(len(r) - n for _, n, r in edits)
    if any(pending for *_, pending in plants):
        raise RuntimeError("the bad rows could not be planted (no '@' or line end after them)")


def load(path: Path, warehouse_path: Path) -> dict:
    """The measured work, in this process: one file → raw partition."""
    from batch_platform.defs.signals.logic.raw_signal_load import load_signal_file
    from batch_platform.lib.warehouse import connect

    con = connect(str(warehouse_path))
    started = time.perf_counter()
    result = load_signal_file(con, path, "bench", path.name)
    seconds = time.perf_counter() - started
    bad_rows = con.execute(
        "SELECT count(*) FROM raw.signals WHERE parse_error IS NOT NULL"
    ).fetchone()[0]
    con.close()
    return {
        "seconds": round(seconds, 2),
        "rows": result.data_rows,
        "rows_with_parse_error": int(bad_rows),
        "exact_fallback_parser": result.used_fallback,
        "rows_read_again": result.rows_read_again,
    }


def measure(path: Path, warehouse_path: Path) -> dict:
    shutil.rmtree(warehouse_path, ignore_errors=True)
    process = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-m", "benchmarks.bad_row", "--load", str(path),
         str(warehouse_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise RuntimeError(f"loading {path.name} failed with status {status}")
    shutil.rmtree(warehouse_path, ignore_errors=True)
    return json.loads(output.strip().splitlines()[-1]) | {
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1)
    }


def run(work: Path, rows: int, rounds: int) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "benchmarks.generate", str(work / "clean"), str(rows), "1"],
        cwd=ROOT,
        check=True,
    )
    clean = next((work / "clean").glob("*.csv"))
    bad = work / "with_a_bad_byte_and_a_malformed_row.csv"
    plant_bad_rows(clean, bad)
    runs: dict[str, list[dict]] = {"clean": [], "bad": []}
    for _ in range(rounds):
        runs["clean"].append(measure(clean, work / "warehouse"))
        runs["bad"].append(measure(bad, work / "warehouse"))
    best = {kind: min(results, key=lambda r: r["seconds"]) for kind, results in runs.items()}
    peak = {kind: max(r["peak_rss_mib"] for r in results) for kind, results in runs.items()}
    clean_best, bad_best = best["clean"], best["bad"]
    if bad_best["rows"] != clean_best["rows"]:
        raise RuntimeError("the bad file lost or gained rows")
    if bad_best["rows_with_parse_error"] != clean_best["rows_with_parse_error"] + 2:
        raise RuntimeError("the bad byte and the malformed row did not cost exactly two rows")
    return {
        "rows": rows,
        "file_mib": round(clean.stat().st_size / 2**20, 1),
        "rounds": rounds,
        "clean_seconds": clean_best["seconds"],
        "bad_seconds": bad_best["seconds"],
        "time_ratio": round(bad_best["seconds"] / clean_best["seconds"], 2),
        "clean_peak_rss_mib": peak["clean"],
        "bad_peak_rss_mib": peak["bad"],
        "rss_ratio": round(peak["bad"] / peak["clean"], 2),
        "bad_file_exact_fallback_parser": bad_best["exact_fallback_parser"],
        "bad_file_rows_read_again": bad_best["rows_read_again"],
    }


def markdown(result: dict) -> str:
    return (
        "\n| two bad rows in one big CSV | clean file | one invalid UTF-8 byte and one row "
        "with a field too many | ratio |\n"
        "|---|---:|---:|---:|\n"
        f"| raw load of {result['rows']:,} rows ({result['file_mib']} MiB), best of "
        f"{result['rounds']}: wall s | {result['clean_seconds']} | {result['bad_seconds']} "
        f"| {result['time_ratio']}× |\n"
        f"| peak RSS MiB | {result['clean_peak_rss_mib']} | {result['bad_peak_rss_mib']} "
        f"| {result['rss_ratio']}× |\n"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("work", nargs="?")
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--load", nargs=2, metavar=("FILE", "WAREHOUSE"))
    args = parser.parse_args()
    if args.load:
        print(json.dumps(load(Path(args.load[0]), Path(args.load[1]))))
        return
    result = run(Path(args.work), args.rows, args.rounds)
    print(markdown(result))
    print(json.dumps(result))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
