"""The fast lane: the plain packets of known connections, taken before decoding.

Most packets of a big capture only move a connection's stream forward: the next bytes in
order, or an acknowledgement. Going through the general path for them (decode the frame
into a TcpSegment, look the connection up by address text, hand it to the reassembler)
costs several microseconds a packet.

The lane keys every connection by the raw bytes of its addresses and ports, as they sit
in an Ethernet + IPv4 (no options) or Ethernet + IPv6 (no extension headers) frame, so
one slice and one dict lookup find it. A packet is taken only when it is exactly the case
the general path would handle with no side effect beyond the connection's own state: a
well-formed header of that shape, no RST, the next in-order bytes with nothing buffered
out of order, the SYN/ACK that answers the connection's SYN, or the first of its two FINs
(both without data). The lane then does what the connection table does for it and hands
the bytes to the consumer (the TLS session), so the results are the same, byte for byte
(tests/unit/flows/test_lane.py runs whole captures both ways). Anything else (a
connection's first packet, the FIN or reset that ends it, retransmissions, holes, other
link types, IP options, fragments, tunnels) goes the general way: ending a connection
there lets the pipeline hand it out at once.

An ended connection's entries stay while the connection table lets it linger (to swallow
stray packets, :data:`tlslens.flows.table.CLOSED_LINGER_NS`), marked :data:`_ENDED`: the
lane drops its strays as the table would (the last ACK of every closing handshake, a
third of the packets the general path saw on the issue-9 benchmark) and leaves a SYN,
which may open a new connection on the same 4-tuple, to the general path. The table
tells the lane when it forgets the connection (``FlowTable.on_forget``).

Once a connection's handshake is over, the TLS session skips record payloads cheaply on
its own; for ``tlslens fingerprint`` (``mute``) the session needs nothing more once the
hellos are in, and the lane then keeps only the TCP state (:meth:`FastLane.quiet`).

The lane also remembers the connections of other shards (``analyze --jobs``): their
packets are dropped after the same header check, without decoding.

The same decisions are taken in C when the optional extension ``tlslens.flows._fastscan``
is built (:meth:`FastLane.walker`, ``COMPILED``), on pcap and pcapng files: the record
walk and the lane for every packet, Python only for the bytes a session must parse
(:meth:`FastLane.deliver`) and for the general path. Through a file's memory map the
compiled walk also takes the FIN that ends a connection (``FlowTable.close`` then ends
it): nobody waits there for the connection to come out before the next packet is read,
as a live capture's reader does. The Python objects stay the only state, so the two
lanes mix packet by packet; the tests run every capture with the lane off, in Python
and compiled, and compare the reports.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tlslens.flows import table as _table
from tlslens.packets.tcp import FLAG_MASK
from tlslens.packets.types import ACK, FIN, RST, SYN

_Scanner: type[Scanner] | None
claim: Callable[[Any, int, int], bool] | None
try:  # the optional compiled walk (src/tlslens/flows/_fastscan.c)
    from tlslens.flows._fastscan import Scanner as _Scanner
    from tlslens.flows._fastscan import claim
except ImportError:  # not built (no compiler at install time): the Python lane does it all
    _Scanner = None
    claim = None  # and shards are fixed by hash (tlslens.parallel makes no claim table)

if TYPE_CHECKING:
    from tlslens.capture.reader import Walker
    from tlslens.flows._fastscan import Scanner
    from tlslens.flows.table import Ended, Flow, FlowTable
    from tlslens.packets.types import TcpSegment

#: Whether the compiled walk is available in this installation.
COMPILED = _Scanner is not None

#: Entries for other shards' connections are a cache: past this many it starts over.
MAX_IGNORED = 1 << 17
_MASK32 = 0xFFFFFFFF
_IGNORE: tuple[None, int, bool] = (None, 0, True)
#: The entry of an ended connection while the table lets it linger (the compiled walk
#: knows it by its Ellipsis): its packets are dropped, but for a SYN (a new connection?).
_ENDED: tuple[Any, int, bool] = (..., 0, True)
# Only the fields the lane reads, at the offsets of Ethernet + IPv4 without options +
# TCP (version/IHL, total length, flags/fragment offset, protocol, sequence number, data
# offset/flags) and of Ethernet + IPv6 + TCP (version, payload length, next header,
# sequence number, data offset/flags): fewer objects made per packet than a full unpack.
_V4 = struct.Struct("!14xBxH2xHxB14xI4xH")
_V6 = struct.Struct("!14xB3xHB37xI4xH")


def _raw_key(addr: str, port: int, peer: str, peer_port: int) -> bytes | None:
    """The lane key of one direction (source, destination, ports as in the frame)."""
    try:
        if ":" in addr:
            a, b = socket.inet_pton(socket.AF_INET6, addr), socket.inet_pton(socket.AF_INET6,
                                                                             peer)
        else:
            a, b = socket.inet_aton(addr), socket.inet_aton(peer)
    except OSError:
        return None
    if len(a) != len(b):
        return None
    return a + b + port.to_bytes(2, "big") + peer_port.to_bytes(2, "big")


class FastLane:
    """Raw-key shortcut for the connections of one :class:`FlowTable`.

    ``mute``: once :meth:`quiet` says so, the consumer needs no more bytes of a
    connection (``tlslens fingerprint``, once the hellos are in): the lane then keeps
    only its TCP state.
    """

    def __init__(self, table: FlowTable, mute: bool = False,
                 skimming: type | None = None, shard: tuple[int, int] | None = None,
                 claims: Any = None) -> None:
        self.table = table
        self.mute = mute
        #: (k, n): this run analyses shard k of n (the pipeline's Options.shard); the
        #: compiled walk drops the other shards' packets itself, by the same hash.
        self.shard = shard
        #: The workers' claim table, with ``shard`` (tlslens.pipeline.Options.claims).
        self.claims = claims
        #: The consumer type (tlslens.tls.session.TlsSession) whose payload skipping the
        #: compiled walk may do itself; None: no compiled walk.
        self.skimming = skimming
        #: raw key -> (flow, side, muted), or (None, 0, True) for another shard's connection
        self.entries: dict[bytes, tuple[Flow | None, int, bool]] = {}
        #: flow index -> its two keys (forget needs no re-encoding)
        self.admitted: dict[int, tuple[bytes, bytes]] = {}
        self.ignored = 0
        table.on_forget = self.forgotten

    def admit(self, flow: Flow) -> None:
        """A new connection: take its plain packets on the lane from now on."""
        (a, ap), (b, bp) = flow.endpoints
        k0, k1 = _raw_key(a, ap, b, bp), _raw_key(b, bp, a, ap)
        if k0 is None or k1 is None or k0 == k1:
            return  # not an IP address pair (or a connection to itself): general path
        self.entries[k0] = (flow, 0, False)
        self.entries[k1] = (flow, 1, False)
        self.admitted[flow.index] = (k0, k1)

    def quiet(self, flow: Flow) -> None:
        """The consumer is done with ``flow``'s bytes (its hellos are in, ``mute``
        only): from now on the lane keeps the TCP state and delivers nothing."""
        keys = self.admitted.get(flow.index)
        if not self.mute or keys is None:
            return
        for d in flow.dirs:  # nobody looks at these bytes again: no compare copies
            d.compare = False
            d.forget_retained()
        self.entries[keys[0]] = (flow, 0, True)
        self.entries[keys[1]] = (flow, 1, True)

    def forget(self, flow: Flow) -> None:
        """``flow`` ended: its strays are dropped here, a SYN on its 4-tuple goes the
        general way, until the table forgets it (:meth:`forgotten`)."""
        keys = self.admitted.pop(flow.index, None)
        if keys is not None:
            for key in keys:
                if self.entries.get(key, _IGNORE)[0] is flow:
                    self.entries[key] = _ENDED

    def forgotten(self, flow: Flow | Ended) -> None:
        """The table dropped ``flow``'s entries: so does the lane (a packet on its 4-tuple
        now goes the general way, where it may start a connection). The keys are made
        again, not kept: this runs once per connection, and some 20,000 connections
        linger at a time on the issue-9 capture. An _ENDED entry of these keys can only
        be this connection's: the table keeps one connection per 4-tuple."""
        (a, ap), (b, bp) = flow.endpoints
        for key in (_raw_key(a, ap, b, bp), _raw_key(b, bp, a, ap)):
            if key is not None and self.entries.get(key) is _ENDED:
                del self.entries[key]

    def ignore(self, seg: TcpSegment) -> None:
        """``seg``'s connection belongs to another shard: drop its packets early."""
        key = _raw_key(seg[2], seg[4], seg[3], seg[5])
        if key is None or key in self.entries:
            return
        if self.ignored >= MAX_IGNORED:
            keep = {k: v for k, v in self.entries.items() if v[0] is not None}
            self.entries.clear()  # the same dict: the compiled walk holds it
            self.entries.update(keep)
            self.ignored = 0
        reverse = _raw_key(seg[3], seg[5], seg[2], seg[4])
        self.entries[key] = _IGNORE
        if reverse is not None:
            self.entries[reverse] = _IGNORE
        self.ignored += 2

    def walker(self) -> Walker | None:
        """The compiled walk over the capture's buffers, taking what :meth:`take` would
        (the capture reader's ``walker`` hook); None when it is not built or not asked
        for. It reads and writes the same Python state as :meth:`take`, so the two mix
        freely, packet by packet."""
        if _Scanner is None or self.skimming is None:
            return None
        k, n = self.shard if self.shard is not None else (0, 1)
        return _Scanner(self.entries, self.table, self.skimming, self.deliver, self.synack,
                        _table.SWEEP_EVERY, _table.CLOSED_LINGER_NS, k, n, self.claims,
                        close=self.table.close)

    def take(self, data: bytes, frame: int, ts_ns: int) -> bool:
        """Handle this Ethernet frame here; False: it goes the general way.

        The capture reader's prefilter: called before a CaptureItem is made."""
        n_data = len(data)
        if n_data < 54 or data.__class__ is not bytes:
            return False
        if data[12] == 8 and data[13] == 0:
            hit = self.entries.get(data[26:38])
            if hit is None:
                return False
            vhl, total, frag, proto, seq, offflags = _V4.unpack_from(data)
            if vhl != 0x45 or proto != 6 or frag & 0x3FFF or not 40 <= total <= n_data - 14:
                return False
            hl = (offflags >> 12) << 2
            if not 20 <= hl <= total - 20:
                return False
            start, stop = 34 + hl, 14 + total
        elif data[12] == 0x86 and data[13] == 0xDD and n_data >= 74:
            hit = self.entries.get(data[22:58])
            if hit is None:
                return False
            version, plen, nh, seq, offflags = _V6.unpack_from(data)
            if nh != 6 or not 20 <= plen <= n_data - 54 or version >> 4 != 6:
                return False
            hl = (offflags >> 12) << 2
            if not 20 <= hl <= plen:
                return False
            start, stop = 54 + hl, 54 + plen
        else:
            return False
        flow, side, muted = hit
        if flow is None:
            return True  # another shard's connection
        flags = offflags & FLAG_MASK
        if flow is ...:  # an ended connection's stray, dropped (a SYN: the general way)
            return flags & (SYN | ACK) != SYN
        if flags & SYN:
            return self._synack(flow, side, flags, seq, stop - start, frame, ts_ns)
        if flags & RST or flow.done:
            return False
        dirs = flow.dirs
        d = dirs[side]
        isn = d.isn
        if d.pending or isn is None or (flags & ACK and dirs[1 - side].pending):
            return False
        n = stop - start
        fin = flags & FIN
        if fin and (n or flow.fin[1 - side] or flow.rst):
            # A FIN with data, or the one that ends the connection: the general path
            # (which hands the ended connection out of the pipeline's loop at once).
            return False
        if n and (seq - isn) & _MASK32 != d.next & _MASK32:
            return False
        # What FlowTable.add does for such a segment, in the same order.
        flow.packets += 1
        flow.last_frame = frame
        flow.last_ts = ts_ns
        if n:
            d.next += n
            d.delivered += n
            if not muted:
                self.deliver(flow, side, data[start:stop], frame, ts_ns)
        if fin:
            flow.fin[side] = True  # (the connection goes on: the other side's is to come)
        self.table.tick(ts_ns)
        return True

    def _synack(self, flow: Flow, side: int, flags: int, seq: int, n: int, frame: int,
                ts_ns: int) -> bool:
        """A SYN/ACK without data of a known connection (the answer to the SYN that made
        it): what FlowTable.add does for it. Anything else with SYN (a new connection, a
        SYN with data, FIN or RST) goes the general way."""
        if not flags & ACK or flags & (FIN | RST) or n or flow.done:
            return False
        dirs = flow.dirs
        if dirs[0].pending or dirs[1].pending:
            return False
        flow.packets += 1
        flow.last_frame = frame
        flow.last_ts = ts_ns
        self.synack(flow, side, seq)
        self.table.tick(ts_ns)
        return True

    @staticmethod
    def synack(flow: Flow, side: int, seq: int) -> None:
        """A SYN/ACK's own effects, its counters moved (FlowTable._segment's SYN branch);
        the compiled walk calls this too."""
        flow.synack_seen = True
        flow.dirs[side].syn(seq)
        if flow.consumer is not None:
            flow.consumer.on_roles(0)  # side 0 is the SYN's sender by construction

    @staticmethod
    def deliver(flow: Flow, side: int, payload: bytes, frame: int, ts_ns: int) -> None:
        """Hand ``side``'s next in-order bytes to the consumer, as the connection table
        does (its counters already moved on). The compiled walk calls this too, for the
        bytes the session must read itself."""
        d = flow.dirs[side]
        if d.compare:
            d.retain(payload)
        consumer = flow.consumer
        if consumer is not None:
            consumer.on_data(side, payload, frame, ts_ns)
        if d.compare and getattr(consumer, "handshake_done", False):
            for x in flow.dirs:  # past the handshake: no retransmission comparison
                x.compare = False
                x.forget_retained()
