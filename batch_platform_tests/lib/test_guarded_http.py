"""The blocking guarded client: a name is resolved once and every address checked before any
connection; only allowed networks are reached, and redirects are not followed."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from batch_platform.lib.guarded_http import guarded_client, literal_address_refusal
from batch_platform.lib.network_guard import AddressNotAllowed, AddressPolicy, parse_networks

LOOPBACK = AddressPolicy(parse_networks("127.0.0.1/32", "test"))


@pytest.fixture
def server():
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            return

        def do_GET(self):
            hits.append(self.path)
            self.send_response(302 if self.path == "/redirect" else 200)
            self.send_header("Location", "http://169.254.169.254/latest")
            self.send_header("Content-Length", "0")
            self.end_headers()

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield httpd.server_address[1], hits
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_loopback_is_refused_by_name_and_by_address_unless_allowed(server):
    port, hits = server
    with guarded_client(AddressPolicy()) as client:
        for host in ("localhost", "127.0.0.1", "2130706433"):
            with pytest.raises(AddressNotAllowed, match=r"address not allowed: (127\.0\.0\.1|::1)"):
                client.get(f"http://{host}:{port}/")
    assert hits == []
    with guarded_client(LOOPBACK) as client:
        assert client.get(f"http://127.0.0.1:{port}/").status_code == 200
        redirected = client.get(f"http://127.0.0.1:{port}/redirect")
    assert redirected.status_code == 302 and hits == ["/", "/redirect"]


def test_unix_sockets_are_never_used():
    with guarded_client(AddressPolicy()) as client:
        backend = client._transport._pool._network_backend
        with pytest.raises(AddressNotAllowed):
            backend.connect_unix_socket("/var/run/docker.sock")


@pytest.mark.parametrize(
    ("url", "refused"),
    [
        ("http://127.0.0.1/x", True),
        ("http://[::1]/x", True),
        ("http://api.localhost/x", True),
        ("http://10.0.0.1/x", True),
        ("http://8.8.8.8/x", False),
        ("https://hooks.example.com/x", False),  # a name: checked on connecting
    ],
)
def test_literal_address_refusal(url, refused):
    assert (literal_address_refusal(AddressPolicy(), url) is not None) is refused
