"""`batch-platform search`: search the content of every batch (or one); and the handler of
`batch-platform batch export`, a batch's chunks with their vectors as Parquet or JSON Lines.

Search reads the index file ``<warehouse>/search/content_index.duckdb`` (read-only; a run that
rebuilds it renames a new file into place, so a search never sees half an index). Results are
pages (a near duplicate counts as the page it repeats), each with its best chunk.
"""

import argparse
import json
from pathlib import Path

from batch_platform.cli.sql import CliError, echo, open_lake, reporting_errors

MODES = ("hybrid", "bm25", "vector")
SNIPPET_CHARS = 240
TITLE_CHARS = 80


def _warehouse_dir(warehouse: str | None) -> Path:
    from batch_platform.lib.settings import load_settings

    return Path(warehouse) if warehouse else load_settings().warehouse


def search(args: argparse.Namespace) -> int:
    from batch_platform.defs.content.logic.embedders import EmbeddingError, make_embedder
    from batch_platform.defs.content.logic.search import SearchError, SearchIndex
    from batch_platform.defs.content.logic.search_index import index_path

    path = index_path(_warehouse_dir(args.warehouse))
    try:
        with SearchIndex(path, make_embedder) as index:
            hits = index.search(args.query, k=args.k, mode=args.mode, batch=args.batch)
            chunks, model = index.chunks, index.model
    except (SearchError, EmbeddingError, ValueError) as error:
        raise CliError(str(error)) from None
    if args.json:
        results = [hit.as_dict() for hit in hits]
        echo(json.dumps({"query": args.query, "mode": args.mode, "results": results}))
        return 0
    scope = f"batch {args.batch}" if args.batch else "every batch"
    echo(
        f"{len(hits)} pages for {args.query!r} ({args.mode}; {scope}; index of {chunks:,} chunks, "
        f"{model})"
    )
    for hit in hits:
        title = hit.title or "(no title)"
        if len(title) > TITLE_CHARS:
            title = title[: TITLE_CHARS - 1] + "…"
        echo(f"{hit.rank:>3}. {hit.score:.4f}  {title}")
        echo(f"     {hit.page_url}")
        snippet = " ".join(hit.text.split())
        if len(snippet) > SNIPPET_CHARS:
            snippet = snippet[: SNIPPET_CHARS - 1] + "…"
        echo(f"     [{hit.batch_id} #{hit.chunk_index}] {snippet}")
    return 0


def export(args: argparse.Namespace) -> int:
    from batch_platform.defs.content.logic.export import export_batch

    suffix = ".parquet" if args.format == "parquet" else ".jsonl"
    output = Path(args.output or f"{args.batch_id}.chunks{suffix}")
    con = open_lake(args.warehouse, read_only=True)
    try:
        rows = export_batch(con, args.batch_id, output, args.format)
    finally:
        con.close()
    if not rows:
        output.unlink(missing_ok=True)
        raise CliError(f"batch {args.batch_id!r} has no chunks: nothing exported")
    echo(f"batch {args.batch_id}: {rows:,} chunks with their vectors → {output}")
    return 0


def add_export_parser(commands) -> None:
    """`batch export`, registered by the `batch` command group (cli/content.py)."""
    parser = commands.add_parser(
        "export", help="a batch's chunks, metadata, source URLs and vectors as one file"
    )
    parser.add_argument("batch_id")
    parser.add_argument("--format", choices=("parquet", "jsonl"), default="parquet")
    parser.add_argument("--output", help="the file to write (default: <batch_id>.chunks.<ext>)")
    parser.add_argument(
        "--warehouse", help="warehouse directory (default: $BATCH_PLATFORM_WAREHOUSE)"
    )
    parser.set_defaults(handler=reporting_errors(export))


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "search", help="search the content of every batch (BM25, vectors, or both)"
    )
    parser.add_argument("query")
    parser.add_argument("--batch", help="only this batch (its id)")
    parser.add_argument("--k", type=int, default=10, help="pages to show (default 10)")
    parser.add_argument("--mode", choices=MODES, default="hybrid")
    parser.add_argument(
        "--warehouse", help="warehouse directory (default: $BATCH_PLATFORM_WAREHOUSE)"
    )
    parser.add_argument("--json", action="store_true", help="one JSON object")
    parser.set_defaults(handler=reporting_errors(search))
