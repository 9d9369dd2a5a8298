"""The async fetcher: politeness (global and per-host caps, robots.txt, Crawl-delay), limits and
retries.

Redirects are followed here, hop by hop, not by httpx: every hop is a request like the first one,
to a host whose address is checked, whose robots.txt allows the path, under that host's
concurrency cap and spaced by its Crawl-delay. Every request goes through
``send_with_retries_async`` (lib/http_retry.py): timeouts, connection errors, 429 and 5xx are
retried with exponential backoff and full jitter, honouring Retry-After.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

import httpx

from batch_platform.defs.content.logic.bounded_decoding import (
    ACCEPT_ENCODING,
    BoundedDecoder,
    DecodedTooLarge,
    UnsupportedEncoding,
)
from batch_platform.defs.content.logic.extract import media_type
from batch_platform.defs.content.logic.reasons import short_reason
from batch_platform.lib.http_retry import RetryPolicy, send_with_retries_async
from batch_platform.lib.network_guard import (
    AddressNotAllowed,
    AddressPolicy,
    guarded_transport,
    host_refusal,
    parse_networks,
)

ALLOWED_NETWORKS = "BATCH_PLATFORM_CONTENT_ALLOWED_NETWORKS"
USER_AGENT = "batch-platform-content/0.1 (batch content ingestion; honours robots.txt)"
ROBOTS_AGENT = "batch-platform-content"
# Text we can extract; anything else (images, PDFs, archives, octet streams) is skipped.
ACCEPTED_TYPES = (
    "text/html",
    "application/xhtml+xml",
    "text/plain",
    "text/markdown",
    "text/x-markdown",
)
MAX_ROBOTS_BYTES = 500_000  # RFC 9309 asks parsers to read at least 500 KiB
# The body of a redirect response is read (to keep its connection) up to this, else dropped.
MAX_REDIRECT_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class FetchSettings:
    user_agent: str = USER_AGENT
    max_concurrency: int = 32
    per_host_concurrency: int = 4
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    total_timeout: float = 30.0
    max_bytes: int = 5_000_000
    max_redirects: int = 5
    respect_robots: bool = True
    # robots.txt's Crawl-delay spaces the requests to its host, up to this many seconds (a site
    # asking for more is still fetched, this far apart); 0 ignores Crawl-delay.
    max_crawl_delay: float = 30.0
    # Networks beyond the public internet that URLs may reach (CIDRs, comma-separated): none by
    # default, so a URL list cannot reach this host, its cloud metadata or a private network.
    allowed_networks: str = ""
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(attempts=3, base=0.5, cap=10))

    def __post_init__(self) -> None:
        if self.max_concurrency < 1 or self.per_host_concurrency < 1:
            raise ValueError("concurrency caps must be at least 1")
        if min(self.connect_timeout, self.read_timeout, self.total_timeout) <= 0:
            raise ValueError("timeouts must be positive")
        if self.max_crawl_delay < 0:
            raise ValueError("max_crawl_delay must not be negative")
        parse_networks(self.allowed_networks, ALLOWED_NETWORKS)  # a typo fails at load, named


@dataclass(frozen=True)
class UrlFetchResult:
    """How one URL ended: ``succeeded``, ``failed`` (an error) or ``skipped`` (by policy)."""

    url: str
    state: str
    attempts: int
    http_status: int | None
    error: str | None
    final_url: str | None
    content_type: str | None
    content_language: str | None
    body: bytes | None
    started_at: datetime
    finished_at: datetime


class TotalTimeout(httpx.TimeoutException):
    """The whole exchange (connect, redirects, body) took longer than total_timeout."""


class ResponseTooLarge(httpx.HTTPError):
    """The body is over max_bytes; permanent, so not retried."""


class UndecodableBody(httpx.HTTPError):
    """A Content-Encoding we cannot undo, or a body that is not what it claims; permanent."""


class UnsupportedContent(httpx.HTTPError):
    """Not text we can extract (binary, images, PDFs): the URL is skipped, not failed."""


class RedirectRefused(httpx.HTTPError):
    """A redirect points where the host's robots.txt does not let us go: the URL is skipped and
    nothing is requested from the hop. Permanent: never retried."""


@dataclass
class _Pace:
    """When the last request to a host started, and the lock that spaces the next ones."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    last_start: float | None = None


