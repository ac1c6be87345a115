"""The per-packet fast paths (issue 9) give what the general paths give.

The connection table delivers an in-order segment without the reassembler's general path,
finds flows by their directed 4-tuple, the reassembler keeps its retained tail in a
bytearray trimmed in bulk, and a TLS session skips a chunk that lies inside a skipped
record payload without the record layer. Each case checks the observable result: bytes,
anomalies, record counts.
"""

from __future__ import annotations

import io
import random
import ssl

from tests import pcapwriter as pw
from tests.tlsbytes import Pair, Seg, pcap_of, plain_records, tcp_segments
from tests.unit.flows.test_table import run_table
from tlslens import analyze
from tlslens.flows import reassembly
from tlslens.flows.reassembly import DirectionReassembler
from tlslens.flows.table import FlowTable
from tlslens.packets.types import TcpSegment


def test_retained_is_the_stream_tail_after_deliveries_of_every_size() -> None:
    rnd = random.Random(9)
    stream = rnd.randbytes(400_000)
    r = DirectionReassembler(lambda *a: None, lambda *a: None, lambda *a: None)
    r.syn(999)
    pos = 0
    while pos < len(stream):
        n = rnd.choice([1, 300, 1460, 9000, reassembly.RETAIN, 40_000])
        r.segment(1000 + pos, stream[pos:pos + n], 1, 1)
        pos = min(len(stream), pos + n)
        assert r.retained == stream[max(0, pos - reassembly.RETAIN):pos]


def test_overlap_mismatch_seen_within_the_retained_tail_only() -> None:
    data = random.Random(1).randbytes(60_000)
    segs = tcp_segments([(0, data)], mss=1000, fin=False)
    first = next(i for i, s in enumerate(segs) if s.payload)
    recent = segs[first + 55]  # stream offset 55,000: inside the last 16 KiB
    old = segs[first + 2]  # stream offset 2,000: long forgotten
    changed = [s._replace(payload=b"X" + s.payload[1:]) for s in (recent, old)]
    [(_flow, c)] = run_table(segs + changed)
    assert bytes(c.data[0]) == data  # the copies changed nothing delivered
    assert [(a.id, a.detail) for a in c.anomalies] == [
        ("tcp.overlap_mismatch", "1000 retransmitted bytes at stream offset 55000 differ")]


def test_a_connection_to_itself_is_one_flow_of_side_0() -> None:
    seen: list[tuple[int, bytes]] = []

    class Sink:
        def on_data(self, side: int, data: bytes, frame: int, ts_ns: int) -> None:
            seen.append((side, bytes(data)))

        def on_gap(self, side: int, length: int, frame: int) -> None: ...
        def on_reset(self) -> None: ...
        def on_roles(self, client_side: int) -> None: ...

    table = FlowTable(lambda flow: Sink(), lambda flow: None)
    for i, payload in enumerate([b"", b"abc", b"def"]):
        table.add(TcpSegment(i + 1, i, "10.0.0.1", "10.0.0.1", 7, 7, 100 + 3 * i, 0,
                             pw.ACK, payload))
    assert table.count == 1 and seen == [(0, b"abc"), (0, b"def")]


def test_skipped_application_data_cut_into_small_segments_is_counted_exactly() -> None:
    big = random.Random(2).randbytes(16_000)  # one full record (the helper reads one)
    rec = Pair(version=ssl.TLSVersion.TLSv1_2).handshake(app=(b"GET /big", big),
                                                         close=False)
    segs: list[Seg] = tcp_segments(rec.flights, mss=700)
    [conn] = analyze(io.BytesIO(pcap_of(segs))).connections
    app = [len(f) for t, _v, f in plain_records(rec.stream(1)) if t == 23]
    assert conn.state == "complete" and not [a.id for a in conn.anomalies]
    assert conn.app_data["server"] == (len(app), sum(app)) and sum(app) > 16_000
    # the same capture cut inside the last record: the record layer says so
    last = max(i for i, s in enumerate(segs) if s.payload)
    cut = segs[:last - 5]
    [conn] = analyze(io.BytesIO(pcap_of(cut))).connections
    assert "tls.record.truncated" in [a.id for a in conn.anomalies]
