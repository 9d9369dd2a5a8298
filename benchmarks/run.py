"""`make bench`: the platform against two fair contenders, side by side.

For each scale and file layout the same generated files are processed by three contenders, each
in its own process: a DuckDB script and a Polars script, each applying exactly the platform's
cleaning rules and writing the same three outputs (clean, duplicates, quarantine) to Parquet,
and the platform through Dagster. Wall time, CPU time, signals per minute and peak RSS are
measured; the three must agree on every count, and the platform's time to clean (its process
until the scoring run starts) is given as a ratio to the faster fair contender. Results go to
benchmarks/results.json, benchmarks/results.md (included in the README) and
benchmarks/results.png.
"""

import argparse
import json
import os
import pkgutil
import platform
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bad_row import markdown as bad_row_markdown  # noqa: E402
from benchmarks.child import run_module  # noqa: E402
from benchmarks.content_corpus import markdown as content_corpus_markdown  # noqa: E402
from benchmarks.embeddings import markdown as embeddings_markdown  # noqa: E402
from benchmarks.history import markdown as history_markdown  # noqa: E402
from benchmarks.lake_write import markdown as lake_write_markdown  # noqa: E402

CONTENDERS = {
    "duckdb": "DuckDB SQL, the platform's rules (fair contender)",
    "polars": "Polars, the platform's rules (fair contender)",
    "platform": "batch_platform through Dagster",
}
FAIR = ("duckdb", "polars")
COUNTS = ("cleaned", "duplicates", "quarantined")
TARGET_RATIO = 2.0
TARGET_RSS_MIB = 4096


def measure(contender: str, data_dir: Path) -> dict:
    load_before = os.getloadavg()[0]
    command = [f"contender_{contender}", str(data_dir)]
    if contender in FAIR:
        command.append(str(data_dir.parent / f"out_{contender}"))
    child = run_module(*command)
    seconds, result = child.seconds, child.result
    if contender in FAIR:
        shutil.rmtree(result.pop("out"), ignore_errors=True)
    # The platform also scores the day's leads after cleaning; the contenders stop at the three
    # outputs, so the platform is compared on its time to clean (all of its process but the
    # scoring run and what follows it).
    after_clean = result.get("total_seconds", 0) - result.get("to_clean_seconds", 0)
    return {
        "seconds": round(seconds, 2),
        "seconds_to_clean": round(seconds - after_clean, 2),
        "cpu_seconds": round(child.cpu_seconds, 2),
        "peak_rss_mib": child.peak_rss_mib,
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        **result,
    }


def measure_overhead(work: Path) -> dict:
    """Tiny-file run time and sensor ticks over 50,000 files (benchmarks/overhead.py)."""
    work.mkdir(parents=True, exist_ok=True)
    result = run_module("overhead", str(work)).result
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
                **{
                    c: round(large[c]["seconds_to_clean"] / small[c]["seconds_to_clean"], 2)
                    for c in CONTENDERS
                },
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
        f"| sensor tick with {overhead['sensor_files_seen']:,} files seen, one of them new "
        f"(then the median idle tick; cursor {overhead['sensor_cursor_bytes']:,} bytes) "
        f"| {overhead['sensor_new_file_tick_seconds']} s "
        f"({overhead['sensor_history_idle_tick_seconds']} s) | ≤ 0.5 s |",
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
    return run_module(module, str(work), "--rows", str(rows)).result


def measure_bad_row(work: Path, rows: int) -> dict | None:
    """One invalid byte in a big CSV against the same file clean (benchmarks/bad_row.py)."""
    result = run_side_benchmark("bad_row", work, rows)
    if result:
        print(f"  a bad byte and a malformed row in {rows:,} rows: time "
              f"{result['time_ratio']}×, peak RSS {result['rss_ratio']}× the clean file's",
              flush=True)  # fmt: skip
    return result


