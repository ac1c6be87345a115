"""The record layer: one direction's in-order bytes -> TLS (or SSLv2) records.

A :class:`RecordStream` is sans-IO and incremental: ``feed()`` takes whatever bytes
arrived and returns the records they completed; a partial record waits for more. It also
finds where TLS starts (content-based recognition: any port, after a plaintext STARTTLS
exchange, or in the middle of a connection), resynchronises after a gap at the next
plausible record boundary, and, once the handshake is over, skips record payloads
without copying them (only the 5-byte headers are read: the hot path).
"""

from __future__ import annotations

from typing import NamedTuple

from tlslens.anomalies import Anomaly

try:  # the optional compiled splitter (src/tlslens/tls/_fastrec.c)
    from tlslens.tls._fastrec import split as _split
except ImportError:  # not built: _next_record reads every record
    _split = None  # type: ignore[assignment]
#: Whether complete, well-formed records are split in C (RecordStream._drain).
COMPILED = _split is not None

#: TLSCiphertext may carry 2^14 + 2048 bytes (RFC 5246 6.2.3); a bit of slack for SSL 3.0.
MAX_RECORD = (1 << 14) + 2048 + 256
#: Plaintext (STARTTLS dialogue, other protocols) scanned for a TLS start before giving up.
SEARCH_LIMIT = 64 * 1024
CONTENT_TYPES = (20, 21, 22, 23, 24)

SSLV2_CLIENT_HELLO = 1
SSLV2_SERVER_HELLO = 4


class Record(NamedTuple):
    """One record. ``fragment`` is None when its payload was skipped or not captured."""

    side: int
    content_type: int  # 20..24; for SSLv2 records: -1
    version: int  # record-layer version (SSLv2: 2)
    length: int  # payload length as declared
    fragment: bytes | None
    frame: int  # the packet that completed the record
    ts_ns: int
    offset: int  # stream offset of the record header


def _plausible_header(b: bytes | bytearray | memoryview, p: int) -> int:
    """Length of a plausible TLS record at ``p`` (needs 5 bytes), or -1."""
    if b[p] not in CONTENT_TYPES or b[p + 1] != 3 or b[p + 2] > 4:
        return -1
    n = (b[p + 3] << 8) | b[p + 4]
    return n if 0 < n <= MAX_RECORD else -1


def _sslv2_hello_length(b: bytes | bytearray | memoryview, p: int) -> int:
    """Length of an SSLv2-format hello record at ``p`` (needs 5 bytes), or -1."""
    if not b[p] & 0x80:
        return -1
    n = ((b[p] & 0x7F) << 8) | b[p + 1]
    if n < 9:
        return -1
    if b[p + 2] == SSLV2_CLIENT_HELLO and b[p + 3] in (0, 3) and b[p + 4] <= 4:
        return n
    if b[p + 2] == SSLV2_SERVER_HELLO and b[p + 3] in (0, 1) and n >= 11:
        return n
    return -1


