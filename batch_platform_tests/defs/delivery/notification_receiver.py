"""A webhook receiver on 127.0.0.1 that can go down (connections refused) and come back on the
same port; it verifies every signature and counts what it accepts by ``webhook-id``."""

from __future__ import annotations

import json
import socket
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from batch_platform.lib.signing import verify_request
from batch_platform_tests.defs.delivery.scores import SECRET


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class NotificationReceiver:
    """``accepted`` counts each webhook-id it took (a repeat is acknowledged again, and counted,
    so a test can tell that nothing arrived twice); ``bodies`` maps an id to its JSON."""

    def __init__(self, secret: str = SECRET, status: int = 204):
        self.secret = secret
        self.status = status
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.accepted: Counter[str] = Counter()
        self.bodies: dict[str, dict] = {}
        self.refused_signatures = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    def up(self) -> NotificationReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver._lock:
                    if verify_request(receiver.secret, self.headers, body):
                        status = receiver.status
                        if 200 <= status < 300:
                            message_id = self.headers["webhook-id"]
                            receiver.accepted[message_id] += 1
                            receiver.bodies[message_id] = json.loads(body)
                    else:
                        receiver.refused_signatures += 1
                        status = 401
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def down(self) -> None:
        """Stop listening: connections to the port are refused until :meth:`up`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
