"""The pcapng format: a sequence of sections, each a sequence of typed blocks.

Facts from draft-ietf-opsawg-pcapng: every block is ``type, total length, body, total
length`` (lengths multiple of 4). A Section Header Block (``0a0d0d0a``, a palindrome)
starts a section; its byte-order magic ``1a2b3c4d`` sets the byte order of everything
up to the next section, and interface ids restart at 0 in each section. Interface
Description Blocks give each interface its link type, snapshot length and timestamp
unit (``if_tsresol``, default microseconds) and offset (``if_tsoffset``, seconds).
Packets come in Enhanced Packet Blocks, Simple Packet Blocks (interface 0, no
timestamp, captured length from the block and interface 0's snaplen) and the obsolete
Packet Block. Decryption Secrets Blocks carry TLS key logs for the decryption layer.

Blocks tlslens does not know are skipped by their length, with one
``capture.unknown_block`` anomaly per block type, so that a new block type never
breaks a capture.
"""

from __future__ import annotations

import mmap
import struct
from collections.abc import Iterator
from typing import TYPE_CHECKING, NamedTuple

from tlslens.capture.pcap import MAX_BLOCK
from tlslens.capture.types import CaptureItem, SecretsItem

if TYPE_CHECKING:
    from tlslens.capture.reader import CaptureReader

SHB = 0x0A0D0D0A
IDB = 0x00000001
PB = 0x00000002  # obsolete Packet Block
SPB = 0x00000003
EPB = 0x00000006
DSB = 0x0000000A
#: Known block types that carry nothing tlslens uses: name resolution, interface
#: statistics, systemd journal export, custom blocks, Apple's process information.
SKIPPED_BLOCKS = frozenset({0x00000004, 0x00000005, 0x00000009, 0x00000BAD, 0x40000BAD,
                            0x80000001})

MIN_SHB = 28
_BOM_LE = b"\x4d\x3c\x2b\x1a"
_BOM_BE = b"\x1a\x2b\x3c\x4d"

#: Packet times must fall in years 1970..9999 (what every report can print); a time
#: outside is corruption: the packet keeps the previous packet's time instead.
MAX_TS_NS = 253_402_300_800 * 1_000_000_000

_OPT_ENDOFOPT = 0
_OPT_IF_TSRESOL = 9
_OPT_IF_TSOFFSET = 14


class Interface(NamedTuple):
    """What a packet needs from its interface: ts_ns = units * mul // div + offset_ns."""

    linktype: int
    snaplen: int
    mul: int
    div: int
    offset_ns: int


def is_magic(magic: bytes) -> bool:
    return magic[:4] == b"\x0a\x0d\x0d\x0a"


def _byteorder(bom: bytes) -> str | None:
    if bom == _BOM_LE:
        return "<"
    if bom == _BOM_BE:
        return ">"
    return None


def check_header(head: bytes) -> None:
    """Validate the first Section Header Block; :class:`ValueError` says what is wrong."""
    if len(head) < MIN_SHB:
        raise ValueError(f"pcapng section header cut short ({len(head)} of {MIN_SHB} bytes)")
    bo = _byteorder(head[8:12])
    if bo is None:
        raise ValueError("pcapng section header without a valid byte-order magic")
    blen, _bom, major, minor = struct.unpack_from(bo + "IIHH", head, 4)
    if major != 1:
        raise ValueError(f"unsupported pcapng version {major}.{minor}")
    if blen < MIN_SHB or blen & 3 or blen > MAX_BLOCK:
        raise ValueError(f"pcapng section header with an impossible length ({blen})")


def ts_scale(tsresol: int) -> tuple[int, int]:
    """``(mul, div)`` turning timestamp units of ``if_tsresol`` into nanoseconds."""
    exp = tsresol & 0x7F
    if tsresol & 0x80:
        return 1_000_000_000, 1 << exp
    if exp <= 9:
        return 10 ** (9 - exp), 1
    return 1, 10 ** (exp - 9)


