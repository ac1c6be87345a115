"""TCP reassembly for one direction: segments in any order -> in-order bytes and gaps.

Handles out-of-order, retransmitted and overlapping segments (an anomaly when the
overlapping bytes differ), missing data (a gap, reported when the peer acknowledges
past it, when too much is buffered, or at the end), captures that start mid-connection
and 32-bit sequence wrap-around. Sequence numbers are turned into 64-bit stream offsets
relative to the first byte, so comparisons never wrap.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

#: Out-of-order bytes buffered per direction before the oldest hole is declared lost.
MAX_BUFFERED = 4 * 1024 * 1024
#: Out-of-order segments buffered per direction: a flood of tiny segments is bounded by
#: count, not only by bytes. Past either limit, holes are declared lost until the buffer
#: is half empty, so a hostile stream costs O(log n) per segment, never O(n).
MAX_PENDING_SEGMENTS = 10_000
#: Delivered bytes kept to compare retransmissions with (only while it matters).
RETAIN = 16 * 1024
#: Retained bytes may grow this far past RETAIN before they are trimmed back.
RETAIN_SLACK = 8 * 1024
#: A first data segment this far from the SYN's sequence number means the SYN lied
#: (several SYN/ACKs with different ISNs): restart the stream there.
RESYNC_DISTANCE = 1 << 24

DataSink = Callable[[int, bytes, int, int], None]  # offset, data, frame, ts_ns
GapSink = Callable[[int, int, int, int], None]  # offset, length, frame, ts_ns
AnomalySink = Callable[[str, str, int], None]  # id, detail, frame


class DirectionReassembler:
    """Bytes of one direction of one TCP connection."""

    __slots__ = ("_ret", "compare", "delivered", "fin", "isn", "next", "on_anomaly",
                 "on_data", "on_gap", "order", "pending", "pending_bytes")

    def __init__(self, on_data: DataSink, on_gap: GapSink, on_anomaly: AnomalySink) -> None:
        self.isn: int | None = None  # sequence number of stream offset 0
        self.next = 0  # next expected stream offset
        self.pending: dict[int, tuple[bytes, int, int]] = {}  # offset -> (data, frame, ts)
        self.pending_bytes = 0
        self.order: list[int] = []  # heap of the offsets in pending (each once)
        #: the last delivered bytes, ending at self.next; may hold up to RETAIN_SLACK more
        #: than RETAIN (trimmed in bulk, so appending costs O(1) per byte): read
        #: ``retained``
        self._ret = bytearray()
        self.on_data = on_data
        self.on_gap = on_gap
        self.on_anomaly = on_anomaly
        self.delivered = 0
        self.compare = True  # keep bytes to compare retransmissions (off on the fast path)
        self.fin = False

    @property
    def retained(self) -> bytes:
        """The last delivered bytes (at most RETAIN), ending at ``next``."""
        return bytes(self._ret[-RETAIN:])

    @retained.setter
    def retained(self, value: bytes) -> None:
        self._ret = bytearray(value[-RETAIN:])

    def forget_retained(self) -> None:
        """Drop the retained bytes (what ``retained = b""`` does, without the property's
        call and a new buffer: four times a connection)."""
        self._ret.clear()

    def retain(self, data: bytes | memoryview) -> None:
        """Keep ``data`` (just delivered) at the end of the retained bytes."""
        if len(data) >= RETAIN:
            self._ret = bytearray(data[-RETAIN:])
            return
        ret = self._ret
        ret += data
        if len(ret) > RETAIN + RETAIN_SLACK:
            del ret[:len(ret) - RETAIN]

    def syn(self, seq: int) -> None:
        if self.isn is None or self.delivered == 0:
            self.isn = (seq + 1) & 0xFFFFFFFF
            self.next = 0

    def _offset(self, seq: int) -> int:
        """64-bit stream offset of a 32-bit sequence number, nearest to ``next``."""
        assert self.isn is not None
        rel = (seq - self.isn) & 0xFFFFFFFF
        base = self.next & ~0xFFFFFFFF
        off = base + rel
        if off - self.next > 0x80000000:
            off -= 1 << 32
        elif self.next - off > 0x80000000:
            off += 1 << 32
        return off

    def segment(self, seq: int, data: bytes, frame: int, ts_ns: int) -> None:
        if self.isn is None:
            self.isn = seq
        off = self._offset(seq)
        if self.delivered == 0 and not self.pending and abs(off - self.next) > RESYNC_DISTANCE:
            self.isn, off = seq, 0
            self.next = 0
        end = off + len(data)
        nxt = self.next
        if end <= nxt:  # entirely old: a retransmission
            self._compare(off, data, frame)
            return
        if off < nxt:  # partly old
            self._compare(off, data[:nxt - off], frame)
            data = data[nxt - off:]
            off = nxt
        if off == nxt:
            self._deliver(data, frame, ts_ns)
            if self.pending:
                self._drain()
            return
        self._store(off, data, frame, ts_ns)

    def _compare(self, off: int, data: bytes, frame: int) -> None:
        ret = self.retained
        start = self.next - len(ret)
        lo = max(off, start)
        hi = min(off + len(data), self.next)
        if hi > lo and data[lo - off:hi - off] != ret[lo - start:hi - start]:
            self.on_anomaly("tcp.overlap_mismatch",
                            f"{hi - lo} retransmitted bytes at stream offset {lo} differ",
                            frame)

    def _deliver(self, data: bytes, frame: int, ts_ns: int) -> None:
        if not data:
            return
        off = self.next
        self.next = off + len(data)
        self.delivered += len(data)
        if self.compare:
            self.retain(data)
        elif self._ret:
            self._ret = bytearray()
        self.on_data(off, data, frame, ts_ns)

    def _store(self, off: int, data: bytes, frame: int, ts_ns: int) -> None:
        old = self.pending.get(off)
        if old is not None:
            if len(old[0]) >= len(data):
                n = len(data)
                if old[0][:n] != data:
                    self.on_anomaly("tcp.overlap_mismatch",
                                    f"two copies of stream offset {off} differ", frame)
                return
            self.pending_bytes -= len(old[0])
        else:
            heapq.heappush(self.order, off)
        self.pending[off] = (bytes(data), frame, ts_ns)
        self.pending_bytes += len(data)
        if self.pending_bytes > MAX_BUFFERED or len(self.pending) > MAX_PENDING_SEGMENTS:
            self.on_anomaly("tcp.buffer_limit",
                            f"{self.pending_bytes} out-of-order bytes in {len(self.pending)} "
                            "segments buffered", frame)
            while self.pending and (self.pending_bytes > MAX_BUFFERED // 2
                                    or len(self.pending) > MAX_PENDING_SEGMENTS // 2):
                self.skip_to_pending(frame, ts_ns)

    def _drain(self) -> None:
        """Deliver buffered segments that are now in order."""
        order = self.order
        while order:
            first = order[0]
            if first > self.next:
                return
            heapq.heappop(order)
            data, frame, ts_ns = self.pending.pop(first)
            self.pending_bytes -= len(data)
            end = first + len(data)
            if end <= self.next:
                self._compare(first, data, frame)
                continue
            if first < self.next:
                self._compare(first, data[:self.next - first], frame)
                data = data[self.next - first:]
            self._deliver(data, frame, ts_ns)

    def skip_to_pending(self, frame: int, ts_ns: int) -> None:
        """Declare the hole before the first buffered segment lost, and go on."""
        if not self.pending:
            return
        first = self.order[0]
        if first > self.next:
            self.on_gap(self.next, first - self.next, frame, ts_ns)
            self.next = first
            self.forget_retained()
        self._drain()

    def acked(self, ack: int, frame: int, ts_ns: int) -> None:
        """The peer acknowledged up to ``ack``: bytes before it that we lack are lost."""
        if self.isn is None or not self.pending:
            return
        off = self._offset(ack)
        if off > self.next and self.order[0] <= off:
            self.skip_to_pending(frame, ts_ns)

    def flush(self, frame: int, ts_ns: int) -> None:
        """End of the connection or capture: deliver what can be, report holes."""
        while self.pending:
            self.skip_to_pending(frame, ts_ns)
