"""An OpenAI-compatible ``/v1/embeddings`` endpoint on 127.0.0.1, for the tests: vectors are
hashed bags of words (so similar texts are near), the first request of each ``busy`` count is
answered 429 with ``Retry-After: 0``, and every request is recorded."""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def hashed_vector(text: str, dimensions: int) -> list[float]:
    vector = [0.0] * dimensions
    for word in re.findall(r"\w+", text.lower()):
        vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % dimensions] += 1.0
    return vector


@dataclass
class EmbeddingServer:
    url: str = ""
    dimensions: int = 64
    busy: int = 1  # requests answered 429 before the first one served
    requests: list[dict] = field(default_factory=list)
    authorizations: list[str | None] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _handler(server: EmbeddingServer):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args) -> None:
            pass

        def _send(self, status: int, body: dict, headers: dict | None = None) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            with server.lock:
                server.requests.append(body)
                server.authorizations.append(self.headers.get("Authorization"))
                busy = server.busy > 0
                server.busy -= busy
            if self.path != "/v1/embeddings":
                self._send(404, {"error": "not found"})
            elif busy:
                self._send(429, {"error": "slow down"}, {"Retry-After": "0"})
            else:
                dimensions = body.get("dimensions") or server.dimensions
                data = [
                    {"object": "embedding", "index": i, "embedding": hashed_vector(t, dimensions)}
                    for i, t in enumerate(body["input"])
                ]
                # Answered out of order: clients must place vectors by their index.
                self._send(200, {"object": "list", "model": body["model"], "data": data[::-1]})

    return Handler


@contextmanager
def serve_embeddings(**options) -> Iterator[EmbeddingServer]:
    state = EmbeddingServer(**options)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)
