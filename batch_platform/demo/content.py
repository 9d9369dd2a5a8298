"""The content demo: a URL list fetched from a local site this step starts on 127.0.0.1.

The site serves generated articles, exact and near duplicates, a slow page (past the demo's
1 s timeout), a 404, a 429 with Retry-After, a robots.txt exclusion, binary content, plain text
and Markdown. The batch runs through the instance like any other, so it shows in the UI; its
chunks are embedded and indexed, and the demo ends with a search over the batch.
"""

from dataclasses import dataclass, field

import dagster as dg

from batch_platform.defs.content.logic.batch_store import failures, state_counts
from batch_platform.defs.content.logic.embedders import make_embedder
from batch_platform.defs.content.logic.local_site import allowing_host, serve_site
from batch_platform.defs.content.logic.search import SearchError, SearchIndex
from batch_platform.defs.content.logic.search_index import index_path
from batch_platform.defs.content.partitions import url_batch_partitions
from batch_platform.lib.keys import partition_key_for
from batch_platform.lib.settings import load_settings
from batch_platform.lib.warehouse import connect

LIST_NAME = "demo_urls.txt"
SEARCH_QUERY = "vector search index for retrieval"
SEARCH_RESULTS = 3
# Short limits keep the demo to seconds; the defaults are in the README's settings table.
DEMO_CONTENT_CONFIG = {
    "total_timeout": 1.0,
    "read_timeout": 1.0,
    "attempts": 2,
    "retry_base": 0.1,
    "max_failure_rate": 0.2,
    "cache_max_age": 0.0,
}


@dataclass
class ContentDemo:
    batch_id: str
    states: dict[str, int]
    pages: dict[str, int]
    chunks: int
    failures: list[tuple[str, str, str]] = field(default_factory=list)
    result: dg.ExecuteInProcessResult | None = None
    search: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        states = ", ".join(f"{n} {state}" for state, n in sorted(self.states.items()))
        pages = ", ".join(f"{n} {status}" for status, n in sorted(self.pages.items()))
        out = [
            f"content batch {self.batch_id}: {states}",
            f"  pages: {pages}; {self.chunks} chunks",
        ]
        out += [f"  {state}: {url} — {reason}" for url, state, reason in self.failures]
        return out + self.search


def search_lines(warehouse, batch_id: str) -> list[str]:
    """The top pages of the batch for SEARCH_QUERY, as `batch-platform search` finds them."""
    command = f'batch-platform search "{SEARCH_QUERY}" --batch {batch_id} --k {SEARCH_RESULTS}'
    try:
        with SearchIndex(index_path(warehouse), make_embedder) as index:
            hits = index.search(SEARCH_QUERY, k=SEARCH_RESULTS, batch=batch_id)
            chunks = index.chunks
    except SearchError as error:
        return [f"search: {error}"]
    lines = [f"search ({command}; hybrid over {chunks} indexed chunks):"]
    for hit in hits:
        title = hit.title if len(hit.title) <= 40 else hit.title[:39] + "…"
        snippet = " ".join(hit.text.split())[:60]
        lines.append(f"  {hit.rank}. {hit.score:.4f} {title} — {hit.page_url}: {snippet}…")
    return lines


def _url_list(base: str) -> list[str]:
    pages = [f"{base}/page/{n}" for n in range(1, 41)]
    return [
        *pages,
        f"{base}/dup/1",
        f"{base}/dup/2",
        f"{base}/near/3",
        f"{base}/redirect/41",
        f"{base}/text/42",
        f"{base}/markdown/43",
        f"{base}/busy/44",  # 429 with Retry-After: 1, then the page
        f"{base}/slow/45?seconds=3",  # past the 1 s timeout
        f"{base}/missing/46",  # 404
        f"{base}/private/47",  # disallowed by robots.txt
        f"{base}/binary/48",  # not text
        "not a url",  # reported at submission, not fetched
        f"{base}/page/1",  # duplicate line
    ]


def run_content_demo(definitions: dg.Definitions, instance: dg.DagsterInstance) -> ContentDemo:
    settings = load_settings()
    directory = settings.landing_dir / "url_batches"
    directory.mkdir(parents=True, exist_ok=True)
    batch_id = partition_key_for(LIST_NAME)
    instance.add_dynamic_partitions(url_batch_partitions.name, [batch_id])
    with serve_site() as site, allowing_host(site.base_url):
        (directory / LIST_NAME).write_text("\n".join(_url_list(site.base_url)) + "\n")
        result = definitions.resolve_job_def("content_batch_ingest").execute_in_process(
            run_config={
                "loggers": {"console": {"config": {"log_level": "WARNING"}}},
                "resources": {"content": {"config": DEMO_CONTENT_CONFIG}},
            },
            instance=instance,
            partition_key=batch_id,
            tags={"batch_platform/source_file": LIST_NAME},
            raise_on_error=False,
        )
    con = connect(settings.warehouse, read_only=True)
    try:
        key = [batch_id]
        states = state_counts(con, batch_id)
        pages = dict(
            con.execute(
                "SELECT dup_status, count(*) FROM content.pages WHERE partition_key = ? GROUP BY 1",
                key,
            ).fetchall()
        )
        chunks = con.execute(
            "SELECT count(*) FROM content.chunks WHERE partition_key = ?", key
        ).fetchone()[0]
        unfinished = failures(con, batch_id)
    finally:
        con.close()
    found = search_lines(settings.warehouse, batch_id)
    return ContentDemo(batch_id, states, pages, chunks, unfinished, result, found)
