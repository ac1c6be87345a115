"""A bounds-checked reader over wire bytes, shaped like the RFC's presentation language.

Every TLS parser in tlslens reads through one :class:`Reader`. It never reads past its
end: a short buffer raises :class:`DecodeError` with the offset and what was being read,
which the caller turns into a named anomaly at the next message boundary.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class DecodeError(Exception):
    """The bytes do not fit the structure being read."""

    def __init__(self, offset: int, what: str) -> None:
        super().__init__(f"{what} at offset {offset}")
        self.offset = offset
        self.what = what


class _Block:
    """The context manager of :meth:`Reader.block` (a class: cheaper than a generator)."""

    __slots__ = ("inner", "what")

    def __init__(self, inner: Reader, what: str) -> None:
        self.inner = inner
        self.what = what

    def __enter__(self) -> Reader:
        return self.inner

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        inner = self.inner
        if exc_type is None and inner.pos != inner.end:
            raise DecodeError(inner.pos, f"{self.what}: {inner.end - inner.pos} trailing bytes")


class Reader:
    """Sequential reads from ``data[start:end]``; ``pos`` is absolute within ``data``."""

    __slots__ = ("_buf", "end", "pos")

    def __init__(self, data: bytes | bytearray | memoryview, start: int = 0,
                 end: int | None = None) -> None:
        self._buf = bytes(data) if not isinstance(data, bytes) else data
        self.pos = start
        # Never trust a caller's end beyond the buffer: reads past it must raise.
        self.end = len(self._buf) if end is None else min(end, len(self._buf))

    # -- basics ---------------------------------------------------------------------
    @property
    def remaining(self) -> int:
        return self.end - self.pos

    def at_end(self) -> bool:
        return self.pos >= self.end

    def _need(self, n: int, what: str) -> int:
        p = self.pos
        if n < 0 or p + n > self.end:
            raise DecodeError(p, f"{what}: need {n} bytes, {self.end - p} left")
        self.pos = p + n
        return p

    def u8(self, what: str = "u8") -> int:
        p = self._need(1, what)
        return self._buf[p]

    def u16(self, what: str = "u16") -> int:
        p = self._need(2, what)
        b = self._buf
        return (b[p] << 8) | b[p + 1]

    def u24(self, what: str = "u24") -> int:
        p = self._need(3, what)
        b = self._buf
        return (b[p] << 16) | (b[p + 1] << 8) | b[p + 2]

    def u32(self, what: str = "u32") -> int:
        p = self._need(4, what)
        return int.from_bytes(self._buf[p:p + 4], "big")

    def uint(self, size: int, what: str = "uint") -> int:
        p = self._need(size, what)
        b = self._buf
        if size == 1:  # the length prefixes of most vectors: no slice, no int.from_bytes
            return b[p]
        if size == 2:
            return (b[p] << 8) | b[p + 1]
        return int.from_bytes(b[p:p + size], "big")

    def bytes(self, n: int, what: str = "bytes") -> builtins.bytes:
        # (annotated as builtins.bytes: inside the class ``bytes`` names this method)
        p = self._need(n, what)
        return self._buf[p:p + n]

    def rest(self) -> builtins.bytes:
        p, self.pos = self.pos, self.end
        return self._buf[p:self.end]

    def opaque(self, lenlen: int, what: str = "opaque") -> builtins.bytes:
        """``opaque x<0..2^(8*lenlen)-1>``: a length prefix then that many bytes."""
        n = self.uint(lenlen, what + " length")
        return self.bytes(n, what)

    def window(self) -> tuple[builtins.bytes, int, int]:
        """(buffer, pos, end): for a parser's direct path over well-formed input, which
        then moves on with :meth:`seek`; anything else reads through the methods above."""
        return self._buf, self.pos, self.end

    def seek(self, pos: int) -> None:
        """Move to ``pos`` (between the current position and the end)."""
        if not self.pos <= pos <= self.end:
            raise ValueError(f"seek to {pos} outside {self.pos}..{self.end}")
        self.pos = pos

    # -- structure ------------------------------------------------------------------
    def block(self, lenlen: int, what: str = "block") -> _Block:
        """Read a length prefix; ``with`` it gives a reader limited to that many bytes.

        On leaving the ``with`` the inner reader must be fully consumed, else
        :class:`DecodeError` (trailing bytes are how malformed vectors show up).
        """
        n = self.uint(lenlen, what + " length")
        start = self._need(n, what)
        return _Block(Reader(self._buf, start, start + n), what)

    def sub(self, n: int, what: str = "block") -> Reader:
        """A reader over the next ``n`` bytes (which this reader skips)."""
        start = self._need(n, what)
        return Reader(self._buf, start, start + n)

    def vector(self, lenlen: int, item: Callable[[Reader], T], what: str = "vector") -> list[T]:
        """``T items<..>``: a length prefix in bytes, then items until it is used up."""
        out: list[T] = []
        with self.block(lenlen, what) as inner:
            while not inner.at_end():
                out.append(item(inner))
        return out

    def u16_list(self, lenlen: int, what: str = "list") -> list[int]:
        """A vector of uint16 (cipher suites, groups, signature schemes)."""
        data = self.opaque(lenlen, what)
        if len(data) % 2:
            raise DecodeError(self.pos, f"{what}: odd length {len(data)}")
        return [(data[i] << 8) | data[i + 1] for i in range(0, len(data), 2)]

    def u8_list(self, lenlen: int, what: str = "list") -> list[int]:
        return list(self.opaque(lenlen, what))

    def expect_end(self, what: str = "message") -> None:
        if self.pos != self.end:
            raise DecodeError(self.pos, f"{what}: {self.end - self.pos} trailing bytes")