def measure_lake_write(work: Path, rows: int) -> dict | None:
    """The raw load into the lake against the old DuckDB file (benchmarks/lake_write.py)."""
    result = run_side_benchmark("lake_write", work, rows)
    if result:
        print(f"  raw load of {rows:,} rows: lake {result['lake']['seconds']} s, DuckDB file "
              f"{result['file']['seconds']} s ({result['lake_vs_file']}×)", flush=True)  # fmt: skip
    return result


def measure_content_corpus(work: Path, corpus: str) -> dict | None:
    """Real HTML pages end to end, and extraction quality side by side
    (benchmarks/content_corpus.py)."""
    if not corpus:
        return None
    result = run_module("content_corpus", str(work), "--corpus", corpus).result
    compared = result["extractors_compared"]
    print(f"  content on {result['pages']} real pages: {result['pages_per_second']} pages/s; "
          f"main text kept {compared['auto']['main_kept']:.1%} (trafilatura "
          f"{compared['trafilatura']['main_kept']:.1%}), navigation left behind "
          f"{compared['auto']['navigation_left_behind']:.1%} (trafilatura "
          f"{compared['trafilatura']['navigation_left_behind']:.1%})", flush=True)  # fmt: skip
    return result


def measure_history(work: Path, history_rows: int, file_rows: int, rounds: int) -> dict | None:
    """One file into an empty warehouse and into one holding history (benchmarks/history.py)."""
    if not history_rows:
        return None
    result = run_module(
        "history", str(work), "--history-rows", str(history_rows), "--file-rows",
        str(file_rows), "--rounds", str(rounds),
    ).result  # fmt: skip
    print(f"  history: {file_rows:,} rows into {history_rows:,} rows of history "
          f"{result['time_ratio']}× the time into an empty warehouse", flush=True)  # fmt: skip
    return result


def measure_embeddings(work: Path, corpus: str) -> dict | None:
    """The bundled embedder's chunks/s on real chunks, a re-run embedding nothing, index build
    and search latency (benchmarks/embeddings.py)."""
    if not corpus:
        return None
    result = run_module("embeddings", str(work), "--corpus", corpus).result
    embedder = result["embedder"]
    print(f"  embeddings: {embedder['chunks_per_second_best']:,} chunks/s (best of the runs), "
          f"a re-run embedded {result['rerun']['embedded']}", flush=True)  # fmt: skip
    return result


def throughput_domains() -> list[str]:
    modules = pkgutil.iter_modules([str(HERE / "throughput")])
    return sorted(m.name for m in modules if not m.name.startswith("_"))


