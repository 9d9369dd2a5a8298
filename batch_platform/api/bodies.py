"""Request bodies within a size limit: refused at once when the declared length is over it, and
cut off (413) as soon as the bytes received pass it, so no body larger than the limit is held."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import Request

from batch_platform.api.problems import Problem


def too_large(limit: int) -> Problem:
    return Problem(
        413, "request_too_large", f"the request body is over the limit of {limit:,} bytes",
        limit_bytes=limit,
    )  # fmt: skip


def check_declared_length(request: Request, limit: int) -> None:
    declared = request.headers.get("content-length")
    if declared is None:
        return
    try:
        length = int(declared)
    except ValueError:
        raise Problem(400, "invalid_content_length", "Content-Length is not a number") from None
    if length > limit:
        raise too_large(limit)


async def limited_chunks(request: Request, limit: int) -> AsyncIterator[bytes]:
    """The body's chunks as they arrive; :class:`Problem` 413 once they pass ``limit`` bytes."""
    check_declared_length(request, limit)
    received = 0
    async for chunk in request.stream():
        received += len(chunk)
        if received > limit:
            raise too_large(limit)
        if chunk:
            yield chunk


async def read_limited(request: Request, limit: int) -> bytes:
    return b"".join([chunk async for chunk in limited_chunks(request, limit)])
