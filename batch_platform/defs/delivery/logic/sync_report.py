"""The run report: succeeded / failed / retried items per destination, as Markdown and CSV."""

from __future__ import annotations

import csv
from pathlib import Path

from batch_platform.defs.delivery.logic.sync_result import SyncResult
from batch_platform.lib.markdown import markdown_table

ITEMS_SHOWN = 50


def report_paths(reports_dir: Path, label: str, run_id: str) -> tuple[Path, Path]:
    stem = f"delivery_{label}_{run_id[:8]}"
    folder = Path(reports_dir) / "delivery"
    return folder / f"{stem}.md", folder / f"{stem}.csv"


def summary_text(results: list[SyncResult]) -> str:
    """One line per destination: what a webhook or a log line shows."""
    return "; ".join(r.summary for r in results) if results else "no destination"


RUN_HEADERS = ("destination", "status", "queued", "attempted", "delivered", "failed", "rejected",
               "retried", "dead-lettered", "pending after", "requests", "seconds")  # fmt: skip
ITEM_HEADERS = ("destination", "contact", "score", "idempotency key", "attempts", "HTTP", "error")
ITEM_NUMBER_COLUMNS = ("score", "attempts", "HTTP")


def report_markdown(results: list[SyncResult], label: str, run_id: str) -> str:
    runs = [
        (r.destination, r.status, f"{r.queued:,}", f"{r.attempted:,}", f"{r.succeeded:,}",
         f"{r.failed:,}", f"{r.rejected:,}", f"{r.retried:,}", f"{r.dead_lettered:,}",
         f"{r.pending_after:,}", f"{r.requests:,}", r.seconds)
        for r in results
    ]  # fmt: skip
    lines = [
        f"# Score delivery {label}",
        "",
        f"Run `{run_id}`.",
        "",
        markdown_table(RUN_HEADERS, runs, right_aligned=RUN_HEADERS[2:]),
    ]
    for title, keep, shown in (
        ("Delivered", lambda i: i.status == "delivered", 10),
        ("Failed (pending, retried next run)", lambda i: i.status == "failed", ITEMS_SHOWN),
        ("Rejected (dead-lettered)", lambda i: i.status == "rejected", ITEMS_SHOWN),
        ("Retried within the run", lambda i: i.attempts > 1, ITEMS_SHOWN),
    ):
        items = [(r.destination, i) for r in results for i in r.items if keep(i)]
        if not items:
            continue
        rows = [
            (d, i.email, i.score, f"`{i.idempotency_key}`", i.attempts, i.http_status or "",
             i.error)
            for d, i in items[:shown]
        ]  # fmt: skip
        table = markdown_table(ITEM_HEADERS, rows, right_aligned=ITEM_NUMBER_COLUMNS, max_chars=120)
        lines += ["", f"## {title}: {len(items):,}", "", table]
        if len(items) > shown:
            lines.append(f"\n… and {len(items) - shown:,} more in the CSV file.")
    return "\n".join(lines) + "\n"


def write_report(results: list[SyncResult], md_path: Path, csv_path: Path, label: str) -> None:
    """The Markdown report, and every item of the run in the CSV beside it."""
    md_path.parent.mkdir(parents=True, exist_ok=True)
    run_id = results[0].run_id if results else ""
    md_path.write_text(report_markdown(results, label, run_id), encoding="utf-8")
    with open(csv_path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(
            [
                "destination",
                "contact",
                "idempotency_key",
                "score_version",
                "tier",
                "score",
                "status",
                "attempts",
                "http_status",
                "error",
                "carried_over",
            ]
        )
        for r in results:
            writer.writerows(
                [
                    r.destination,
                    i.email,
                    i.idempotency_key,
                    i.score_version,
                    i.tier,
                    i.score,
                    i.status,
                    i.attempts,
                    i.http_status,
                    i.error,
                    i.carried_over,
                ]
                for i in r.items
            )
