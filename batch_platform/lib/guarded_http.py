"""A synchronous httpx client that connects only to public addresses, unless more are allowed.

The blocking twin of :mod:`batch_platform.lib.network_guard` (which guards the asyncio fetcher),
for webhooks whose URL a user gave (a batch's webhook): the host is resolved once, every
address it resolves to is checked against the :class:`AddressPolicy`, and the connection goes
to a checked address, so no second lookup can differ. Redirects are not followed.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import httpcore
import httpx

from batch_platform.lib.network_guard import (
    AddressNotAllowed,
    AddressPolicy,
    IPAddress,
    distinct_addresses,
)


class GuardedSyncNetworkBackend(httpcore.NetworkBackend):
    """httpcore's blocking network backend, connecting only to addresses the policy allows."""

    def __init__(self, inner: httpcore.NetworkBackend, policy: AddressPolicy) -> None:
        self._inner = inner
        self._policy = policy

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options=None,
    ) -> httpcore.NetworkStream:
        addresses = resolve(host, port)
        self._policy.check(addresses)
        # TLS still verifies the URL's host name: httpcore passes it as SNI separately.
        return self._inner.connect_tcp(
            str(addresses[0]), port, timeout, local_address, socket_options
        )

    def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise AddressNotAllowed("unix sockets are never connected to")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every address ``host`` resolves to (numeric forms like ``2130706433`` included)."""
    try:
        infos = socket.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from None
    return distinct_addresses(host, infos)


def guarded_client(policy: AddressPolicy, **client_options) -> httpx.Client:
    """An httpx client whose every connection goes through :class:`GuardedSyncNetworkBackend`
    (httpx takes no network backend, so its pool's is wrapped in place, as in network_guard)."""
    transport = httpx.HTTPTransport()
    pool = transport._pool
    pool._network_backend = GuardedSyncNetworkBackend(pool._network_backend, policy)
    return httpx.Client(transport=transport, trust_env=False, **client_options)


def literal_address_refusal(policy: AddressPolicy, url: str) -> str | None:
    """Why ``url`` must not be called, when its host is an address or ``localhost`` (known
    without a DNS lookup); None otherwise. Names are checked on every connection instead."""
    host = (urlsplit(url).hostname or "").strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        host = "127.0.0.1"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return policy.refusal(address)
