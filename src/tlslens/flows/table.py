"""The connection table: TCP segments -> per-connection, per-side byte streams.

Connections are keyed by their 4-tuple. Sides are 0 (the initiator: the SYN's sender,
else the first packet's sender) and 1. A new SYN after FIN/RST, or with a different
initial sequence number, starts a new connection on the same 4-tuple. Consumers (the TLS
sessions) are created by a factory and told about data, gaps, resets and the end.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from tlslens.anomalies import Anomaly
from tlslens.flows.reassembly import DirectionReassembler
from tlslens.packets.types import ACK, FIN, RST, SYN, TcpSegment

#: A closed connection's entry is forgotten this long (capture time) after its close.
CLOSED_LINGER_NS = 120 * 1_000_000_000
#: How often (in segments) idle and closed entries are swept.
SWEEP_EVERY = 50_000
#: A connection silent this long (capture time) is finished and forgotten.
IDLE_TIMEOUT_NS = 600 * 1_000_000_000


class StreamConsumer(Protocol):
    def on_data(self, side: int, data: bytes, frame: int, ts_ns: int) -> None: ...
    def on_gap(self, side: int, length: int, frame: int) -> None: ...
    def on_reset(self) -> None: ...
    def on_roles(self, client_side: int) -> None: ...


class Flow:
    """One TCP connection."""

    __slots__ = (
        "anomalies",
        "closed",
        "closed_ts",
        "consumer",
        "dirs",
        "done",
        "endpoints",
        "fin",
        "first_frame",
        "first_ts",
        "index",
        "key",
        "last_frame",
        "last_ts",
        "packets",
        "rst",
        "syn_seen",
        "synack_seen",
    )

    def __init__(self, index: int, seg: TcpSegment, initiator_is_src: bool) -> None:
        self.index = index
        src, dst = (seg.src, seg.sport), (seg.dst, seg.dport)
        self.endpoints = (src, dst) if initiator_is_src else (dst, src)
        #: the canonical 4-tuple (the lower endpoint first): the table's key
        self.key = (*src, *dst) if src <= dst else (*dst, *src)
        self.syn_seen = False
        self.synack_seen = False
        self.fin = [False, False]
        self.rst = False
        self.closed = False
        self.closed_ts = 0
        self.first_frame = seg.frame
        self.last_frame = seg.frame
        self.first_ts = seg.ts_ns
        self.last_ts = seg.ts_ns
        self.anomalies: list[Anomaly] = []
        self.consumer: StreamConsumer | None = None
        self.packets = 0
        self.done = False
        self.dirs: tuple[DirectionReassembler, ...] = (self._reassembler(0),
                                                        self._reassembler(1))

    def _reassembler(self, side: int) -> DirectionReassembler:
        def data(off: int, chunk: bytes, frame: int, ts: int) -> None:
            if self.consumer is not None:
                self.consumer.on_data(side, chunk, frame, ts)

        def gap(off: int, length: int, frame: int, ts: int) -> None:
            if len(self.anomalies) < 1000:  # a flood of holes must not grow memory
                self.anomalies.append(Anomaly("tcp.gap", f"{length} bytes missing at stream "
                                              f"offset {off} of side {side}", frame,
                                              direction=str(side), offset=off))
            if self.consumer is not None:
                self.consumer.on_gap(side, length, frame)

        def anomaly(aid: str, detail: str, frame: int) -> None:
            if len(self.anomalies) < 1000:
                self.anomalies.append(Anomaly(aid, detail, frame, direction=str(side)))

        return DirectionReassembler(data, gap, anomaly)

    def release(self) -> None:
        """Drop everything but the identity of an ended connection: its entry may linger
        (to swallow stray retransmissions) and must then cost almost nothing. Its
        anomalies stay: the connection's report may be built later, in first-packet
        order, and must still carry them (the list is capped)."""
        self.consumer = None
        for d in self.dirs:
            d.forget_retained()
            d.pending.clear()
            d.pending_bytes = 0

    def side_of(self, seg: TcpSegment) -> int:
        return 0 if (seg.src, seg.sport) == self.endpoints[0] else 1

    def flush(self) -> None:
        for side in (0, 1):
            self.dirs[side].flush(self.last_frame, self.last_ts)


class Ended:
    """What the table keeps of a connection that ended with FINs or a reset while its
    entry lingers (:data:`CLOSED_LINGER_NS`): enough to swallow its stray packets
    (``done``), to tell a new connection on the same 4-tuple (``closed``) and to be swept.

    Why not the Flow itself: a dense capture keeps every connection of the last two
    minutes of capture time lingering, and a whole Flow (its lists, its anomalies) cost
    about 0.9 KiB each; the Flow now goes as soon as its report is built."""

    __slots__ = ("closed_ts", "endpoints", "index", "key")
    done = True
    closed = True

    def __init__(self, flow: Flow) -> None:
        self.endpoints = flow.endpoints
        self.index = flow.index
        self.closed_ts = flow.closed_ts
        self.key = flow.key


FlowFactory = Callable[[Flow], "StreamConsumer | None"]
FlowEnd = Callable[[Flow], None]


class FlowTable:
    """Routes segments to connections; tells ``on_end`` when each connection is over."""

    def __init__(self, factory: FlowFactory, on_end: FlowEnd) -> None:
        #: canonical 4-tuple -> its connection (an Ended once it closed, while it lingers)
        self.flows: dict[tuple[str, int, str, int], Flow | Ended] = {}
        #: directed 4-tuple (src, sport, dst, dport) -> (flow, side): both directions
        self._lookup: dict[tuple[str, int, str, int], tuple[Flow | Ended, int]] = {}
        self.factory = factory
        self.on_end = on_end
        #: Told when a connection's entries are dropped (an ended one's linger is over, or
        #: it ended without lingering): the fast lane mirrors the table's entries.
        self.on_forget: Callable[[Flow | Ended], None] | None = None
        self.count = 0
        self._since_sweep = 0
        self._swept_ns = -1  # capture time of the last sweep (or of the first segment)

    def add(self, seg: TcpSegment) -> None:
        # Hot path: one dict lookup on the directed 4-tuple gives the flow and the side
        # (no per-packet canonical key or side comparison).
        hit = self._lookup.get((seg[2], seg[4], seg[3], seg[5]))
        flags = seg[8]
        if hit is not None and not (flags & (SYN | ACK) == SYN
                                    and self._is_new_connection(hit[0], seg)):
            found, side = hit
            if isinstance(found, Ended) or found.done:
                return  # a stray packet of a connection that has ended
            flow = found
        else:
            if hit is not None:
                self._end(hit[0])
            if flags & RST and not seg.payload:
                return  # a reset for a connection we never saw: nothing to analyse
            initiator_is_src = not (flags & SYN and flags & ACK)
            if self._swept_ns < 0:
                self._swept_ns = seg.ts_ns
            flow = Flow(self.count, seg, initiator_is_src)
            self.count += 1
            self.flows[flow.key] = flow
            (a, ap), (b, bp) = flow.endpoints
            lookup = self._lookup
            lookup[(b, bp, a, ap)] = (flow, 1)
            lookup[(a, ap, b, bp)] = (flow, 0)  # second: a flow to itself is side 0
            side = 0 if (seg.src, seg.sport) == (a, ap) else 1
            flow.consumer = self.factory(flow)
        self._segment(flow, side, seg)
        self.tick(seg[1])

    def tick(self, ts_ns: int) -> None:
        """Count one segment handled (here or on the fast lane); sweep now and then."""
        self._since_sweep += 1
        if self._since_sweep >= SWEEP_EVERY or ts_ns - self._swept_ns > CLOSED_LINGER_NS:
            self._sweep(ts_ns)

    def _forget(self, flow: Flow | Ended) -> None:
        """Drop a flow's entries (canonical and both directed keys)."""
        if self.on_forget is not None:
            self.on_forget(flow)
        key = flow.key
        if self.flows.get(key) is flow:
            del self.flows[key]
        (a, ap), (b, bp) = flow.endpoints
        for k in ((a, ap, b, bp), (b, bp, a, ap)):
            hit = self._lookup.get(k)
            if hit is not None and hit[0] is flow:
                del self._lookup[k]

    @staticmethod
    def _is_new_connection(flow: Flow | Ended, seg: TcpSegment) -> bool:
        if isinstance(flow, Ended) or flow.closed or flow.rst or any(flow.fin):
            return True
        side = flow.side_of(seg)
        d = flow.dirs[side]
        return side == 0 and flow.syn_seen and d.isn is not None and \
            (seg.seq + 1) & 0xFFFFFFFF != d.isn

    def _segment(self, flow: Flow, side: int, seg: TcpSegment) -> None:
        frame, ts_ns, _src, _dst, _sp, _dp, seq, ack, flags, payload = seg
        flow.packets += 1
        flow.last_frame = frame
        flow.last_ts = ts_ns
        dirs = flow.dirs
        d = dirs[side]
        if flags & SYN:
            if flags & ACK:
                flow.synack_seen = True
            else:
                flow.syn_seen = True
            d.syn(seq)
            seq = (seq + 1) & 0xFFFFFFFF
            if flow.consumer is not None:
                flow.consumer.on_roles(0)  # side 0 is the SYN's sender by construction
        if flags & ACK:
            other = dirs[1 - side]
            if other.pending:  # nothing buffered: an ACK cannot reveal a hole
                other.acked(ack, frame, ts_ns)
        if payload:
            isn = d.isn
            if isn is not None and not d.pending and \
                    (seq - isn) & 0xFFFFFFFF == d.next & 0xFFFFFFFF:
                # The in-order segment, nothing buffered: what d.segment() would do.
                n = len(payload)
                d.next += n
                d.delivered += n
                if d.compare:
                    d.retain(payload)
                # (else nothing is retained: compare is only ever turned off below, and
                # that empties the retained bytes)
                consumer = flow.consumer
                if consumer is not None:
                    consumer.on_data(side, payload, frame, ts_ns)
            else:
                d.segment(seq, payload, frame, ts_ns)
            if d.compare and getattr(flow.consumer, "handshake_done", False):
                # Past the handshake nobody looks at retransmitted bytes: stop keeping them.
                for x in dirs:
                    x.compare = False
                    x.forget_retained()
        if flags & FIN:
            flow.fin[side] = True
        if flags & RST:
            flow.rst = True
            if flow.consumer is not None:
                flow.consumer.on_reset()
        if ((flow.fin[0] and flow.fin[1]) or flow.rst) and not flow.closed:
            self.close(flow, seg.ts_ns)

    def close(self, flow: Flow, ts_ns: int) -> None:
        """Both FINs (or a reset) are in: the connection is over. The last step of
        :meth:`_segment`; the compiled walk calls it for the closing FIN it takes (its
        counters and ``fin`` already moved)."""
        flow.closed = True
        flow.closed_ts = ts_ns
        self._finish(flow)
        self._entomb(flow)

    def _finish(self, flow: Flow | Ended) -> None:
        """The connection is over: flush and hand it on (its entry lingers for strays)."""
        if isinstance(flow, Ended) or flow.done:
            return
        flow.flush()
        flow.done = True
        self.on_end(flow)
        flow.release()
        # The reassemblers' callbacks refer back to the flow: a cycle only the cyclic GC
        # frees, late, so memory grew with the number of connections. Cut it.
        flow.dirs = ()

    def _entomb(self, flow: Flow) -> None:
        """Let an :class:`Ended` linger in ``flow``'s entries instead of the flow."""
        ended = Ended(flow)
        key, flows, lookup = flow.key, self.flows, self._lookup
        if flows.get(key) is flow:
            flows[key] = ended
        (a, ap), (b, bp) = flow.endpoints
        k = (a, ap, b, bp)
        hit = lookup.get(k)
        if hit is not None and hit[0] is flow:
            lookup[k] = (ended, hit[1])
        k = (b, bp, a, ap)
        hit = lookup.get(k)
        if hit is not None and hit[0] is flow:
            lookup[k] = (ended, hit[1])

    def _end(self, flow: Flow | Ended) -> None:
        self._finish(flow)
        self._forget(flow)

    def _sweep(self, now_ns: int) -> None:
        self._since_sweep = 0
        self._swept_ns = now_ns
        # Every lingering connection is visited (tens of thousands on a dense capture):
        # the limits are computed once.
        expired = now_ns - CLOSED_LINGER_NS  # closed before this: forgotten
        idle = now_ns - IDLE_TIMEOUT_NS  # nothing seen since this: ended
        for flow in list(self.flows.values()):
            if isinstance(flow, Ended) or flow.done:
                if flow.closed_ts < expired:
                    self._forget(flow)
            elif flow.last_ts < idle:
                self._end(flow)

    def finish(self) -> None:
        """End of capture: every open connection ends, in order of their first packet.
        (Only the open ones are sorted: on a dense capture most entries are ended ones
        lingering, 16,650 of them at the end of the issue-9 capture.)"""
        still_open = [flow for flow in self.flows.values() if not isinstance(flow, Ended)]
        for flow in sorted(still_open, key=lambda f: f.index):
            self._finish(flow)
        self.flows.clear()
        self._lookup.clear()
