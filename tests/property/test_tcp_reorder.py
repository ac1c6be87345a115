"""TCP reordering: any order of a real connection's data segments, with any
retransmissions, reassembles to the recorded bytes without anomalies."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.tlsbytes import tcp_segments, tls12
from tlslens.flows.reassembly import DirectionReassembler


@settings(max_examples=80, deadline=None)
@given(data=st.data(), mss=st.integers(20, 600))
def test_any_order_with_duplicates(data: st.DataObject, mss: int) -> None:
    rec = tls12()
    segs = [s for s in tcp_segments(rec.flights, mss=mss) if s.side == 1 and s.payload]
    order = data.draw(st.permutations(segs))
    dups = data.draw(st.lists(st.sampled_from(segs), max_size=10))
    got = bytearray()
    anomalies: list[str] = []
    r = DirectionReassembler(lambda off, d, f, t: got.extend(d),
                             lambda *a: anomalies.append("gap"),
                             lambda aid, detail, frame: anomalies.append(aid))
    r.syn(5000)
    for i, s in enumerate([*order, *dups]):
        r.segment(s.seq, s.payload, i, 0)
    r.flush(0, 0)
    assert bytes(got) == rec.stream(1) and not anomalies
