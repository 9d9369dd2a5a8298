"""A reference receiver: what a destination should do with our pages (and what tests run).

It checks each request's signature (``webhook-id``, ``webhook-timestamp``,
``webhook-signature``) over the raw body, keeps each idempotency key once (a repeat is
acknowledged but not applied again) and can reject single records by listing them in a 2xx
response. With a ``replay_guard`` it also refuses a request whose id it has already accepted,
and forgets the id of a request it answered with an error, so the sender's retry (same id) gets
through. ``fault`` lets a caller make it misbehave per request (the tests' flaky receiver, the
benchmark's clean one); ``down()``/``up()`` close and reopen its port.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from batch_platform.lib.signing import ReplayGuard, request_id, verify_request


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A client that hung up (it timed out) is not an error worth a traceback."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass(frozen=True)
class Fault:
    """How to answer one request: ``status`` before applying it, or after (a lost response)."""

    status: int
    after_apply: bool = False
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class LoggedRequest:
    number: int
    keys: tuple[str, ...]
    status: int


class Receiver:
    """A threaded HTTP receiver on 127.0.0.1 (port 0 picks a free one)."""

    def __init__(
        self,
        secret: str,
        *,
        fault: Callable[[int, list[dict]], Fault | None] | None = None,
        reject: Callable[[dict], str | None] | None = None,
        port: int = 0,
        replay_guard: ReplayGuard | None = None,
        keep_bodies: bool = False,
    ):
        self.secret = secret
        self.fault = fault
        self.reject = reject
        self.port = port
        self.replay_guard = replay_guard
        self.keep_bodies = keep_bodies
        self.request_bodies: list[bytes] = []  # with keep_bodies, in the order of request_headers
        self.records: dict[str, dict] = {}
        self.applied: Counter[str] = Counter()
        self.seen: Counter[str] = Counter()
        self.log: list[LoggedRequest] = []
        self.request_headers: list[dict[str, str]] = []
        self._arrivals = 0
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/records"

    def up(self) -> Receiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once: no 40 ms ACK wait

            def log_message(self, *args) -> None:
                return

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    receiver.request_headers.append(dict(self.headers))
                    if receiver.keep_bodies:
                        receiver.request_bodies.append(body)
                status, payload, headers = receiver.handle(body, self.headers)
                data = json.dumps(payload).encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self._server = _QuietServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def down(self) -> None:
        """Stop listening: connections are refused until :meth:`up`."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Receiver:
        return self.up()

    def __exit__(self, *exc) -> None:
        self.down()

    def in_flight(self) -> int:
        """Requests that arrived and are not answered yet (a slow one may still be sleeping
        after its client gave up and sent it again)."""
        with self._lock:
            return self._arrivals - len(self.log)

    def wait_answered(self, timeout: float = 10.0) -> bool:
        """Wait until every request that arrived is answered; False if some still is not after
        ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while self.in_flight():
            if time.monotonic() >= deadline:
                return False
            threading.Event().wait(0.02)
        return True

    def handle(self, body: bytes, headers) -> tuple[int, dict, dict[str, str]]:
        """Answer one request; requests are numbered in order of arrival from 1."""
        with self._lock:
            self._arrivals += 1
            number = self._arrivals
        if not verify_request(self.secret, headers, body, replay_guard=self.replay_guard):
            return self._logged(number, [], 401, {"error": "missing, stale, wrong or replayed"})
        status, payload, answer_headers = self._answer(number, body)
        if self.replay_guard is not None and not 200 <= status < 300:
            self.replay_guard.release(request_id(headers))  # not processed: the retry is welcome
        return status, payload, answer_headers

    def _answer(self, number: int, body: bytes) -> tuple[int, dict, dict[str, str]]:
        try:
            records = list(json.loads(body)["records"])
        except (ValueError, KeyError, TypeError) as error:
            return self._logged(number, [], 400, {"error": f"bad body: {error}"})
        with self._lock:
            for record in records:
                self.seen[record["idempotency_key"]] += 1
        fault = self.fault(number, records) if self.fault else None
        if fault is not None and fault.delay:
            threading.Event().wait(fault.delay)
        if fault is not None and not fault.after_apply:
            return self._logged(number, records, fault.status, {"error": "fault"}, fault.headers)
        rejected = self._apply(records)
        if fault is not None:
            return self._logged(number, records, fault.status, {"error": "fault"}, fault.headers)
        return self._logged(number, records, 200, {"accepted": len(records), "rejected": rejected})

    def _apply(self, records: list[dict]) -> list[dict]:
        rejected = []
        with self._lock:
            for record in records:
                key = record["idempotency_key"]
                reason = self.reject(record) if self.reject else None
                if reason:
                    rejected.append({"idempotency_key": key, "error": reason})
                    continue
                if key not in self.records:
                    self.records[key] = record
                self.applied[key] += 1
        return rejected

    def _logged(
        self, number: int, records, status, payload, headers=None
    ) -> tuple[int, dict, dict[str, str]]:
        keys = tuple(r["idempotency_key"] for r in records)
        with self._lock:
            self.log.append(LoggedRequest(number, keys, status))
        return status, payload, headers or {}
