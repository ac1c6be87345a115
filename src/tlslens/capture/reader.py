"""Open a capture (path, ``-`` for stdin, or a binary stream) and iterate its packets.

The reader is the only I/O the capture layer does. It reads the stream in fixed-size
chunks (never the whole file), so a multi-gigabyte file or an endless ``tcpdump -U -w -``
pipe costs one chunk of memory plus the largest block. The format is found by magic,
not by file name, because pipes have no name; gzip is detected the same way and
decompressed on the fly.

Bad input never raises once the file is open: the problem becomes an
:class:`~tlslens.anomalies.Anomaly` in :attr:`CaptureReader.anomalies` and iteration
stops or goes on, depending on whether the framing can still be trusted. Only
:func:`open_capture` raises, with :class:`CaptureFormatError`, when the input is not a
capture at all (empty, unknown magic, broken file header).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import mmap
import os
import stat
import sys
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol, Self

from tlslens.anomalies import Anomaly, AnomalyList
from tlslens.capture import pcap, pcapng
from tlslens.capture.types import CaptureInfo, CaptureItem, SecretsItem

#: How much is asked of the stream per read. 64 KiB: each refill makes a new buffer
#: (the leftover of the last one plus the read), and a buffer this size comes from
#: memory malloc reuses; 1 MiB buffers were mapped fresh from the kernel each time, and
#: their page faults cost 0.2 s per 460 MB (benchmarks/README.md). Records larger than
#: this are read whole all the same.
CHUNK_SIZE = 64 << 10
#: Regular files at least this large are walked through a memory map
#: (:meth:`CaptureReader.mapped`); smaller ones are read in chunks.
MAP_MIN = 4 << 20
#: Mapped bytes walked between two releases of the pages behind (memory stays flat).
MAP_RELEASE = 2 << 20
#: Mapped bytes the compiled walk goes through in one call at most. The pages behind are
#: given back between calls, and a walk that took every packet (one long connection)
#: went through the whole map in one call: a 320 MB capture of one connection peaked
#: at 347 MB of memory, all of it mapped file.
SCAN_WINDOW = MAP_RELEASE
#: No single block or packet may be larger than this (a bigger length means corruption).
MAX_BLOCK = 64 << 20

_GZIP_MAGIC = b"\x1f\x8b"

Source = str | Path | BinaryIO


class Walker(Protocol):
    """A compiled walk over the capture's read buffers (see :attr:`CaptureReader.walker`):
    it consumes the packets the ``prefilter`` would take, in C."""

    def scan(self, buf: bytes | mmap.mmap, pos: int, frame: int, ts_ns: int, little: bool,
             nanos: bool, record_size: int, closing: bool = False, stop: int = -1, /
             ) -> tuple[int, int, int, bytes | None, int]:
        """Classic pcap: -> (pos, frame, ts_ns, data | None, orig_len); the first record
        it does not take is consumed and returned, None: no complete record left.

        ``closing``: it may also take the FIN that ends a connection, which then ends
        inside the walk; the connections that ends only come out of the pipeline at the
        next packet the walk returns. So only for a file walked through its map, never a
        stream (a live capture), where that packet may be long in coming. ``stop`` (when
        >= 0): ``buf`` ends there for this call (see :data:`SCAN_WINDOW`)."""
        ...

    def scan_blocks(self, buf: bytes | mmap.mmap, pos: int, frame: int, ts_ns: int,
                    little: bool, interfaces: tuple[tuple[int, int, int] | None, ...],
                    closing: bool = False, stop: int = -1, /) -> tuple[int, int, int]:
        """pcapng: -> (pos, frame, ts_ns); stops before the first block it does not take
        (``closing`` and ``stop`` as for :meth:`scan`)."""
        ...


class CaptureFormatError(Exception):
    """The input is not a capture tlslens can read; the message is one human line."""


class _Prefixed:
    """A read-only stream that first replays ``prefix``, then reads from ``stream``.

    Detecting gzip consumes the first bytes of a stream that may not be seekable (a
    pipe); this puts them back in front for :class:`gzip.GzipFile`.
    """

    def __init__(self, prefix: bytes, read: Callable[[int], bytes]) -> None:
        self._prefix = prefix
        self._read = read

    def read(self, n: int = -1, /) -> bytes:
        if self._prefix:
            if n < 0 or n >= len(self._prefix):
                out, self._prefix = self._prefix, b""
            else:
                out, self._prefix = self._prefix[:n], self._prefix[n:]
            return out
        if n < 0:
            n = CHUNK_SIZE
        return self._read(n)

    def seek(self, n: int, /) -> int:
        """Only the gzip rewind path asks for this, and tlslens never rewinds."""
        raise io.UnsupportedOperation("a capture stream is read once, front to back")


def _reader_of(stream: BinaryIO) -> Callable[[int], bytes]:
    """The stream's non-blocking-ish read: ``read1`` returns what a pipe has, not ``n``."""
    read1 = getattr(stream, "read1", None)
    return read1 if read1 is not None else stream.read