def parse_interface(buf: bytes | mmap.mmap, pos: int, stop: int, bo: str) -> Interface:
    """The Interface Description Block at ``buf[pos:stop]`` (``stop - pos >= 20``)."""
    linktype, _reserved, snaplen = struct.unpack_from(bo + "HHI", buf, pos + 8)
    mul, div, offset_ns = 1000, 1, 0
    opt = struct.Struct(bo + "HH")
    p = pos + 16
    lim = stop - 4
    while p + 4 <= lim:
        code, length = opt.unpack_from(buf, p)
        p += 4
        if code == _OPT_ENDOFOPT or p + length > lim:
            break
        if code == _OPT_IF_TSRESOL and length >= 1:
            mul, div = ts_scale(buf[p])
        elif code == _OPT_IF_TSOFFSET and length >= 8:
            offset_ns = struct.unpack_from(bo + "q", buf, p)[0] * 1_000_000_000
        p += (length + 3) & ~3
    return Interface(linktype, snaplen, mul, div, offset_ns)


#: Time scales the compiled walk computes in 64 bits (others: Python's big integers).
_WALK_MUL_MAX = 1_000_000_000
_WALK_LIMIT = 1 << 62


def walkable(ifaces: list[Interface | None]) -> tuple[tuple[int, int, int] | None, ...]:
    """Per interface id, ``(mul, div, offset_ns)`` when the compiled walk may take its
    packets (Ethernet, a time scale that fits 64 bits), else None."""
    return tuple((i.mul, i.div, i.offset_ns)
                 if i is not None and i.linktype == 1 and i.mul <= _WALK_MUL_MAX
                 and i.div < _WALK_LIMIT and -_WALK_LIMIT < i.offset_ns < _WALK_LIMIT
                 else None for i in ifaces)


def iter_blocks(reader: CaptureReader, buf: bytes) -> Iterator[CaptureItem | SecretsItem]:
    """Yield the packets and secrets of every section; ``buf`` starts at the first SHB.

    Framing errors (an impossible length, trailing length not equal to the leading
    one) stop the iteration with ``capture.bad_block``; a block whose inner fields do
    not fit its length is skipped with ``capture.bad_block`` and reading goes on.

    A big regular file is walked in place through a memory map, as in
    :func:`tlslens.capture.pcap.iter_records`; the map is closed however the walk ends.
    """
    mapping = reader.mapped()
    try:
        yield from _blocks(reader, buf, mapping)
    finally:
        if mapping is not None and not mapping.closed:
            reader.unmap(mapping, len(mapping), 0)


