"""A webhook receiver on 127.0.0.1 for the tests: checks signatures, keeps the bodies."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from batch_platform.lib.signing import ReplayGuard, request_id, verify_request
from batch_platform_tests.defs.delivery.scores import SECRET


class Hooks:
    """A webhook receiver on 127.0.0.1 that checks signatures with ``secret``; fails the first
    ``fail`` signed calls (503). Unsigned or wrongly signed calls get 401. With a
    ``replay_guard``, an id already accepted is refused (401), and the id of a call it failed is
    released so the retry gets through. Every call is kept: ``requests`` (headers, raw body) and
    ``statuses``; ``bodies`` holds the bodies it accepted."""

    def __init__(
        self, fail: int = 0, secret: str = SECRET, replay_guard: ReplayGuard | None = None
    ):
        self.bodies: list[dict] = []
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.statuses: list[int] = []
        self.calls = 0
        self._lock = threading.Lock()
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                return

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with hooks._lock:
                    hooks.requests.append((dict(self.headers), body))
                    if not verify_request(secret, self.headers, body, replay_guard=replay_guard):
                        status = 401
                    else:
                        hooks.calls += 1
                        status = 503 if hooks.calls <= fail else 204
                        if status == 204:
                            hooks.bodies.append(json.loads(body))
                        elif replay_guard is not None:
                            replay_guard.release(request_id(self.headers))
                    hooks.statuses.append(status)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