def measure_throughput(domain: str, work: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    child = run_module(f"throughput.{domain}", str(work))
    result = child.result
    per_second = result["items"] / result["seconds"]
    result |= {
        "per_second": round(per_second, 1),
        "process_seconds": round(child.seconds, 2),
        "peak_rss_mib": child.peak_rss_mib,
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


def run(
    scales: list[int], layouts: list[int], work: Path, measured: Callable[[list[dict]], None]
) -> list[dict]:
    """Every scale and layout; ``measured`` is called with the results so far after each."""
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
                figures = row[contender]
                figures["signals_per_minute"] = round(rows / figures["seconds_to_clean"] * 60)
                print(f"{rows:>11,} rows {files:>3} file(s) {contender:>8}: "
                      f"{figures['seconds_to_clean']:7.2f} s to clean "
                      f"({figures['seconds']:.2f} s in all), "
                      f"{figures['cpu_seconds']:7.2f} s CPU, "
                      f"{figures['peak_rss_mib']:7.1f} MiB, load {figures['load_average']}",
                      flush=True)  # fmt: skip
            for contender in CONTENDERS:
                for count in COUNTS:
                    assert row[contender][count] == row["duckdb"][count], (
                        f"{contender} {count} {row[contender][count]} != "
                        f"duckdb {row['duckdb'][count]}"
                    )
            fastest = min(FAIR, key=lambda c: row[c]["seconds"])
            row["fastest_fair"] = fastest
            row["platform_vs_fastest"] = round(
                row["platform"]["seconds_to_clean"] / row[fastest]["seconds"], 2
            )
            row["platform_vs_fastest_cpu"] = round(
                row["platform"]["cpu_seconds"] / row[fastest]["cpu_seconds"], 2
            )
            row["target_met"] = (
                row["platform_vs_fastest"] <= TARGET_RATIO
                and row["platform"]["peak_rss_mib"] <= TARGET_RSS_MIB
            )
            print(f"{'':>27}platform / {fastest}: {row['platform_vs_fastest']}× "
                  f"(target ≤ {TARGET_RATIO}×), peak RSS {row['platform']['peak_rss_mib']} MiB "
                  f"(target ≤ {TARGET_RSS_MIB})", flush=True)  # fmt: skip
            results.append(row)
            measured(results)
            # Free the disk for the next layout: the files and the platform's warehouse.
            shutil.rmtree(data_dir, ignore_errors=True)
            for home in work.glob("platform-*"):
                shutil.rmtree(home, ignore_errors=True)
    return results


def markdown(results: list[dict], machine: str) -> str:
    lines = [
        f"Measured on {machine}. The fair contenders apply the platform's rules and write the "
        "same three outputs (clean, duplicates, quarantine) to Parquet; all three agree on every "
        "count. The platform's time is its time to clean (its process until the lead-scoring run "
        "starts; the scoring run is shown apart), compared with the faster fair contender. Load "
        "average: the 1-minute load when each contender started and ended (2 cores).",
        "",
        "| signals | files | contender | wall s | CPU s | signals/min | peak RSS MiB "
        "| vs faster fair | load |",
        "|---:|---:|---|---:|---:|---:|---:|---:|---|",
    ]
    for row in results:
        fastest = row[row["fastest_fair"]]
        for contender in CONTENDERS:
            r = row[contender]
            ratio = r["seconds_to_clean"] / fastest["seconds"]
            wall = (
                f"{r['seconds_to_clean']} (+{r['steps']['scoring']} scoring)"
                if contender == "platform"
                else f"{r['seconds']}"
            )
            lines.append(
                f"| {row['rows']:,} | {row['files']} | {CONTENDERS[contender]} | {wall} "
                f"| {r['cpu_seconds']} | {r['signals_per_minute']:,} | {r['peak_rss_mib']} "
                f"| {ratio:.2f}× | {r['load_average'][0]}–{r['load_average'][1]} |"
            )
    lines += [
        "",
        "| signals | files | faster fair contender | platform / it (wall) | (CPU) "
        f"| platform peak RSS MiB | target (≤ {TARGET_RATIO}×, ≤ {TARGET_RSS_MIB} MiB) |",
        "|---:|---:|---|---:|---:|---:|---|",
    ]
    lines.extend(
        f"| {row['rows']:,} | {row['files']} | {row['fastest_fair']} "
        f"| {row['platform_vs_fastest']}× | {row['platform_vs_fastest_cpu']}× "
        f"| {row['platform']['peak_rss_mib']} | {'met' if row['target_met'] else 'not met'} |"
        for row in results
    )
    lines += ["", steps_markdown(results)]
    return "\n".join(lines) + "\n"


def steps_markdown(results: list[dict]) -> str:
    """Where each contender's time went, step by step (wall seconds)."""
    lines = [
        "| signals | files | contender | steps (wall s) |",
        "|---:|---:|---|---|",
    ]
    for row in results:
        for contender in CONTENDERS:
            steps = ", ".join(f"{k} {v}" for k, v in row[contender].get("steps", {}).items())
            lines.append(f"| {row['rows']:,} | {row['files']} | {contender} | {steps} |")
    return "\n".join(lines)


def plot(results: list[dict], path: Path) -> None:
    """Wall seconds per scale and layout: the two fair contenders and the platform to clean
    (its scoring run stacked above), with the target of 2× the faster fair contender."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.5, 3.8), dpi=100)
    axes = figure.subplots()
    width = 0.26
    for index, row in enumerate(results):
        for offset, contender in enumerate(CONTENDERS):
            x = index + (offset - 1) * width
            seconds = row[contender]["seconds_to_clean"]
            axes.bar(x, seconds, width, color=f"C{offset}", label=contender if not index else None)
            axes.text(x, seconds, f"{seconds:.0f}", ha="center", va="bottom", fontsize=7)
        scoring = row["platform"]["steps"]["scoring"]
        axes.bar(
            index + width,
            scoring,
            width,
            bottom=row["platform"]["seconds_to_clean"],
            color="C2",
            alpha=0.35,
            label="platform: lead scoring" if not index else None,
        )
        limit = TARGET_RATIO * row[row["fastest_fair"]]["seconds"]
        axes.hlines(limit, index - 1.5 * width, index + 1.5 * width, colors="k",
                    linestyles="dashed", label=f"{TARGET_RATIO:g}× the faster fair contender"
                    if not index else None)  # fmt: skip
    axes.set_xticks(
        range(len(results)), [f"{r['rows']:,} signals\n{r['files']} file(s)" for r in results]
    )
    axes.set_ylabel("wall seconds")
    axes.set_title("Raw files to clean, duplicates and quarantine")
    axes.legend(fontsize=7)
    figure.tight_layout()
    figure.savefig(path)


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
    parser.add_argument(
        "--content-corpus",
        default="/usr/share/doc/python3.11/html",
        help="directory of real HTML pages for the content benchmark (Debian's python3.11-doc; "
        "empty to skip)",
    )
    parser.add_argument(
        "--history-rows",
        type=int,
        default=50_000_000,
        help="rows of history already in the warehouse for the history benchmark (0 to skip)",
    )
    parser.add_argument(
        "--history-file-rows", type=int, default=1_000_000, help="rows of the file ingested"
    )
    parser.add_argument(
        "--history-rounds", type=int, default=3, help="rounds (the ratio is their median)"
    )
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    layouts = [int(f) for f in args.files.split(",")]
    domains = [d for d in args.domains.split(",") if d]
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    sections: dict = {"machine": machine}
    with tempfile.TemporaryDirectory(prefix="batch-platform-bench-") as work:
        # Written after each layout and again at the end, so a failing later section never
        # loses the contenders' figures (the files then hold what was measured so far).
        def measured(results: list[dict]) -> None:
            save(sections | {"results": results, "scaling": scaling(results)})

        sections["results"] = run(scales, layouts, Path(work), measured)
        sections["scaling"] = scaling(sections["results"])
        sections["overhead"] = measure_overhead(Path(work) / "overhead")
        sections["bad_row"] = measure_bad_row(Path(work) / "bad_row", args.bad_row_rows)
        sections["lake_write"] = measure_lake_write(Path(work) / "lake_write", args.lake_write_rows)
        sections["content_corpus"] = measure_content_corpus(
            Path(work) / "content_corpus", args.content_corpus
        )
        sections["history"] = measure_history(
            Path(work) / "history", args.history_rows, args.history_file_rows, args.history_rounds
        )
        sections["embeddings"] = measure_embeddings(Path(work) / "embeddings", args.content_corpus)
        sections["throughput"] = [
            measure_throughput(d, Path(work) / "throughput" / d) for d in domains
        ]
    table = save(sections)
    print()
    print(table)


def save(sections: dict) -> str:
    """benchmarks/results.{json,md,png} from the sections measured so far."""
    (HERE / "results.json").write_text(json.dumps(sections, indent=2))
    results = sections["results"]
    table = markdown(results, sections["machine"])
    if sections.get("overhead"):
        table += overhead_markdown(sections["overhead"], sections["scaling"])
    for name, render in (
        ("bad_row", bad_row_markdown),
        ("lake_write", lake_write_markdown),
        ("content_corpus", content_corpus_markdown),
        ("history", history_markdown),
        ("embeddings", embeddings_markdown),
    ):
        if sections.get(name):
            table += render(sections[name])
    table += throughput_markdown(sections.get("throughput") or [])
    (HERE / "results.md").write_text(table)
    plot(results, HERE / "results.png")
    return table


if __name__ == "__main__":
    main()