def _blocks(reader: CaptureReader, buf: bytes | mmap.mmap, mapping: mmap.mmap | None
            ) -> Iterator[CaptureItem | SecretsItem]:
    refill = reader.refill
    new = tuple.__new__
    item_type = CaptureItem
    bo = "<"
    head = struct.Struct(bo + "II").unpack_from
    u32 = struct.Struct(bo + "I").unpack_from
    epb = struct.Struct(bo + "IIIII").unpack_from
    ifaces: list[Interface | None] = []
    nif = 0
    scan = None  # the compiled walk (CaptureReader.walker), asked for at the first packet
    asked = False
    walk_ifaces = walkable(ifaces)
    warned: set[tuple[str, int]] = set()
    pos = 0
    end = len(buf)
    idx = 0

    def bad(what: str) -> None:
        reader.anomaly("capture.bad_block", what, idx or None)

    last_ts = 0

    def bad_ts(ts: int) -> int:
        """An impossible time (a corrupt block): one anomaly per file, the last good time."""
        if ("ts", 0) not in warned:
            warned.add(("ts", 0))
            reader.anomaly("capture.bad_timestamp",
                           f"packet {idx + 1} has an impossible time ({ts} ns since 1970); "
                           "such packets keep the previous packet's time", idx + 1)
        return last_ts

    released, release_every = 0, reader.map_release
    window = reader.scan_window
    if mapping is not None:
        buf, end = mapping, len(mapping)

    while True:
        if mapping is not None and pos - released >= release_every:
            released = reader.release_mapped(mapping, released, pos)
        if scan is not None and (buf.__class__ is bytes or buf is mapping):
            # Enhanced Packet Blocks complete in ``buf`` whose packets the compiled walk
            # takes; it stops before the first block it leaves to the code below.
            # (Its time argument is what it returns when it takes nothing, ignored here:
            # 0, since a valid pcapng time may lie beyond the 64 bits it holds.) Through
            # the map it may also end connections (``closing``, see Walker.scan), a
            # window at a time (SCAN_WINDOW), the pages behind released between.
            if buf is mapping:
                pos, n, ts = scan(buf, pos, idx, 0, bo == "<", walk_ifaces, True,
                                  pos + window)
            else:
                pos, n, ts = scan(buf, pos, idx, 0, bo == "<", walk_ifaces)
            if n != idx:
                idx = n
                last_ts = ts
                reader.packets = idx
                reader.last_ts_ns = ts
        if end - pos < 12:
            if buf is mapping:  # the map's end: on with the stream, which is past it
                buf, mapping = reader.unmap(mapping, pos, 12), None
            else:
                buf = refill(buf, pos, 12)
            pos = 0
            end = len(buf)
            if end < 12:
                if end:
                    reader.anomaly("capture.truncated",
                                   f"the file ends inside a block header ({end} bytes)",
                                   idx or None)
                return
        btype, blen = head(buf, pos)
        if btype == SHB:
            new_bo = _byteorder(buf[pos + 8:pos + 12])
            if new_bo is None:
                bad("a section header block without a valid byte-order magic; "
                    "the rest of the file is skipped")
                return
            bo = new_bo
            head = struct.Struct(bo + "II").unpack_from
            u32 = struct.Struct(bo + "I").unpack_from
            epb = struct.Struct(bo + "IIIII").unpack_from
            btype, blen = head(buf, pos)
        if blen < 12 or blen & 3 or blen > MAX_BLOCK:
            bad(f"block type 0x{btype:08x} has an impossible length {blen}; "
                "the rest of the file is skipped")
            return
        stop = pos + blen
        if stop > end:
            if buf is mapping:
                buf, mapping = reader.unmap(mapping, pos, blen), None
            else:
                buf = refill(buf, pos, blen)
            pos = 0
            stop = blen
            end = len(buf)
            if stop > end:
                reader.anomaly("capture.truncated",
                               f"the file ends inside a block of type 0x{btype:08x} "
                               f"({end} of {blen} bytes)", idx or None)
                return
        if u32(buf, stop - 4)[0] != blen:
            bad(f"block type 0x{btype:08x}: trailing length differs from {blen}; "
                "the rest of the file is skipped")
            return

        if btype == EPB:  # the common case first
            if blen >= 32:
                iface, tsh, tsl, caplen, orig = epb(buf, pos + 8)
                if caplen <= blen - 32:
                    ifc = ifaces[iface] if iface < nif else None
                    if ifc is not None:
                        ts = ((tsh << 32) | tsl) * ifc[2] // ifc[3] + ifc[4]
                        if not 0 <= ts < MAX_TS_NS:
                            ts = bad_ts(ts)
                        last_ts = ts
                        idx += 1
                        data = buf[pos + 28:pos + 28 + caplen]
                        pos = stop
                        reader.packets = idx
                        reader.last_ts_ns = ts
                        if idx == 1:
                            reader.first_ts_ns = ts
                        prefilter = reader.prefilter
                        if not asked:
                            asked = True
                            walker = reader.walker() if prefilter and reader.walker else None
                            scan = walker.scan_blocks if walker is not None else None
                        if prefilter is not None and ifc[0] == 1 and prefilter(data, idx, ts):
                            continue
                        yield new(item_type, (idx, ts, iface, ifc[0], data, orig))
                        continue
                    if ("if", iface) not in warned:
                        warned.add(("if", iface))
                        reader.anomaly("capture.bad_interface",
                                       f"packets name interface {iface}, which this section "
                                       "does not describe; they are skipped", idx + 1)
                else:
                    bad(f"enhanced packet block: {caplen} captured bytes do not fit in "
                        f"a {blen}-byte block")
            else:
                bad(f"enhanced packet block of {blen} bytes is too short")
            pos = stop
            continue

        if btype == SHB:
            if blen < MIN_SHB:
                bad(f"section header block of {blen} bytes is too short; "
                    "the rest of the file is skipped")
                return
            major, minor = struct.unpack_from(bo + "HH", buf, pos + 12)
            if major != 1:
                bad(f"section with unsupported pcapng version {major}.{minor}; "
                    "the rest of the file is skipped")
                return
            ifaces = []
            nif = 0
            walk_ifaces = ()
            warned = {w for w in warned if w[0] != "if"}
        elif btype == IDB:
            if blen >= 20:
                ifc = parse_interface(buf, pos, stop, bo)
                reader.add_link_type(ifc.linktype)
            else:
                bad(f"interface description block of {blen} bytes is too short")
                ifc = None
            ifaces.append(ifc)
            nif += 1
            walk_ifaces = walkable(ifaces)
        elif btype in (SPB, PB):
            got = _other_packet(btype, buf, pos, stop, bo, ifaces, idx + 1)
            if not isinstance(got, CaptureItem):
                aid, detail = got
                if aid != "capture.bad_interface":
                    bad(detail)
                elif ("if", btype) not in warned:
                    warned.add(("if", btype))
                    reader.anomaly(aid, detail, idx + 1)
            else:
                if not 0 <= got.ts_ns < MAX_TS_NS:
                    got = got._replace(ts_ns=bad_ts(got.ts_ns))
                if btype == PB:
                    last_ts = got.ts_ns
                idx += 1
                pos = stop
                reader.packets = idx
                reader.last_ts_ns = got.ts_ns
                if idx == 1:
                    reader.first_ts_ns = got.ts_ns
                yield got
                continue
        elif btype == DSB:
            secrets = _secrets(buf, pos, stop, bo, idx)
            if secrets is None:
                bad(f"decryption secrets block of {blen} bytes does not hold its secrets")
            else:
                pos = stop
                yield secrets
                continue
        elif btype not in SKIPPED_BLOCKS and ("bt", btype) not in warned:
            warned.add(("bt", btype))
            reader.anomaly("capture.unknown_block",
                           f"skipped block type 0x{btype:08x} (first seen after packet {idx})",
                           idx or None)
        pos = stop


