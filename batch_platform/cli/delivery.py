"""`batch-platform deliveries`: inspect delivery runs and dead letters, and replay them.

batch-platform deliveries runs                     # the latest sync runs per destination
batch-platform deliveries dead-letters [--json]    # records that failed for good
batch-platform deliveries retry --dry-run          # what a replay would send
batch-platform deliveries retry [--destination D] [--key K …]   # requeue and send now
"""

import argparse
import json
import sys
from pathlib import Path

import duckdb

from batch_platform.defs import delivery as delivery_domain
from batch_platform.defs.delivery.logic.config import (
    DeliveryConfigError,
    load_delivery_config,
    outbox_dir,
)
from batch_platform.defs.delivery.logic.replay import dead_letters, replay
from batch_platform.lib.settings import load_settings
from batch_platform.lib.sql_files import SqlFolder
from batch_platform.lib.warehouse import WarehouseError, connect, open_warehouse

load_sql = SqlFolder.of_domain(delivery_domain.__file__)


def out(text: str = "") -> None:
    """Command output goes to stdout (this is a CLI, not library code)."""
    sys.stdout.write(text + "\n")


def _table(rows: list[dict], columns: list[str]) -> str:
    cells = [[str(row[c]) if row[c] is not None else "" for c in columns] for row in rows]
    widths = [max([len(c), *(len(r[i][:60]) for r in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v[:60].ljust(w) for v, w in zip(r, widths, strict=True)) for r in cells]
    return "\n".join(lines)


def _open(args, *, read_only: bool) -> duckdb.DuckDBPyConnection:
    """The warehouse of --warehouse, else the environment's; read-only ones answer while runs
    write."""
    if args.warehouse:
        return connect(Path(args.warehouse), read_only=read_only)
    return open_warehouse(read_only=read_only)


def _warehouse_errors(handler):
    """A warehouse that cannot be opened (none yet, say) is one line on stderr, exit code 1."""

    def run(args) -> int:
        try:
            return handler(args)
        except WarehouseError as error:
            sys.stderr.write(f"error: {error}\n")
            return 1

    return run


def _runs(args) -> int:
    con = _open(args, read_only=True)
    try:
        cursor = con.execute(load_sql("select_recent_sync_runs"), {"limit": args.limit})
        columns = [d[0] for d in cursor.description]
        rows = [dict(zip(columns, r, strict=True)) for r in cursor.fetchall()]
    finally:
        con.close()
    out(_table(rows, columns) if rows else "no sync runs yet")
    return 0


def _print_letters(letters: list[dict], as_json: bool) -> None:
    if as_json:
        out(json.dumps(letters, default=str, indent=2))
        return
    columns = ["destination", "email", "idempotency_key", "failure", "runs_attempted",
               "last_http_status", "last_error", "dead_at"]  # fmt: skip
    out(_table(letters, columns) if letters else "no dead letters")


def _dead_letters(args) -> int:
    con = _open(args, read_only=True)
    try:
        letters = dead_letters(con, args.destination, args.key)
    finally:
        con.close()
    _print_letters(letters, args.json)
    return 0


def _retry(args) -> int:
    try:
        config = load_delivery_config()
    except DeliveryConfigError as error:
        out(f"error: {error}")
        return 2
    con = _open(args, read_only=args.dry_run)
    try:
        letters = dead_letters(con, args.destination, args.key)
        _print_letters(letters, args.json)
        if args.dry_run or not letters:
            if args.dry_run:
                out(f"\n{len(letters)} dead letter(s) would be replayed (dry run: nothing sent)")
            return 0
        try:
            keys, run = replay(
                con, config, letters, outbox_dir=outbox_dir(),
                reports_dir=load_settings().reports_dir, log=out,
            )  # fmt: skip
        except DeliveryConfigError as error:
            out(f"error: {error}")
            return 2
    finally:
        con.close()
    skipped = len(letters) - len(keys)
    note = f"; {skipped} skipped (the contact has a newer pending record)" if skipped else ""
    out(f"\nreplayed {len(keys)} dead letter(s){note}")
    out(run.summary)
    out(f"report: {run.report_md}")
    failed = sum(r.failed + r.rejected for r in run.results)
    return 1 if failed else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "deliveries", help="inspect delivery runs and dead letters; replay dead letters"
    )
    parser.add_argument(
        "--warehouse", help="warehouse directory (default $BATCH_PLATFORM_WAREHOUSE)"
    )
    commands = parser.add_subparsers(dest="deliveries_command", required=True, metavar="ACTION")

    runs = commands.add_parser("runs", help="the latest sync runs, one row per destination")
    runs.add_argument("--limit", type=int, default=20)
    runs.set_defaults(handler=_warehouse_errors(_runs))

    for name, handler, text in (
        ("dead-letters", _dead_letters, "list dead letters not replayed yet"),
        ("retry", _retry, "list dead letters and replay them (requeue and send now)"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--destination", help="only this destination")
        sub.add_argument("--key", action="append", help="only this idempotency key (repeatable)")
        sub.add_argument("--json", action="store_true", help="print the dead letters as JSON")
        if name == "retry":
            sub.add_argument("--dry-run", action="store_true", help="list only; send nothing")
        sub.set_defaults(handler=_warehouse_errors(handler))
