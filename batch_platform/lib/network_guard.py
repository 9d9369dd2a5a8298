"""Outbound HTTP to user-given URLs reaches only public addresses, unless an operator allows more.

A URL list, a redirect or a DNS answer can point the platform at its own host (Dagster's webserver
runs GraphQL mutations sent by GET), at cloud metadata (169.254.169.254) or at a private network.
:class:`GuardedNetworkBackend` sits where httpx opens TCP connections, so it sees every connection
(the first URL, robots.txt, each redirect hop): it resolves the host once, checks every address
it resolves to, and connects to a checked address itself, so no second lookup can differ.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


class AddressNotAllowed(httpx.HTTPError):
    """A host resolved to an address outside the public internet and the allowed networks;
    nothing was sent to it. Permanent: never retried."""


def parse_networks(text: str, setting: str) -> tuple[IPNetwork, ...]:
    """Comma-separated CIDRs (``127.0.0.2/32, 10.1.0.0/16``); ``setting`` names the source."""
    networks = []
    for item in (part.strip() for part in text.split(",")):
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(f"{setting}: {item!r} is not a network (CIDR)") from None
    return tuple(networks)


def _is_public(address: IPAddress) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    # is_global is False for loopback, private, link-local, CGNAT (100.64/10), reserved and
    # unspecified ranges; multicast is refused too, whatever its scope.
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class AddressPolicy:
    """Public addresses, plus ``allowed`` networks (empty: none of the non-public ones)."""

    allowed: tuple[IPNetwork, ...] = ()

    def refusal(self, address: IPAddress) -> str | None:
        if _is_public(address) or any(address in network for network in self.allowed):
            return None
        return f"address not allowed: {address}"

    def check(self, addresses: Iterable[IPAddress]) -> None:
        for address in addresses:
            reason = self.refusal(address)
            if reason:
                raise AddressNotAllowed(reason)


class GuardedNetworkBackend(httpcore.AsyncNetworkBackend):
    """httpcore's network backend, connecting only to addresses the policy allows."""

    def __init__(self, inner: httpcore.AsyncNetworkBackend, policy: AddressPolicy) -> None:
        self._inner = inner
        self._policy = policy

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options=None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await _resolve(host, port, timeout)
        self._policy.check(addresses)
        # TLS still verifies the URL's host name: httpcore passes it as SNI separately.
        return await self._inner.connect_tcp(
            str(addresses[0]), port, timeout, local_address, socket_options
        )

    async def connect_unix_socket(self, path, timeout=None, socket_options=None):
        raise AddressNotAllowed("unix sockets are never connected to")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


async def _resolve(host: str, port: int, timeout: float | None) -> list[IPAddress]:
    """Every address ``host`` resolves to (numeric forms like ``2130706433`` included)."""
    loop = asyncio.get_running_loop()
    try:
        async with asyncio.timeout(timeout):
            infos = await loop.getaddrinfo(host.strip("[]"), port, type=socket.SOCK_STREAM)
    except TimeoutError:
        raise httpcore.ConnectTimeout(f"resolving {host} took longer than {timeout} s") from None
    except OSError as error:
        raise httpcore.ConnectError(f"cannot resolve {host}: {error}") from None
    return distinct_addresses(host, infos)


def distinct_addresses(host: str, infos: list) -> list[IPAddress]:
    """The addresses of ``getaddrinfo``'s answer for ``host``, each once, in its order;
    ConnectError when there is none."""
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    if not addresses:
        raise httpcore.ConnectError(f"{host} resolves to no address")
    return addresses


def guarded_transport(policy: AddressPolicy, **transport_options) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose every connection goes through :class:`GuardedNetworkBackend`.

    httpx takes no network backend, so its connection pool's is wrapped in place (httpx 0.28,
    httpcore 1.0; the guard's tests fail if either moves it).
    """
    transport = httpx.AsyncHTTPTransport(**transport_options)
    pool = transport._pool
    pool._network_backend = GuardedNetworkBackend(pool._network_backend, policy)
    return transport


async def host_refusal(policy: AddressPolicy, host: str, port: int, timeout: float) -> str | None:
    """Why ``host`` must not be contacted, before anything is sent (robots.txt included); None
    when it may be, or when it does not resolve (the request then reports that)."""
    try:
        addresses = await _resolve(host, port, timeout)
    except httpcore.NetworkError:
        return None
    except httpcore.TimeoutException:
        return None
    try:
        policy.check(addresses)
    except AddressNotAllowed as refused:
        return str(refused)
    return None
