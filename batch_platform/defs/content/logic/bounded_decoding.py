"""Undoing a response's Content-Encoding layers without ever holding more than the size limit.

httpx decodes each raw chunk through every layer in one call, so ``Content-Encoding: gzip, gzip``
can expand a few kilobytes into a gigabyte before anything is counted. Here each layer is a
``zlib`` decompressor asked for at most the bytes still allowed, so the limit holds at every
layer, whatever the nesting.
"""

from __future__ import annotations

import zlib

# zlib window bits: gzip framing, and zlib or gzip framing detected from the header ("deflate"
# is zlib-wrapped by RFC 9110; some servers send gzip under that name).
_WBITS = {
    "gzip": 16 + zlib.MAX_WBITS,
    "x-gzip": 16 + zlib.MAX_WBITS,
    "deflate": 32 + zlib.MAX_WBITS,
}
ACCEPT_ENCODING = "gzip, deflate"


class DecodedTooLarge(ValueError):
    """A layer decoded to more bytes than the limit."""


class UnsupportedEncoding(ValueError):
    """A Content-Encoding we did not offer and cannot undo."""


class BoundedDecoder:
    """Feed raw body chunks, get decoded bytes; raises once any layer passes ``limit`` bytes."""

    def __init__(self, content_encoding: str | None, limit: int) -> None:
        names = [
            name.strip().lower()
            for name in (content_encoding or "").split(",")
            if name.strip() and name.strip().lower() != "identity"
        ]
        unknown = [name for name in names if name not in _WBITS]
        if unknown:
            raise UnsupportedEncoding(f"unsupported Content-Encoding {', '.join(unknown)}")
        # The last encoding listed was applied last, so it is undone first.
        self._layers = [zlib.decompressobj(_WBITS[name]) for name in reversed(names)]
        self._produced = [0] * len(self._layers)
        self._body = 0
        self.limit = limit

    def feed(self, data: bytes) -> bytes:
        for index, layer in enumerate(self._layers):
            try:
                data = layer.decompress(data, self.limit - self._produced[index] + 1)
            except zlib.error as error:
                raise UnsupportedEncoding(f"cannot decode the body: {error}") from None
            self._count(index, len(data))
        return self._counted(data)

    def finish(self) -> bytes:
        """What the layers still hold once the raw body has ended."""
        data = b""
        for index, layer in enumerate(self._layers):
            try:
                data = layer.decompress(data, self.limit - self._produced[index] + 1)
                self._count(index, len(data))
                tail = layer.flush()
            except zlib.error as error:
                raise UnsupportedEncoding(f"cannot decode the body: {error}") from None
            self._count(index, len(tail))
            data += tail
        return self._counted(data)

    def _counted(self, body: bytes) -> bytes:
        """The body as it will be kept, counted also when it has no encoding at all."""
        self._body += len(body)
        if self._body > self.limit:
            raise DecodedTooLarge(f"body over {self.limit:,} bytes")
        return body

    def _count(self, index: int, size: int) -> None:
        self._produced[index] += size
        if self._produced[index] > self.limit:
            raise DecodedTooLarge(f"body over {self.limit:,} bytes once decoded")
