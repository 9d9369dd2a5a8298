"""A directory of real pages served over HTTP on 127.0.0.1: the corpus the extraction benchmark
and tests fetch (``documentation_corpus.py``), through the same fetcher as any site.

``python -m batch_platform.defs.content.logic.static_site DIRECTORY`` serves in its own process
(so the server does not share the benchmark's GIL): it prints the base URL, then serves until
stdin closes.
"""

from __future__ import annotations

import functools
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path


class _QuietFiles(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: the fetcher reuses its connections
    disable_nagle_algorithm = True

    def log_message(self, format, *args) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def handle_error(self, request, client_address) -> None:
        """A client that gave up mid-body is expected here, not an error."""


@contextmanager
def serve_directory(root: Path, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve the files under ``root`` on a free port of ``host``; yields the base URL."""
    handler = functools.partial(_QuietFiles, directory=str(root))
    server = _Server((host, 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def main() -> None:
    with serve_directory(Path(sys.argv[1])) as base_url:
        sys.stdout.write(base_url + "\n")
        sys.stdout.flush()
        sys.stdin.read()


if __name__ == "__main__":
    main()
