"""The classic libpcap file format (a 24-byte file header, then record header + data).

Facts from draft-ietf-opsawg-pcap and libpcap's savefile.c: the magic gives both the
byte order and the time unit (``a1b2c3d4`` microseconds, ``a1b23c4d`` nanoseconds);
``a1b2cd34`` is Alexey Kuznetzov's patched format whose record headers carry 8 more
bytes. The link type sits in the low 16 bits of the last header field; the upper bits
may announce an FCS length, which we ignore (IP lengths cut it off anyway).

This is the hot loop for most captures: one ``unpack_from`` and one slice per packet.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from tlslens.capture.types import CaptureItem

if TYPE_CHECKING:
    from tlslens.capture.reader import CaptureReader

HEADER_SIZE = 24
#: A single record or block larger than this means the length field is corrupt.
MAX_BLOCK = 64 << 20

# magic bytes as stored -> (struct byte order, nanosecond timestamps, record header size)
_MAGICS: dict[bytes, tuple[str, bool, int]] = {
    b"\xd4\xc3\xb2\xa1": ("<", False, 16),
    b"\xa1\xb2\xc3\xd4": (">", False, 16),
    b"\x4d\x3c\xb2\xa1": ("<", True, 16),
    b"\xa1\xb2\x3c\x4d": (">", True, 16),
    b"\x34\xcd\xb2\xa1": ("<", False, 24),
    b"\xa1\xb2\xcd\x34": (">", False, 24),
}


class PcapHeader(NamedTuple):
    """The file header fields tlslens uses."""

    byteorder: str  # "<" or ">"
    nanos: bool
    record_size: int  # bytes of each record header (16, or 24 for the Kuznetzov variant)
    version: tuple[int, int]
    snaplen: int
    linktype: int


def is_magic(magic: bytes) -> bool:
    return magic[:4] in _MAGICS


def parse_header(head: bytes) -> PcapHeader:
    """Read the 24-byte file header; :class:`ValueError` with a human message if broken."""
    if len(head) < HEADER_SIZE:
        raise ValueError(f"pcap file header cut short ({len(head)} of {HEADER_SIZE} bytes)")
    byteorder, nanos, record_size = _MAGICS[head[:4]]
    major, minor, _zone, _sigfigs, snaplen, network = struct.unpack_from(
        byteorder + "HHiIII", head, 4)
    return PcapHeader(byteorder, nanos, record_size, (major, minor), snaplen, network & 0xFFFF)


def iter_records(reader: CaptureReader, header: PcapHeader, buf: bytes
                 ) -> Iterator[CaptureItem]:
    """Yield every record of the file; ``buf`` holds the bytes read so far (from offset 0).

    Stops at the end of input, recording ``capture.truncated`` if a record is cut, or
    at an impossible record length (``capture.bad_block``): after that the framing of
    the rest of the file cannot be trusted.

    A big regular file is walked in place, through a memory map of all of it
    (:meth:`CaptureReader.mapped`); the map is closed however the walk ends.
    """
    mapping = reader.mapped()
    try:
        yield from _records(reader, header, buf, mapping)
    finally:
        if mapping is not None and not mapping.closed:
            reader.unmap(mapping, len(mapping), 0)


def _records(reader: CaptureReader, header: PcapHeader, buf: bytes | mmap.mmap,
             mapping: mmap.mmap | None) -> Iterator[CaptureItem]:
    unpack = struct.Struct(header.byteorder + "IIII").unpack_from
    hs = header.record_size
    mul = 1 if header.nanos else 1000
    lt = header.linktype
    refill = reader.refill
    new = tuple.__new__
    item_type = CaptureItem
    pos = HEADER_SIZE
    end = len(buf)
    idx = 0
    ts = 0
    prefilter = None  # read when the first packet is in (the consumer has set it by then)
    scan = None  # the compiled walk, when the consumer offers one (CaptureReader.walker)
    little = header.byteorder == "<"
    # Through a map, buf's offsets are file offsets, and ``buf`` only becomes bytes
    # again when the map is left for the stream at its end.
    released, release_every = 0, reader.map_release
    window = reader.scan_window
    if mapping is not None:
        buf, end = mapping, len(mapping)
    while True:
        if mapping is not None and pos - released >= release_every:
            released = reader.release_mapped(mapping, released, pos)
        if scan is not None and (buf.__class__ is bytes or buf is mapping):
            # Complete records in ``buf``: the compiled walk consumes those its lane
            # handles and returns the first it does not (or None: read on below). That
            # one goes the general way without asking the prefilter again: the walk
            # already made the lane's decision, and in the rare case it leaves to Python
            # (a sweep due), the general path gives the same result as the lane. Through
            # the map it may also end connections (``closing``, see Walker.scan), and it
            # walks a window at a time (SCAN_WINDOW), the pages behind released between.
            if buf is mapping:
                pos, idx, ts, data, orig = scan(buf, pos, idx, ts, little, header.nanos, hs,
                                                True, pos + window)
            else:
                pos, idx, ts, data, orig = scan(buf, pos, idx, ts, little, header.nanos, hs)
            reader.packets = idx
            reader.last_ts_ns = ts
            if data is not None:
                yield new(item_type, (idx, ts, 0, lt, data, orig))
                continue
        if end - pos < hs:
            if buf is mapping:  # the map's end: on with the stream, which is past it
                buf, mapping = reader.unmap(mapping, pos, hs), None
            else:
                buf = refill(buf, pos, hs)
            pos = 0
            end = len(buf)
            if end < hs:
                if end:
                    reader.anomaly("capture.truncated",
                                   f"the file ends inside the record header of packet "
                                   f"{idx + 1} ({end} of {hs} bytes)", idx + 1)
                return
        sec, frac, incl, orig = unpack(buf, pos)
        if incl > MAX_BLOCK:
            reader.anomaly("capture.bad_block",
                           f"packet {idx + 1} claims {incl} captured bytes; "
                           "the rest of the file is skipped", idx + 1)
            return
        stop = pos + hs + incl
        if stop > end:
            if buf is mapping:
                buf, mapping = reader.unmap(mapping, pos, hs + incl), None
            else:
                buf = refill(buf, pos, hs + incl)
            pos = 0
            stop = hs + incl
            end = len(buf)
            if stop > end:
                reader.anomaly("capture.truncated",
                               f"the file ends inside packet {idx + 1} "
                               f"({end - hs} of {incl} bytes)", idx + 1)
                return
        idx += 1
        ts = sec * 1_000_000_000 + frac * mul
        data = buf[pos + hs:stop]
        pos = stop
        reader.packets = idx
        reader.last_ts_ns = ts
        if idx == 1:
            reader.first_ts_ns = ts
            prefilter = reader.prefilter if lt == 1 else None
            walker = reader.walker() if prefilter is not None and reader.walker else None
            scan = walker.scan if walker is not None else None
        if prefilter is not None and prefilter(data, idx, ts):
            continue
        yield new(item_type, (idx, ts, 0, lt, data, orig))

