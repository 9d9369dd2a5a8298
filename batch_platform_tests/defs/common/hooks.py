"""A webhook receiver on 127.0.0.1 for the tests: checks signatures, keeps the bodies."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from batch_platform.lib.signing import verify_signature
from batch_platform_tests.defs.delivery.scores import SECRET


class Hooks:
    """A webhook receiver on 127.0.0.1 that checks signatures; fails the first ``fail`` calls."""

    def __init__(self, fail: int = 0):
        self.bodies: list[dict] = []
        self.calls = 0
        hooks = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                return

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                hooks.calls += 1
                verify_signature(SECRET, self.headers.get("X-Batch-Platform-Signature"), body)
                status = 503 if hooks.calls <= fail else 204
                if status == 204:
                    hooks.bodies.append(json.loads(body))
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