def host_of(url: str | httpx.URL) -> str:
    """The politeness key (per-host cap, Crawl-delay, robots.txt): host and port as requested
    (lower case, IDNA-encoded, no default port), so a URL and a redirect to it share one key."""
    parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    return parsed.netloc.decode("ascii")


class Fetcher:
    """Fetches URLs with one shared ``httpx.AsyncClient``. Use as an async context manager."""

    def __init__(self, settings: FetchSettings = FetchSettings()):
        self.settings = settings
        self._global = asyncio.Semaphore(settings.max_concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._paces: dict[str, _Pace] = {}
        self._crawl_delays: dict[str, float] = {}
        self._robots: dict[str, RobotFileParser | str] = {}
        self._robots_locks: dict[str, asyncio.Lock] = {}
        self._address_checks: dict[tuple[str, int], str | None] = {}
        self._address_locks: dict[tuple[str, int], asyncio.Lock] = {}
        self.policy = AddressPolicy(parse_networks(settings.allowed_networks, ALLOWED_NETWORKS))
        limits = httpx.Limits(
            max_connections=settings.max_concurrency,
            max_keepalive_connections=settings.max_concurrency,
        )
        self.client = httpx.AsyncClient(
            # Every connection (redirect hops included) is checked where it is opened; proxies
            # from the environment are not used, as they would resolve the host themselves.
            transport=guarded_transport(self.policy, limits=limits),
            # Only the encodings BoundedDecoder undoes (httpx would add br and zstd if installed).
            headers={"User-Agent": settings.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            timeout=httpx.Timeout(
                settings.read_timeout,
                connect=settings.connect_timeout,
                read=settings.read_timeout,
                write=settings.read_timeout,
                pool=settings.total_timeout,
            ),
            # Redirects are followed by _exchange, one hop at a time, each hop a polite request.
            follow_redirects=False,
            trust_env=False,
        )

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc) -> None:
        await self.client.aclose()

    def _host_slot(self, host: str) -> asyncio.Semaphore:
        if host not in self._hosts:
            self._hosts[host] = asyncio.Semaphore(self.settings.per_host_concurrency)
        return self._hosts[host]

    @asynccontextmanager
    async def _turn(self, host: str) -> AsyncIterator[None]:
        """A request to ``host`` may start: within the host's cap, its Crawl-delay after the
        previous request to it started, and within the global cap. A host waiting out its delay
        holds no global slot."""
        async with self._host_slot(host):
            loop = asyncio.get_running_loop()
            pace = self._paces.setdefault(host, _Pace())
            delay = self._crawl_delays.get(host, 0.0)
            if delay > 0:
                async with pace.lock:  # one at a time, in order, each a delay after the last
                    if pace.last_start is not None:
                        await asyncio.sleep(max(0.0, pace.last_start + delay - loop.time()))
                    await self._global.acquire()
                    pace.last_start = loop.time()
            else:
                await self._global.acquire()
                pace.last_start = loop.time()
            try:
                yield
            finally:
                self._global.release()

    async def _send(
        self, request: httpx.Request, accept, max_bytes: int, budget: float
    ) -> tuple[httpx.Response, float]:
        """One request, no redirect followed, in its host's turn and within ``budget`` seconds:
        the response with its body read (a redirect's dropped, its ``next_request`` kept) and
        the seconds it took."""
        async with self._turn(host_of(request.url)):
            loop = asyncio.get_running_loop()
            started = loop.time()
            try:
                async with asyncio.timeout(max(budget, 0.0)):
                    response = await self.client.send(request, stream=True)
                    try:
                        if response.next_request is not None:
                            await _drain(response)
                            return response, loop.time() - started
                        read = await self._read(response, accept, max_bytes)
                        return read, loop.time() - started
                    finally:
                        await response.aclose()
            except TimeoutError:
                raise TotalTimeout(
                    f"no complete response within {self.settings.total_timeout:g} s"
                ) from None

    async def _exchange(
        self,
        url: str,
        accept: tuple[str, ...] | None,
        max_bytes: int,
        may_follow: Callable[[str], Awaitable[None]],
    ) -> httpx.Response:
        """One attempt: the URL, then each redirect hop ``may_follow`` lets through (it raises to
        stop the chain). ``total_timeout`` bounds the time spent on all hops together; waiting
        for a host's turn (its cap, its Crawl-delay) is not counted."""
        request = self.client.build_request("GET", url)
        budget = self.settings.total_timeout
        redirects = 0
        while True:
            response, seconds = await self._send(request, accept, max_bytes, budget)
            budget -= seconds
            if response.next_request is None:
                return response
            if redirects == self.settings.max_redirects:
                raise httpx.TooManyRedirects("Exceeded maximum allowed redirects.", request=request)
            redirects += 1
            request = response.next_request
            await may_follow(str(request.url))

    async def _read(self, response: httpx.Response, accept, max_bytes: int) -> httpx.Response:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > max_bytes:
            raise ResponseTooLarge(f"Content-Length {int(declared):,} bytes over {max_bytes:,}")
        if accept is not None and response.is_success:
            kind = media_type(response.headers.get("content-type"))
            if kind and kind not in accept:
                raise UnsupportedContent(f"unsupported content type {kind}")
        # Raw bytes, decoded here layer by layer within the limit: a small compressed body
        # cannot expand past it, however many Content-Encoding layers it has.
        try:
            decoder = BoundedDecoder(response.headers.get("content-encoding"), max_bytes)
            chunks = [decoder.feed(chunk) async for chunk in response.aiter_raw()]
            chunks.append(decoder.finish())
        except DecodedTooLarge as error:
            raise ResponseTooLarge(str(error)) from None
        except UnsupportedEncoding as error:
            raise UndecodableBody(str(error)) from None
        body = b"".join(chunks)
        if accept is not None and response.is_success and b"\x00" in body[:4096]:
            kind = media_type(response.headers.get("content-type")) or "no content type"
            raise UnsupportedContent(f"binary content (NUL bytes) served as {kind}")
        headers = httpx.Headers(
            [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-encoding"]
        )
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=body,
            request=response.request,
            history=response.history,
        )

    async def _robots_for(self, url: str) -> RobotFileParser | str:
        """The host's parsed robots.txt, or a reason string meaning "disallow everything"."""
        parsed = httpx.URL(url)
        host = host_of(parsed)
        lock = self._robots_locks.setdefault(host, asyncio.Lock())
        async with lock:
            if host in self._robots:
                return self._robots[host]
            robots_url = f"{parsed.scheme}://{host}/robots.txt"
            # Its redirects are followed too (RFC 9309 §2.3.1.2), each hop's address checked.
            outcome = await send_with_retries_async(
                lambda: self._exchange(robots_url, None, MAX_ROBOTS_BYTES, self._may_connect),
                self.settings.retry,
            )
            parser = RobotFileParser(robots_url)
            response = outcome.response
            status = response.status_code if response is not None else None
            if response is not None and response.is_success:
                rules: RobotFileParser | str = self._parse_robots(parser, response.content, host)
            elif status in (401, 403):
                rules = f"robots.txt answered HTTP {status}: treated as disallow all"
            elif status is not None and 400 <= status < 500:
                parser.parse([])  # no robots.txt: everything is allowed
                rules = parser
            else:
                # RFC 9309 §2.3.1.4: an unreachable robots.txt means complete disallow.
                rules = f"robots.txt unreachable ({outcome.error}): treated as disallow all"
            self._robots[host] = rules
            return rules

    def _parse_robots(
        self, parser: RobotFileParser, body: bytes, host: str
    ) -> RobotFileParser | str:
        """The rules of a robots.txt body (at most MAX_ROBOTS_BYTES once decoded: the decoder's
        limit), read as UTF-8 (RFC 9309 §2.3) whatever charset the Content-Type names; its
        Crawl-delay, capped, kept for the host. One the parser chokes on disallows all."""
        try:
            parser.parse(body.decode("utf-8-sig", errors="replace").splitlines())
        except ValueError as error:  # e.g. a Crawl-delay of thousands of digits
            reason = short_reason(f"{type(error).__name__}: {error}", 200)
            return f"robots.txt unreadable ({reason}): treated as disallow all"
        delay = parser.crawl_delay(ROBOTS_AGENT)  # whole seconds, as robotparser reads them
        if delay and self.settings.max_crawl_delay > 0:
            self._crawl_delays[host] = float(min(delay, self.settings.max_crawl_delay))
        return parser

    async def address_refusal(self, url: str) -> str | None:
        """Why the URL's host must not be contacted, checked once per host and port (callers
        queue in order behind the first): nothing, robots.txt included, is sent to a refused
        host. The connection itself is checked again when it is opened."""
        parts = urlsplit(url)
        target = (parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80))
        async with self._address_locks.setdefault(target, asyncio.Lock()):
            if target not in self._address_checks:
                self._address_checks[target] = await host_refusal(
                    self.policy, *target, self.settings.connect_timeout
                )
            return self._address_checks[target]

    async def robots_refusal(self, url: str) -> str | None:
        if not self.settings.respect_robots:
            return None
        rules = await self._robots_for(url)
        if isinstance(rules, str):
            return rules
        if not rules.can_fetch(ROBOTS_AGENT, url):
            return "disallowed by robots.txt"
        return None

    async def _may_connect(self, hop: str) -> None:
        """A redirect of robots.txt: only the hop's address is checked."""
        refused = await self.address_refusal(hop)
        if refused:
            raise AddressNotAllowed(refused)

    async def _may_follow(self, hop: str) -> None:
        """A redirect of a page: checked like the first URL, address first (a refused host is
        sent nothing, not even a request for its robots.txt), then its host's robots.txt."""
        await self._may_connect(hop)
        refusal = await self.robots_refusal(hop)
        if refusal:
            raise RedirectRefused(f"redirect to {hop}: {refusal}")

    async def fetch(self, url: str) -> UrlFetchResult:
        started_at = datetime.now(UTC)
        refused = await self.address_refusal(url)
        if refused:
            return _result(url, "failed", 0, None, refused, started_at)
        refusal = await self.robots_refusal(url)
        if refusal:
            return _result(url, "skipped", 0, None, refusal, started_at)
        raised: list[Exception] = []

        async def attempt() -> httpx.Response:
            try:
                return await self._exchange(
                    url, ACCEPTED_TYPES, self.settings.max_bytes, self._may_follow
                )
            except httpx.HTTPError as error:
                raised.append(error)
                raise

        outcome = await send_with_retries_async(attempt, self.settings.retry)
        attempts = len(outcome.attempts)
        response = outcome.response
        status = response.status_code if response is not None else None
        if outcome.ok:
            assert response is not None
            return UrlFetchResult(
                url=url,
                state="succeeded",
                attempts=attempts,
                http_status=status,
                error=None,
                final_url=str(response.url),
                content_type=response.headers.get("content-type"),
                content_language=response.headers.get("content-language"),
                body=response.content,
                started_at=started_at,
                finished_at=datetime.now(UTC),
            )
        last = raised[-1] if raised and response is None else None
        if isinstance(last, AddressNotAllowed):  # a redirect hop, or a changed DNS answer
            return _result(url, "failed", attempts, None, str(last), started_at)
        if isinstance(last, UnsupportedContent | RedirectRefused):
            return _result(url, "skipped", attempts, None, str(last), started_at)
        if isinstance(last, httpx.TooManyRedirects):
            message = f"too many redirects (more than {self.settings.max_redirects}, or a loop)"
            return _result(url, "failed", attempts, None, message, started_at)
        error = outcome.error or "failed"
        if attempts > 1:
            error = f"{error} (after {attempts} attempts)"
        return _result(url, "failed", attempts, status, error, started_at)

    async def fetch_all(
        self, urls: Iterable[str], on_result: Callable[[UrlFetchResult], None]
    ) -> None:
        """Fetch every URL, calling ``on_result`` as each one finishes (in completion order)."""

        async def one(url: str) -> None:
            started_at = datetime.now(UTC)
            try:
                result = await self.fetch(url)
            except Exception as error:  # one odd URL must not stop the batch
                message = f"{type(error).__name__}: {error}"
                result = _result(url, "failed", 1, None, message, started_at)
            on_result(result)

        async with asyncio.TaskGroup() as group:
            for url in urls:
                group.create_task(one(url))


async def _drain(response: httpx.Response) -> None:
    """Read a redirect's body, which is not kept, so that its connection serves the next
    request; one over MAX_REDIRECT_BODY_BYTES is dropped with its connection instead."""
    size = 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > MAX_REDIRECT_BODY_BYTES:
            break


def _result(url, state, attempts, status, error, started_at) -> UrlFetchResult:
    return UrlFetchResult(
        url=url,
        state=state,
        attempts=attempts,
        http_status=status,
        error=error,
        final_url=None,
        content_type=None,
        content_language=None,
        body=None,
        started_at=started_at,
        finished_at=datetime.now(UTC),
    )


async def fetch_urls(
    urls: Iterable[str], settings: FetchSettings, on_result: Callable[[UrlFetchResult], None]
) -> None:
    async with Fetcher(settings) as fetcher:
        await fetcher.fetch_all(urls, on_result)
