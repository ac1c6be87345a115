"""The compiled walk, the Python lane and the general path give the same report for any
interleaving of several connections with any disturbance (hypothesis).

Three connections (TLS 1.2, TLS 1.3, TLS 1.2 again on a reused 4-tuple after the first
ended) with application data after the handshake, interleaved in a drawn order, then
disturbed: segments dropped, duplicated, swapped, cut short, flags turned into FIN or
RST, bytes flipped. Every such capture must give the same JSON report and fingerprints
whichever way its packets go (tests/unit/flows/test_lane.py: ``WAYS``).
"""

from __future__ import annotations

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from tests import pcapwriter as pw
from tests.tlsbytes import Seg, frame_of, tcp_segments, tls12, tls13
from tests.unit.flows.test_lane import _with_app_data, assert_same_with_and_without_lane

_PORTS = ((40001, 443), (40002, 8443), (40001, 443))


def _connections() -> list[list[tuple[Seg, tuple[int, int]]]]:
    out = []
    for i, (make, size) in enumerate(((tls12, 30_000), (tls13, 20_000), (tls12, 10_000))):
        segs = tcp_segments(_with_app_data(make().flights, size), mss=1200,
                            isn=(1000 + 77_777 * i, 5000 + 99_999 * i))
        out.append([(s, _PORTS[i]) for s in segs])
    return out


_CONNECTIONS = _connections()


@st.composite
def captures(draw: st.DrawFn) -> bytes:
    rnd = random.Random(draw(st.integers(0, 2**32 - 1)))
    # interleave: the third connection (same 4-tuple as the first) starts after the first
    queues = [list(c) for c in _CONNECTIONS]
    packets: list[tuple[Seg, tuple[int, int]]] = []
    while any(queues):
        live = [i for i, q in enumerate(queues) if q and (i != 2 or not queues[0])]
        i = rnd.choice(live)
        packets.append(queues[i].pop(0))
    for _ in range(draw(st.integers(0, 6))):
        k = rnd.randrange(len(packets))
        seg, ports = packets[k]
        how = draw(st.sampled_from(["drop", "dup", "swap", "cut", "fin", "rst", "flip"]))
        if how == "drop":
            del packets[k]
        elif how == "dup":
            packets.insert(min(len(packets), k + rnd.randrange(1, 5)), packets[k])
        elif how == "swap" and k + 1 < len(packets):
            packets[k], packets[k + 1] = packets[k + 1], packets[k]
        elif how == "cut" and seg.payload:
            packets[k] = (seg._replace(payload=seg.payload[:rnd.randrange(len(seg.payload))]),
                          ports)
        elif how == "fin":
            packets[k] = (seg._replace(flags=seg.flags | pw.FIN), ports)
        elif how == "rst":
            packets[k] = (seg._replace(flags=pw.RST | pw.ACK), ports)
        elif how == "flip" and seg.payload:
            data = bytearray(seg.payload)
            data[rnd.randrange(len(data))] ^= 1 << rnd.randrange(8)
            packets[k] = (seg._replace(payload=bytes(data)), ports)
    return pw.pcap_bytes(frame_of(s, ports) for s, ports in packets)


@settings(max_examples=40, deadline=None)
@given(capture=captures())
def test_every_way_gives_the_same_report(capture: bytes) -> None:
    assert_same_with_and_without_lane(capture)