class RecordStream:
    """Records of one side of one connection."""

    __slots__ = (
        "anomalies",
        "app_bytes",
        "app_records",
        "base",
        "buf",
        "found_at",
        "midstream",
        "searched",
        "side",
        "skip",
        "skip_rec",
        "skipping",
        "sslv2",
        "state",
    )

    def __init__(self, side: int, midstream: bool = False) -> None:
        self.side = side
        self.buf = bytearray()
        self.base = 0  # stream offset of buf[0]
        self.state = "search"  # search -> records | resync -> records | dead
        self.skip = 0  # payload bytes still to skip of the record in skip_rec
        self.skip_rec: tuple[int, int, int, int] | None = None  # type, version, length, offset
        self.skipping = False  # handshake over: skip payloads, count only
        self.sslv2 = False  # SSLv2 framing confirmed for this side
        self.anomalies: list[Anomaly] = []
        self.app_records = 0  # content type 23 records seen while skipping
        self.app_bytes = 0
        self.searched = 0
        self.midstream = midstream
        self.found_at: int | None = None  # stream offset where TLS was recognised

    # -- input ----------------------------------------------------------------------
    def feed(self, data: bytes, frame: int, ts_ns: int) -> list[Record]:
        if self.state == "dead":
            return []
        out: list[Record] = []
        mv = data
        if self.skip:
            k = min(self.skip, len(mv))
            self.skip -= k
            self.base += k
            mv = mv[k:]
            if not self.skip:
                self._finish_skipped(out, frame, ts_ns)
            if not mv:
                return out
        if self.skipping and not self.buf and self.state == "records" and not self.sslv2:
            mv = self._skim(mv, out, frame, ts_ns)
            if not mv:
                return out
        if self.buf:
            self.buf += mv
        else:
            self.buf = bytearray(mv)
        self._drain(out, frame, ts_ns)
        return out

    def _skim(self, data: bytes, out: list[Record], frame: int, ts_ns: int) -> bytes:
        """Hot path: walk record headers in ``data`` without copying payloads.

        Returns the bytes it could not walk (a partial header, or something that is not
        a record header, left for the general path)."""
        p, end = 0, len(data)
        while p + 5 <= end:
            n = _plausible_header(data, p)
            if n < 0:
                break
            ctype = data[p]
            if p + 5 + n > end:
                self.skip = n - (end - p - 5)
                self.skip_rec = (ctype, (data[p + 1] << 8) | data[p + 2], n, self.base + p)
                self.base += end
                return b""
            if ctype == 23:
                self.app_records += 1
                self.app_bytes += n
            else:
                out.append(Record(self.side, ctype, (data[p + 1] << 8) | data[p + 2], n, None,
                                  frame, ts_ns, self.base + p))
            p += 5 + n
        self.base += p
        return data[p:]

    def gap(self, length: int, frame: int) -> None:
        """``length`` bytes of this side were never captured."""
        if self.state == "dead":
            return
        if self.skip:
            if length < self.skip:  # the hole is inside a payload we skip anyway
                self.skip -= length
                self.base += length
                return
            length -= self.skip
            self.base += self.skip
            self.skip = 0
            self.skip_rec = None
        self.base += len(self.buf) + length
        self.buf = bytearray()
        if self.state == "records":
            self.state = "resync"
            self.searched = 0
        elif self.state == "search":
            self.midstream = True  # what follows starts mid-connection: confirm headers

    # -- parsing --------------------------------------------------------------------
    def _drain(self, out: list[Record], frame: int, ts_ns: int) -> None:
        while True:
            if self.state == "records":
                if _split is not None and not self.sslv2 and len(self.buf) >= 5:
                    # The complete, well-formed records in front, in C; what it leaves
                    # (a partial record, a bad header, ...) goes on below.
                    records, used, app_records, app_bytes = _split(
                        Record, self.buf, self.side, frame, ts_ns, self.base, self.skipping)
                    if used:
                        out.extend(records)
                        del self.buf[:used]
                        self.base += used
                        self.app_records += app_records
                        self.app_bytes += app_bytes
                if not self._next_record(out, frame, ts_ns):
                    return
            elif self.state in ("search", "resync"):
                if not self._search(frame):
                    return
            else:
                return

    def _next_record(self, out: list[Record], frame: int, ts_ns: int) -> bool:
        b = self.buf
        if len(b) < 5:
            return False
        if self.sslv2 or (b[0] & 0x80 and b[0] not in CONTENT_TYPES):
            return self._next_sslv2(out, frame, ts_ns)
        n = _plausible_header(b, 0)
        if n < 0:
            detail = f"bytes {bytes(b[:5]).hex()} are not a TLS record header"
            if b[0] in CONTENT_TYPES and b[1] == 3 and b[2] <= 4:
                n_decl = (b[3] << 8) | b[4]
                self.anomalies.append(Anomaly(
                    "tls.record.bad_length" if n_decl else "tls.record.empty",
                    f"record length {n_decl}", frame, offset=self.base))
            elif b[1] == 3 and b[2] <= 4:  # a record version, but no content type we know
                self.anomalies.append(Anomaly("tls.record.bad_type", f"content type {b[0]}; "
                                              + detail, frame, offset=self.base))
            elif b[0] in CONTENT_TYPES and b[1] <= 3:  # a content type, an odd version
                self.anomalies.append(Anomaly("tls.record.bad_version", f"record version "
                                              f"0x{b[1]:02x}{b[2]:02x}; " + detail, frame,
                                              offset=self.base))
            else:
                self.anomalies.append(Anomaly("tls.not_tls", detail, frame, offset=self.base))
            self.state = "resync"
            self.searched = 0
            del b[:1]
            self.base += 1
            return True
        ctype, version = b[0], (b[1] << 8) | b[2]
        if self.skipping:
            avail = len(b) - 5
            if avail >= n:
                if ctype == 23:
                    self._count(ctype, n)
                else:
                    out.append(Record(self.side, ctype, version, n, None, frame, ts_ns,
                                      self.base))
                del b[:5 + n]
                self.base += 5 + n
                return True
            self.skip = n - avail
            self.skip_rec = (ctype, version, n, self.base)
            self.base += len(b)
            self.buf = bytearray()
            return False
        if len(b) < 5 + n:
            return False
        out.append(Record(self.side, ctype, version, n, bytes(b[5:5 + n]), frame, ts_ns,
                          self.base))
        del b[:5 + n]
        self.base += 5 + n
        return True

    def _count(self, ctype: int, n: int) -> None:
        if ctype == 23:
            self.app_records += 1
            self.app_bytes += n

    def _finish_skipped(self, out: list[Record], frame: int, ts_ns: int) -> None:
        assert self.skip_rec is not None
        ctype, version, n, offset = self.skip_rec
        self.skip_rec = None
        if ctype == 23:
            self._count(ctype, n)
        else:
            out.append(Record(self.side, ctype, version, n, None, frame, ts_ns, offset))

    def _next_sslv2(self, out: list[Record], frame: int, ts_ns: int) -> bool:
        b = self.buf
        if b[0] & 0x80:
            n, hdr = ((b[0] & 0x7F) << 8) | b[1], 2
        else:
            n, hdr = ((b[0] & 0x3F) << 8) | b[1], 3
        if len(b) < hdr + n:
            return False
        out.append(Record(self.side, -1, 2, n, bytes(b[hdr:hdr + n]), frame, ts_ns, self.base))
        del b[:hdr + n]
        self.base += hdr + n
        return True

    def _search(self, frame: int) -> bool:
        """Find where records start in ``buf``; True when found (state -> records)."""
        b = self.buf
        start_of_stream = self.state == "search" and self.base == 0 and not self.midstream
        if start_of_stream and len(b) >= 5 and not b[0] & 0x80 and _plausible_header(b, 0) > 0:
            # The usual start: a record header at offset 0, which every branch of the
            # loop below accepts there (the SSLv2 test needs the high bit set).
            if self.found_at is None:
                self.found_at = 0
            self.state = "records"
            return True
        limit = len(b) - 5
        p = 0
        while p <= limit:
            if start_of_stream and p == 0 and _sslv2_hello_length(b, 0) > 0:
                return self._found(0, frame)
            n = _plausible_header(b, p)
            if n > 0:
                if b[p] == 22 and len(b) < p + 10 and not (p == 0 and start_of_stream):
                    # Maybe a hello whose first bytes are not here yet: keep it, wait.
                    self._discard(p)
                    return False
                if b[p] == 22 and len(b) > p + 5 and b[p + 5] in (1, 2) and (
                        p == 0 or self._hello_fits(b, p, n)):
                    return self._found(p, frame)
                if p == 0 and start_of_stream:
                    return self._found(p, frame)
                nxt = p + 5 + n
                if nxt + 5 <= len(b):
                    if _plausible_header(b, nxt) > 0:
                        return self._found(p, frame)
                elif self.state == "resync" or self.midstream:
                    # Not enough bytes to confirm with the next header: wait for more.
                    self._discard(p)
                    return False
            p += 1
        keep = max(0, len(b) - 4)
        self._discard(keep)
        self.searched += keep
        if self.searched > SEARCH_LIMIT:
            self.state = "dead"
            self.buf = bytearray()
        return False

    @staticmethod
    def _hello_fits(b: bytearray, p: int, n: int) -> bool:
        """A handshake record after plaintext must hold a hello of sane length."""
        if len(b) < p + 9:
            return False
        hs_len = (b[p + 6] << 16) | (b[p + 7] << 8) | b[p + 8]
        return 38 <= hs_len < (1 << 18) and b[p + 9 if len(b) > p + 9 else p + 1] == 3

    def _discard(self, k: int) -> None:
        if k:
            del self.buf[:k]
            self.base += k

    def _found(self, p: int, frame: int) -> bool:
        if self.state == "resync":
            self.anomalies.append(Anomaly("tcp.resync", f"records resume at stream offset "
                                          f"{self.base + p}", frame, offset=self.base + p))
        self._discard(p)
        if self.found_at is None:
            self.found_at = self.base
        self.state = "records"
        return True

    def finish(self, frame: int | None) -> None:
        """End of stream: a partial record left over is an anomaly."""
        if self.state == "records" and (self.buf or self.skip):
            left = len(self.buf) + self.skip
            self.anomalies.append(Anomaly("tls.record.truncated",
                                          f"stream ends {left} byte(s) into a record",
                                          frame, offset=self.base))
        self.buf = bytearray()
