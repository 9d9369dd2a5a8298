"""A small lake with pages, chunks, their vectors (the bundled model) and the search index, for
the search command and route tests: written directly, without a batch run."""

from __future__ import annotations

from pathlib import Path

from batch_platform.defs.content.logic.chunk_embeddings import embed_batch
from batch_platform.defs.content.logic.embedders import static_embedder
from batch_platform.defs.content.logic.search_index import build_index, index_path
from batch_platform.lib.warehouse import atomically, connect

PAGES = {
    "https://docs.example/json": (
        "JSON encoding and decoding",
        [
            "The json module encodes Python objects as JSON text and decodes JSON documents "
            "into dictionaries and lists.",
            "Use json.loads to decode a string and json.dumps to encode an object.",
        ],
    ),
    "https://docs.example/sockets": (
        "Low-level networking",
        [
            "A socket is an endpoint of a network connection: create one, connect it to a host "
            "and port, then send and receive bytes.",
            "Servers bind a socket to an address and listen for incoming connections.",
        ],
    ),
    "https://docs.example/dates": (
        "Dates and times",
        [
            "The datetime module supplies classes for manipulating dates and times, with time "
            "zones and arithmetic.",
        ],
    ),
}
# A near duplicate of the JSON page: it collapses into it in results.
NEAR = "https://mirror.example/json"
PAGE = """
INSERT INTO content.pages VALUES ($batch, $url, NULL, $line, 'html', $title, 'en', $text,
    length($text), md5($url), 0, $status, $of_batch, $of_url, NULL, '{"team": "docs"}', now())
"""
CHUNK = "INSERT INTO content.chunks VALUES ($batch, $url, $n, 0, length($text), $text, md5($text))"


def make_search_lake(
    path: Path, batch: str = "docs.txt-1", pages: dict[str, tuple[str, list[str]]] | None = None
) -> Path:
    """Write the pages of ``batch`` (``PAGES`` and a near duplicate, unless ``pages`` are given:
    URL → title and chunks), embed them and build the index; returns the index path."""
    con = connect(path)

    def write() -> None:
        rows = [
            (url, title, chunks, "unique", None, None)
            for url, (title, chunks) in (pages or PAGES).items()
        ]
        if pages is None:
            title, chunks = PAGES["https://docs.example/json"]
            rows.append((NEAR, title, chunks, "near_duplicate", batch, "https://docs.example/json"))
        for line, (url, title, chunks, status, of_batch, of_url) in enumerate(rows, start=1):
            con.execute(
                PAGE,
                {"batch": batch, "url": url, "line": line, "title": title,
                 "text": " ".join(chunks), "status": status, "of_batch": of_batch,
                 "of_url": of_url},
            )  # fmt: skip
            for n, text in enumerate(chunks):
                con.execute(CHUNK, {"batch": batch, "url": url, "n": n, "text": text})

    try:
        atomically(con, write)
        embedder = static_embedder()
        embed_batch(con, batch, embedder)
        target = index_path(path)
        build_index(con, target, embedder.model, embedder.dimensions)
    finally:
        con.close()
    return target
