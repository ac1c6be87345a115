"""Chunking invariance (h11-style): however the bytes of a real handshake are cut, the
record layer gives the same records and the session the same ladder and state."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.tlsbytes import Recording, plain_records, tls12, tls13, tls13_hrr
from tlslens.tls.records import RecordStream
from tlslens.tls.session import TlsSession

RECORDINGS = {"tls12": tls12, "tls13": tls13, "hrr": tls13_hrr}


def cuts_for(data: bytes) -> st.SearchStrategy[list[int]]:
    return st.lists(st.integers(1, len(data) - 1), max_size=60, unique=True).map(sorted)


def pieces(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0, *cuts, len(data)]
    return [data[bounds[i]:bounds[i + 1]] for i in range(len(bounds) - 1)]


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(RECORDINGS)), side=st.sampled_from([0, 1]),
       data=st.data())
def test_records_do_not_depend_on_chunking(name: str, side: int, data: st.DataObject) -> None:
    stream = RECORDINGS[name]().stream(side)
    cuts = data.draw(cuts_for(stream))
    rs = RecordStream(side)
    out = []
    for i, piece in enumerate(pieces(stream, cuts)):
        out += rs.feed(piece, i, 0)
    rs.finish(None)
    assert [(r.content_type, r.version, r.fragment) for r in out] == plain_records(stream)
    assert not rs.anomalies


def ladder(rec: Recording, cuts: tuple[list[int], list[int]], skip: bool
           ) -> tuple[list[tuple[int, str, int]], bool, tuple[tuple[int, int], ...]]:
    """Feed each flight in pieces (cut positions are taken modulo the flight length)."""
    s = TlsSession(client_side=0, skip_after_handshake=skip)
    for side, flight in rec.flights:
        inner = sorted({c % len(flight) for c in cuts[side] if c % len(flight)})
        for piece in pieces(flight, inner):
            s.on_data(side, piece, 0, 0)
    s.finish(None)
    return ([(e.side, e.type, e.length) for e in s.state.entries], s.complete,
            (s.application_data(0), s.application_data(1)))


@settings(max_examples=40, deadline=None)
@given(name=st.sampled_from(sorted(RECORDINGS)),
       cuts0=st.lists(st.integers(1, 2000), max_size=20),
       cuts1=st.lists(st.integers(1, 2000), max_size=20), skip=st.booleans())
def test_session_does_not_depend_on_chunking(name: str, cuts0: list[int], cuts1: list[int],
                                             skip: bool) -> None:
    rec = RECORDINGS[name]()
    assert ladder(rec, (cuts0, cuts1), skip) == ladder(rec, ([], []), False)
