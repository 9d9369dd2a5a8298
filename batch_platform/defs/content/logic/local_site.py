"""A local web site on 127.0.0.1 for the demo, the benchmark and the tests.

It serves generated articles plus every case a batch must survive: exact and near duplicates,
slow pages, 404, 429 with Retry-After, 500s, redirects and a redirect loop, a huge body, binary
content, plain text, Markdown and a robots.txt that disallows /private/ (or any robots.txt given).
It counts the connections open at once, which is how the per-host cap is measured from the
server's side, and logs when each request arrived, which is how a Crawl-delay is measured.
"""

from __future__ import annotations

import functools
import gzip
import json
import os
import random
import sys
import threading
import time
import zlib
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

_WORDS = (
    "data pipeline batch search index retrieval page text chunk token vector model query "
    "ranking crawler archive signal cluster schema table partition asset sensor schedule "
    "storage network latency budget quality metric review source engine parser document "
    "language summary answer context window overlap boundary sentence corpus feature"
).split()
ROBOTS = "User-agent: *\nDisallow: /private/\n"


@functools.lru_cache(maxsize=4096)
def article_text(n: int, paragraphs: int = 6) -> list[str]:
    """Deterministic paragraphs of the n-th article."""
    rng = random.Random(n)
    result = []
    for _ in range(paragraphs):
        sentences = []
        for _ in range(rng.randint(3, 5)):
            words = [rng.choice(_WORDS) for _ in range(rng.randint(8, 16))]
            sentences.append(" ".join(words).capitalize() + ".")
        result.append(" ".join(sentences))
    return result


def article_html(n: int, paragraphs: list[str] | None = None) -> bytes:
    body = "".join(f"<p>{p}</p>" for p in paragraphs or article_text(n))
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Article {n}</title>'
        f"</head><body><nav><a href='/'>Home</a> | <a href='/about'>About</a></nav>"
        f"<main><article><h1>Article {n}</h1>{body}</article></main>"
        f"<footer>© 2026 Example Site · Privacy · Terms</footer></body></html>"
    ).encode()


def near_duplicate_html(n: int) -> bytes:
    """Article n with one sentence of its last paragraph changed."""
    paragraphs = list(article_text(n))
    paragraphs[-1] = paragraphs[-1] + " One more closing sentence was added here."
    return article_html(n, paragraphs)