def _other_packet(btype: int, buf: bytes | mmap.mmap, pos: int, stop: int, bo: str,
                  ifaces: list[Interface | None], index: int
                  ) -> CaptureItem | tuple[str, str]:
    """A Simple Packet Block or an obsolete Packet Block, or (anomaly id, why not)."""
    blen = stop - pos
    if btype == SPB:
        if blen < 16:
            return "capture.bad_block", f"simple packet block of {blen} bytes is too short"
        ifc = ifaces[0] if ifaces else None
        if ifc is None:
            return ("capture.bad_interface",
                    "interface 0 is not described, so simple packet blocks are skipped")
        orig = struct.unpack_from(bo + "I", buf, pos + 8)[0]
        caplen = min(orig, blen - 16)
        if ifc.snaplen:
            caplen = min(caplen, ifc.snaplen)
        return CaptureItem(index, 0, 0, ifc.linktype, buf[pos + 12:pos + 12 + caplen], orig)
    if blen < 32:
        return "capture.bad_block", f"packet block of {blen} bytes is too short"
    iface, _drops, tsh, tsl, caplen, orig = struct.unpack_from(bo + "HHIIII", buf, pos + 8)
    if caplen > blen - 32:
        return ("capture.bad_block",
                f"packet block: {caplen} captured bytes do not fit in a {blen}-byte block")
    ifc = ifaces[iface] if iface < len(ifaces) else None
    if ifc is None:
        return ("capture.bad_interface",
                f"interface {iface} of a packet block is not described; it is skipped")
    ts = ((tsh << 32) | tsl) * ifc.mul // ifc.div + ifc.offset_ns
    return CaptureItem(index, ts, iface, ifc.linktype, buf[pos + 28:pos + 28 + caplen], orig)


def _secrets(buf: bytes | mmap.mmap, pos: int, stop: int, bo: str, packets: int) -> SecretsItem | None:
    if stop - pos < 20:
        return None
    stype, slen = struct.unpack_from(bo + "II", buf, pos + 8)
    if slen > stop - pos - 20:
        return None
    return SecretsItem(packets, stype, bytes(buf[pos + 16:pos + 16 + slen]))
