"""A real office-status API on 127.0.0.1 for tests: rate-limited, with faults on demand.

``GET /registrations/<jurisdiction>/<registration_id>`` returns the registration's record as
JSON. The server enforces a per-jurisdiction minimum spacing, less a small tolerance for
arrival jitter on a busy machine (429 + ``Retry-After`` when a client is faster; counted as a
violation), logs every request with its arrival time, and can
fail chosen registrations: ``throttle_once`` (429 + Retry-After the first time), ``flaky_once``
(500 the first time), ``down`` (503 always) and ``missing`` (404).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

# Seconds earlier than the interval a request may arrive: the client spaces requests when they
# leave; on a loaded 2-core CI machine one can wait a few hundred ms for the CPU before it is on
# the wire, so the next arrives that much "early". A burst (gaps near 0) is still refused, and
# the test also checks the average rate strictly.
JITTER = 0.25


@dataclass
class Request:
    at: float
    jurisdiction: str
    registration_id: str
    status: int


@dataclass
class OfficeState:
    records: dict[str, dict]
    api_key: str
    min_interval: float  # seconds between two requests of one jurisdiction
    retry_after: int = 1
    throttle_once: set[str] = field(default_factory=set)
    flaky_once: set[str] = field(default_factory=set)
    down: set[str] = field(default_factory=set)
    missing: set[str] = field(default_factory=set)
    log: list[Request] = field(default_factory=list)
    violations: int = 0
    last_by_jurisdiction: dict[str, float] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def respond(self, jurisdiction: str, registration_id: str, auth: str | None):
        now = time.monotonic()
        with self.lock:
            previous = self.last_by_jurisdiction.get(jurisdiction)
            self.last_by_jurisdiction[jurisdiction] = now
            first_time = registration_id not in self.seen
            self.seen.add(registration_id)
            if auth != f"Bearer {self.api_key}":
                status, body, headers = 401, {"error": "bad key"}, {}
            elif previous is not None and now - previous < self.min_interval - JITTER:
                self.violations += 1
                status, body, headers = 429, {"error": "rate limit"}, {"Retry-After": "1"}
            elif registration_id in self.throttle_once and first_time:
                status, body = 429, {"error": "slow down"}
                headers = {"Retry-After": str(self.retry_after)}
            elif registration_id in self.flaky_once and first_time:
                status, body, headers = 500, {"error": "temporary"}, {}
            elif registration_id in self.down:
                status, body, headers = 503, {"error": "maintenance"}, {}
            elif registration_id in self.missing or registration_id not in self.records:
                status, body, headers = 404, {"error": "no such registration"}, {}
            else:
                status, body, headers = 200, self.records[registration_id], {}
            self.log.append(Request(now, jurisdiction, registration_id, status))
        return status, body, headers


class OfficeApiServer:
    def __init__(self, state: OfficeState):
        self.state = state

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real API: no thread per request

            def do_GET(self) -> None:
                parts = self.path.strip("/").split("/")
                if len(parts) != 3 or parts[0] != "registrations":
                    self.send_error(404)
                    return
                status, body, headers = state.respond(
                    unquote(parts[1]), unquote(parts[2]), self.headers.get("Authorization")
                )
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> OfficeApiServer:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)