class CaptureReader:
    """Iterate over one capture's :class:`CaptureItem` and :class:`SecretsItem` values.

    Counters are updated while iterating: after the loop they describe the whole file.
    Use :func:`open_capture` rather than constructing this directly.
    """

    def __init__(self, stream: BinaryIO, *, close: bool = False, name: str = "") -> None:
        self.name = name
        self.anomalies: list[Anomaly] = AnomalyList()  # bounded: one per bad block
        self.bytes = 0  # bytes of capture data read so far (after gunzip)
        self._stream = stream
        self._owns = close
        self._read = _reader_of(stream)
        self._compressed = False
        self._map_offered = False
        self._link_types: set[int] = set()
        #: Packets read so far (the last frame number) and the times of the first and the
        #: last; set by the format parsers for every packet, yielded or prefiltered.
        self.packets = 0
        self.first_ts_ns: int | None = None
        self.last_ts_ns: int | None = None
        #: Called as ``prefilter(data, frame, ts_ns)`` for each Ethernet packet before an
        #: item is made for it; True means it was handled and no item is yielded. The
        #: pipeline's fast lane (tlslens.flows.lane) takes most packets of a big capture
        #: this way, without the cost of an item and two generator hops each.
        self.prefilter: Callable[[bytes, int, int], bool] | None = None
        #: Offered with ``prefilter``: ``walker()`` may return a compiled :class:`Walker`
        #: that takes, in C, what the prefilter would (tlslens.flows.lane.FastLane.walker;
        #: None when it is not built). The format parsers ask for it at the first packet.
        self.walker: Callable[[], Walker | None] | None = None
        self._gen: Iterator[CaptureItem | SecretsItem] | None = None
        try:
            self._open()
        except CaptureFormatError:
            self.close()
            raise

    # -- opening --------------------------------------------------------------------
    def _open(self) -> None:
        head = self._read_at_least(b"", 4)
        if not head:
            raise CaptureFormatError(f"{self._label()}: the file is empty")
        if head[:2] == _GZIP_MAGIC:
            self._compressed = True
            gz = gzip.GzipFile(fileobj=_Prefixed(head, self._read), mode="rb")
            self._read = gz.read1
            self.bytes = 0
            try:
                head = self._read_at_least(b"", 4, strict=True)
            except (OSError, EOFError, zlib.error) as exc:
                raise CaptureFormatError(f"{self._label()}: corrupt gzip data ({exc})") from None
            if not head:
                raise CaptureFormatError(f"{self._label()}: the gzip stream is empty")
        magic = head[:4]
        try:
            if pcapng.is_magic(magic):
                self.format = "pcapng"
                head = self._read_at_least(head, pcapng.MIN_SHB)
                pcapng.check_header(head)
                self._gen = pcapng.iter_blocks(self, head)
            elif pcap.is_magic(magic):
                self.format = "pcap"
                head = self._read_at_least(head, pcap.HEADER_SIZE)
                header = pcap.parse_header(head)
                self._link_types.add(header.linktype)
                self._gen = pcap.iter_records(self, header, head)
            else:
                raise CaptureFormatError(
                    f"{self._label()}: not a pcap, pcapng or gzip-compressed capture "
                    f"(starts with {magic.hex()})")
        except ValueError as exc:
            raise CaptureFormatError(f"{self._label()}: {exc}") from None

    def _label(self) -> str:
        return self.name or "capture"

    def _read_at_least(self, buf: bytes, n: int, strict: bool = False) -> bytes:
        """``buf`` extended with stream reads until it holds ``n`` bytes or the stream ends."""
        parts = [buf]
        have = len(buf)
        while have < n:
            chunk = self._read(max(CHUNK_SIZE, n - have)) if strict else self._safe_read(
                max(CHUNK_SIZE, n - have))
            if not chunk:
                break
            parts.append(chunk)
            have += len(chunk)
            self.bytes += len(chunk)
        return b"".join(parts) if len(parts) > 1 else buf

    def _safe_read(self, n: int) -> bytes:
        """One read; a corrupt or cut gzip stream becomes an anomaly and end of input."""
        if not self._compressed:
            return self._read(n)
        try:
            return self._read(n)
        except EOFError:
            self.anomaly("capture.truncated", "the gzip stream ends before its end marker")
        except (OSError, zlib.error) as exc:
            self.anomaly("capture.gzip_error", f"corrupt gzip data: {exc}")
        self._read = _eof
        return b""

    # -- services for the format parsers -----------------------------------------------
    def refill(self, buf: bytes | mmap.mmap, pos: int, need: int) -> bytes:
        """``buf[pos:]`` plus more stream data: at least ``need`` bytes unless input ends.

        Format parsers call this only when the current buffer is short, so the copy of
        the (small) leftover happens once per chunk, not per packet.
        """
        return self._read_at_least(buf[pos:], need)

    def anomaly(self, id: str, detail: str, frame: int | None = None) -> None:
        self.anomalies.append(Anomaly(id, detail, frame=frame))

    def add_link_type(self, linktype: int) -> None:
        self._link_types.add(linktype)

    # -- public view --------------------------------------------------------------------
    @property
    def info(self) -> CaptureInfo:
        return CaptureInfo(self.format, self._compressed)

    @property
    def link_types(self) -> list[int]:
        """Link types of the interfaces the file describes, sorted, each once."""
        return sorted(self._link_types)

    def __iter__(self) -> Iterator[CaptureItem | SecretsItem]:
        gen = self._gen
        if gen is None:
            return iter(())
        return self._closing(gen)

    def _closing(self, gen: Iterator[CaptureItem | SecretsItem]
                 ) -> Iterator[CaptureItem | SecretsItem]:
        """Run ``gen`` to the end, then close a file we opened ourselves."""
        yield from gen
        self._gen = None
        self.close()

    def mapped(self) -> mmap.mmap | None:
        """The whole file as a read-only memory map (offset 0 at index 0), or None.

        Why: the compiled walk reads only record and packet headers, while reading a
        big capture in chunks copied every byte of it from the page cache (about a
        twentieth of ``tlslens fingerprint``, in every worker process). Mapped, the
        payloads the walk skips are never touched. Offered for a regular, uncompressed
        file of at least :data:`MAP_MIN` bytes that this reader opened itself, once.
        The stream is moved to the end of the map, so reading on after it (a file that
        is still growing) continues where the map ends. The caller releases the pages
        behind it (:meth:`release_mapped`): mapped pages count as the process's
        memory. (As for any mapped reader, a file that another program cuts shorter
        while it is being walked ends the process with SIGBUS; files that grow, such as
        a capture still being written, are safe.)"""
        if not self._owns or self._compressed or self._map_offered:
            return None
        self._map_offered = True
        try:
            fd = self._stream.fileno()
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode) or info.st_size < MAP_MIN:
                return None
            mapping = mmap.mmap(fd, 0, access=mmap.ACCESS_READ)
            self._stream.seek(len(mapping))
        except (OSError, ValueError, io.UnsupportedOperation):
            return None
        with contextlib.suppress(OSError, AttributeError):
            mapping.madvise(mmap.MADV_SEQUENTIAL)
        return mapping

    @property
    def map_release(self) -> int:
        """How far the walk of a map may get past the pages it gave back (the format
        parsers read it once)."""
        return MAP_RELEASE

    @property
    def scan_window(self) -> int:
        """How far one call of the compiled walk may go through a map (SCAN_WINDOW)."""
        return SCAN_WINDOW

    def unmap(self, mapping: mmap.mmap, pos: int, need: int) -> bytes:
        """Leave ``mapping`` at ``pos``: its bytes from ``pos`` on plus what the stream
        (already past the map) adds, up to ``need`` bytes, as :meth:`refill` gives them
        (``b""`` for ``need`` 0). The whole map counts as read; it is closed."""
        self.bytes = max(self.bytes, len(mapping))
        buf = self.refill(mapping, pos, need) if need else b""
        with contextlib.suppress(BufferError):
            mapping.close()
        return buf

    def release_mapped(self, mapping: mmap.mmap, released: int, pos: int) -> int:
        """Give back the mapped pages before ``pos`` (from ``released`` on, which is
        page-aligned) and count them as read; the new ``released``."""
        upto = pos - pos % mmap.PAGESIZE
        if upto > released:
            with contextlib.suppress(OSError, ValueError, AttributeError):
                mapping.madvise(mmap.MADV_DONTNEED, released, upto - released)
            released = upto
        self.bytes = max(self.bytes, pos)
        return released

    def close(self) -> None:
        if self._owns:
            self._owns = False
            self._stream.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _eof(n: int) -> bytes:
    return b""


def open_capture(source: Source) -> CaptureReader:
    """Open a pcap/pcapng capture, maybe gzip-compressed, for streaming iteration.

    ``source`` is a path, ``"-"`` for standard input, or a binary file object (which may
    be a non-seekable pipe; it is not closed by the reader). Raises
    :class:`CaptureFormatError` if it cannot be opened or is not a capture.
    """
    if isinstance(source, (str, Path)):
        if str(source) == "-":
            return CaptureReader(sys.stdin.buffer, name="-")
        try:
            stream: BinaryIO = open(source, "rb", buffering=0)  # noqa: SIM115 (closed by reader)
        except OSError as exc:
            raise CaptureFormatError(f"{source}: cannot open: {exc.strerror or exc}") from None
        return CaptureReader(stream, close=True, name=str(source))
    name = getattr(source, "name", "")
    return CaptureReader(source, name=name if isinstance(name, str) else "")
