"""`make bench`: the platform against DuckDB's own speed and a Polars script, side by side.

For each scale and file layout the same generated files are processed by the three contenders,
each in its own process; wall time, signals per minute and peak RSS are measured, and the
platform's time is given as a ratio to the DuckDB limit. Results go to benchmarks/results.json,
benchmarks/results.md (included in the README) and benchmarks/results.png.
"""

import argparse
import json
import os
import pkgutil
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from batch_platform.lib.charts import plt  # noqa: E402
from benchmarks.bad_row import markdown as bad_row_markdown  # noqa: E402
from benchmarks.lake_write import markdown as lake_write_markdown  # noqa: E402

CONTENDERS = {
    "duckdb": "hand-written DuckDB SQL (the limit)",
    "polars": "plain Polars script",
    "platform": "batch_platform through Dagster",
}


def measure(contender: str, data_dir: Path) -> dict:
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-m", f"benchmarks.contender_{contender}", str(data_dir)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    if status != 0:
        raise RuntimeError(f"{contender} failed with status {status}")
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        **json.loads(output.strip().splitlines()[-1]),
    }


def measure_overhead(work: Path) -> dict:
    """Tiny-file run time and sensor ticks over 5,000 files (benchmarks/overhead.py)."""
    work.mkdir(parents=True, exist_ok=True)
    output = subprocess.run(
        [sys.executable, "-W", "ignore", "-m", "benchmarks.overhead", str(work)],
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout
    result = json.loads(output.strip().splitlines()[-1])
    print(f"  overhead: tiny file {result['tiny_file_run_seconds']} s per run, sensor tick over "
          f"{result['sensor_files']:,} files {result['sensor_slowest_tick_seconds']} s at most",
          flush=True)  # fmt: skip
    return result


def scaling(results: list[dict]) -> list[dict]:
    """Time ratio from the smallest to the largest scale, per layout and contender."""
    rows = []
    for files in sorted({r["files"] for r in results}):
        subset = sorted((r for r in results if r["files"] == files), key=lambda r: r["rows"])
        if len(subset) < 2:
            continue
        small, large = subset[0], subset[-1]
        rows.append(
            {
                "files": files,
                "from_rows": small["rows"],
                "to_rows": large["rows"],
                **{c: round(large[c]["seconds"] / small[c]["seconds"], 2) for c in CONTENDERS},
            }
        )
    return rows


def overhead_markdown(overhead: dict, scaled: list[dict]) -> str:
    lines = [
        "",
        "| fixed cost | measured | target |",
        "|---|---:|---:|",
        f"| one {overhead['tiny_file_rows']}-row file raw → clean with its checks "
        f"(run start to end, median of 5) | {overhead['tiny_file_run_seconds']} s | ≤ 3 s |",
        f"| sensor tick with {overhead['sensor_files']:,} files waiting (slowest of "
        f"{overhead['sensor_runs_requested']} runs requested, then the idle tick) "
        f"| {overhead['sensor_slowest_tick_seconds']} s | ≤ 1 s |",
    ]
    lines.extend(
        f"| time {row['from_rows']:,} → {row['to_rows']:,} signals, {row['files']} file(s): "
        f"platform / DuckDB / Polars | {row['platform']}× / {row['duckdb']}× / {row['polars']}× "
        f"| ≤ {row['to_rows'] / row['from_rows'] * 1.1:.0f}× |"
        for row in scaled
    )
    return "\n".join(lines) + "\n"


def run_side_benchmark(module: str, work: Path, rows: int) -> dict | None:
    """Run ``benchmarks.<module> WORK --rows N`` in its own process; its last line is JSON."""
    if not rows:
        return None
    output = subprocess.run(
        [sys.executable, "-W", "ignore", "-m", f"benchmarks.{module}", str(work), "--rows",
         str(rows)],
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    ).stdout  # fmt: skip
    return json.loads(output.strip().splitlines()[-1])


def measure_bad_row(work: Path, rows: int) -> dict | None:
    """One invalid byte in a big CSV against the same file clean (benchmarks/bad_row.py)."""
    result = run_side_benchmark("bad_row", work, rows)
    if result:
        print(f"  one bad byte in {rows:,} rows: time {result['time_ratio']}×, peak RSS "
              f"{result['rss_ratio']}× the clean file's", flush=True)  # fmt: skip
    return result


def measure_lake_write(work: Path, rows: int) -> dict | None:
    """The raw load into the lake against the old DuckDB file (benchmarks/lake_write.py)."""
    result = run_side_benchmark("lake_write", work, rows)
    if result:
        print(f"  raw load of {rows:,} rows: lake {result['lake']['seconds']} s, DuckDB file "
              f"{result['file']['seconds']} s ({result['lake_vs_file']}×)", flush=True)  # fmt: skip
    return result


def throughput_domains() -> list[str]:
    modules = pkgutil.iter_modules([str(HERE / "throughput")])
    return sorted(m.name for m in modules if not m.name.startswith("_"))


def measure_throughput(domain: str, work: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-W", "ignore", "-m", f"benchmarks.throughput.{domain}", str(work)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise RuntimeError(f"throughput benchmark {domain} failed with status {status}")
    result = json.loads(output.strip().splitlines()[-1])
    per_second = result["items"] / result["seconds"]
    result |= {
        "per_second": round(per_second, 1),
        "process_seconds": round(time.perf_counter() - started, 2),
        "peak_rss_mib": round(usage.ru_maxrss / 1024, 1),
        "target_met": per_second >= result["target_per_second"],
    }
    target = result["target_per_second"]
    print(f"{domain:>10}: {result['items']:,} {result['unit']} in {result['seconds']} s "
          f"({per_second:,.0f}/s, target {target:,}/s)", flush=True)  # fmt: skip
    return result


def throughput_markdown(results: list[dict]) -> str:
    if not results:
        return ""
    lines = [
        "",
        "| domain | work | items | wall s | items/s | target/s | met | peak RSS MiB |",
        "|---|---|---:|---:|---:|---:|---|---:|",
    ]
    lines.extend(
        f"| {r['domain']} | {r['work']} | {r['items']:,} {r['unit']} | {r['seconds']} "
        f"| {r['per_second']:,.0f} | {r['target_per_second']:,} "
        f"| {'yes' if r['target_met'] else 'no'} | {r['peak_rss_mib']} |"
        for r in results
    )
    return "\n".join(lines) + "\n"


def run(scales: list[int], layouts: list[int], work: Path) -> list[dict]:
    results = []
    for rows in scales:
        for files in layouts:
            data_dir = work / f"{rows}_{files}"
            # In its own process: a child's peak RSS counts its parent's at fork, so the parent
            # must stay small for the contenders' figures to be theirs alone.
            subprocess.run(
                [sys.executable, "-m", "benchmarks.generate", str(data_dir), str(rows), str(files)],
                cwd=ROOT,
                check=True,
            )
            row = {"rows": rows, "files": files}
            for contender in CONTENDERS:
                row[contender] = measure(contender, data_dir)
                row[contender]["signals_per_minute"] = round(rows / row[contender]["seconds"] * 60)
                print(f"{rows:>11,} rows {files:>3} file(s) {contender:>8}: "
                      f"{row[contender]['seconds']:7.2f} s, "
                      f"{row[contender]['peak_rss_mib']:7.1f} MiB", flush=True)  # fmt: skip
            for contender in CONTENDERS:
                assert row[contender]["cleaned"] == row["duckdb"]["cleaned"], "results differ"
            row["platform_vs_duckdb"] = round(
                row["platform"]["seconds"] / row["duckdb"]["seconds"], 2
            )
            results.append(row)
    return results


def markdown(results: list[dict], machine: str) -> str:
    lines = [
        f"Measured on {machine}.",
        "",
        "| signals | files | contender | wall s | signals/min | peak RSS MiB | vs DuckDB |",
        "|---:|---:|---|---:|---:|---:|---:|",
    ]
    for row in results:
        for contender in CONTENDERS:
            r = row[contender]
            ratio = r["seconds"] / row["duckdb"]["seconds"]
            lines.append(
                f"| {row['rows']:,} | {row['files']} | {CONTENDERS[contender]} | {r['seconds']} "
                f"| {r['signals_per_minute']:,} | {r['peak_rss_mib']} | {ratio:.2f}× |"
            )
    return "\n".join(lines) + "\n"


def plot(results: list[dict], path: Path) -> None:
    figure, axes = plt.subplots(figsize=(6, 3.5), dpi=100)
    for files in sorted({r["files"] for r in results}):
        subset = [r for r in results if r["files"] == files]
        for contender in CONTENDERS:
            axes.plot(
                [r["rows"] for r in subset],
                [r[contender]["seconds"] for r in subset],
                marker="o",
                label=f"{contender}, {files} file(s)",
            )
    axes.set_xlabel("signals")
    axes.set_ylabel("wall seconds")
    axes.set_title("Time against rows")
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scales", default="1000000,10000000", help="comma-separated row counts")
    parser.add_argument("--files", default="1,100", help="comma-separated file counts")
    parser.add_argument(
        "--domains",
        default=",".join(throughput_domains()),
        help="comma-separated throughput benchmarks of other domains (empty for none)",
    )
    parser.add_argument(
        "--bad-row-rows",
        type=int,
        default=5_000_000,
        help="rows of the one-bad-byte file benchmark (0 to skip)",
    )
    parser.add_argument(
        "--lake-write-rows",
        type=int,
        default=10_000_000,
        help="rows of the lake-against-DuckDB-file write benchmark (0 to skip)",
    )
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    layouts = [int(f) for f in args.files.split(",")]
    domains = [d for d in args.domains.split(",") if d]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    with tempfile.TemporaryDirectory(prefix="batch-platform-bench-") as work:
        results = run(scales, layouts, Path(work))
        overhead = measure_overhead(Path(work) / "overhead")
        bad_row = measure_bad_row(Path(work) / "bad_row", args.bad_row_rows)
        lake_write = measure_lake_write(Path(work) / "lake_write", args.lake_write_rows)
        throughput = [measure_throughput(d, Path(work) / "throughput" / d) for d in domains]
    scaled = scaling(results)
    (HERE / "results.json").write_text(
        json.dumps(
            {
                "machine": machine,
                "results": results,
                "scaling": scaled,
                "overhead": overhead,
                "bad_row": bad_row,
                "lake_write": lake_write,
                "throughput": throughput,
            },
            indent=2,
        )
    )
    table = (
        markdown(results, machine)
        + overhead_markdown(overhead, scaled)
        + (bad_row_markdown(bad_row) if bad_row else "")
        + (lake_write_markdown(lake_write) if lake_write else "")
        + throughput_markdown(throughput)
    )
    (HERE / "results.md").write_text(table)
    plot(results, HERE / "results.png")
    print()
    print(table)


if __name__ == "__main__":
    main()