class SiteStats:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.open_connections = 0
        self.max_open_connections = 0
        # Requests being answered at once: what a per-host cap bounds, and unlike open
        # connections not blurred by a connection the client closed and this server's thread
        # has not yet seen close (which happens on a loaded machine).
        self.in_flight = 0
        self.max_in_flight = 0
        self.requests: Counter[str] = Counter()
        self.user_agents: set[str] = set()
        self.log: list[tuple[float, str]] = []  # (time.monotonic() on arrival, path)

    def opened(self) -> None:
        with self.lock:
            self.open_connections += 1
            self.max_open_connections = max(self.max_open_connections, self.open_connections)

    def closed(self) -> None:
        with self.lock:
            self.open_connections -= 1


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one write (flushed after each request), without Nagle's delay.
    wbufsize = 1 << 16
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format, *args) -> None:  # quiet
        pass

    def handle(self) -> None:
        self.server.stats.opened()
        try:
            super().handle()
        finally:
            self.server.stats.closed()

    def _send(self, status: int, body: bytes, content_type: str = "text/html", **headers) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        stats = self.server.stats
        with stats.lock:
            stats.in_flight += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
        try:
            self._answer()
        finally:
            with stats.lock:
                stats.in_flight -= 1

    def _answer(self) -> None:
        parts = urlsplit(self.path)
        path, query = parts.path, parse_qs(parts.query)
        stats = self.server.stats
        with stats.lock:
            stats.log.append((time.monotonic(), path))
            stats.requests[path] += 1
            seen = stats.requests[path]
            stats.user_agents.add(self.headers.get("User-Agent", ""))
        segments = path.strip("/").split("/")
        number = int(segments[-1]) if segments[-1].isdigit() else 0
        if path == "/_stats":
            with stats.lock:
                body = json.dumps(
                    {"max_open_connections": stats.max_open_connections, "requests": stats.requests}
                )
            self._send(200, body.encode(), "application/json")
        elif path == "/robots.txt":
            self._send(200, self.server.robots.encode(), "text/plain")
        elif segments[0] in ("page", "private"):
            self._send(200, article_html(number))
        elif segments[0] == "dup":
            self._send(200, article_html(number))
        elif segments[0] == "near":
            self._send(200, near_duplicate_html(number))
        elif segments[0] == "slow":
            time.sleep(float(query.get("seconds", ["2"])[0]))
            self._send(200, article_html(number))
        elif segments[0] == "missing":
            self._send(404, b"not found", "text/plain")
        elif segments[0] == "busy":
            # 429 with Retry-After on the first request for this path, then the page.
            if seen == 1:
                self._send(429, b"slow down", "text/plain", Retry_After="1")
            else:
                self._send(200, article_html(number))
        elif segments[0] == "flaky":
            if seen == 1:
                self._send(503, b"try again", "text/plain")
            else:
                self._send(200, article_html(number))
        elif segments[0] == "error":
            self._send(500, b"internal error", "text/plain")
        elif segments[0] == "redirect":
            self._send(302, b"", "text/plain", Location=f"/page/{number}")
        elif segments[0] == "goto":
            # /goto?to=<url>: a redirect anywhere, as a hostile page would send.
            self._send(302, b"", "text/plain", Location=query.get("to", ["/"])[0])
        elif segments[0] == "loop":
            target = "/loop/b" if segments[-1] == "a" else "/loop/a"
            self._send(302, b"", "text/plain", Location=target)
        elif segments[0] == "huge":
            self._send_huge(int(query.get("bytes", [str(50_000_000)])[0]))
        elif segments[0] == "disguised":
            self._send(200, b"\x89PNG\r\n\x1a\n\x00\x00" + bytes(range(256)), "text/html")
        elif segments[0] == "binary":
            self._send(200, bytes(range(256)) * 64, "application/octet-stream")
        elif segments[0] == "text":
            self._send(200, "\n\n".join(article_text(number)).encode(), "text/plain; charset=utf-8")
        elif segments[0] == "bomb":
            # /bomb/<MiB>: that many MiB of zeros, gzip-compressed twice (a few kB on the wire).
            self._send(200, double_gzip_zeros(number), "text/html", Content_Encoding="gzip, gzip")
        elif segments[0] == "encoded":
            # /encoded/<coding>/<n>: an article labelled with any Content-Encoding, sent as is.
            self._send(200, article_html(number), "text/html", Content_Encoding=segments[1])
        elif segments[0] == "charset":
            # /charset/<name>/<n>: an article whose Content-Type names any charset, real or not.
            self._send(200, article_html(number), f"text/html; charset={segments[1]}")
        elif segments[0] == "markdown":
            body = f"# Notes {number}\n\n" + "\n\n".join(article_text(number))
            self._send(200, body.encode(), "text/markdown")
        else:
            self._send(404, b"not found", "text/plain")

    def _send_huge(self, size: int) -> None:
        """Chunked, with no Content-Length: the client must stop reading by itself."""
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        block = b"<p>" + b"x" * 65_000 + b"</p>"
        sent = 0
        try:
            while sent < size:
                self.wfile.write(f"{len(block):x}\r\n".encode() + block + b"\r\n")
                sent += len(block)
            self.wfile.write(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, host: str = "127.0.0.1", robots: str = ROBOTS) -> None:
        super().__init__((host, 0), _Handler)
        self.stats = SiteStats()
        self.robots = robots

    def handle_error(self, request, client_address) -> None:
        """A client that gave up (a timeout, a size limit) is expected here, not an error."""


@functools.cache
def double_gzip_zeros(mebibytes: int) -> bytes:
    """``mebibytes`` MiB of zeros, gzip-compressed, then gzip-compressed again."""
    inner = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    block = bytes(1024 * 1024)
    once = b"".join(inner.compress(block) for _ in range(mebibytes)) + inner.flush()
    return gzip.compress(once, 9)


class LocalSite:
    def __init__(self, server: _Server):
        self._server = server

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def stats(self) -> SiteStats:
        return self._server.stats

    def url(self, path: str) -> str:
        return f"{self.base_url}{path}"


@contextmanager
def allowing_host(base_url: str) -> Iterator[None]:
    """While inside, content fetches of this process may reach the host of ``base_url`` (and no
    other non-public address): BATCH_PLATFORM_CONTENT_ALLOWED_NETWORKS names it alone."""
    name = "BATCH_PLATFORM_CONTENT_ALLOWED_NETWORKS"
    before = os.environ.get(name)
    os.environ[name] = f"{urlsplit(base_url).hostname}/32"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


@contextmanager
def serve_site(host: str = "127.0.0.1", robots: str = ROBOTS) -> Iterator[LocalSite]:
    """The site on a free port of ``host`` (a loopback address), in a background thread, shut
    down on exit; ``robots`` is the robots.txt it serves."""
    server = _Server(host, robots)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield LocalSite(server)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def main() -> None:
    """Serve in this process (``python -m batch_platform.defs.content.logic.local_site``): print the
    base URL, then serve until stdin closes or the process is stopped."""
    with serve_site() as site:
        sys.stdout.write(site.base_url + "\n")
        sys.stdout.flush()
        sys.stdin.read()


if __name__ == "__main__":
    main()
