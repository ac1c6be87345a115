"""The compiled hand-over of whole records (tls/_fastsession.c) leaves a session exactly as
:meth:`TlsSession.on_data`'s Python path leaves it: real handshakes (OpenSSL on both ends,
tests/tlsbytes.py) fed in packets cut at record boundaries and at random places, with odd
records mixed in, and every fixture and corpus capture's whole report.
"""

from __future__ import annotations

import random
import ssl
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest

from tests.tlsbytes import Pair, Recording, plain_records, tls12, tls13, tls13_hrr
from tlslens.tls import session as session_module
from tlslens.tls.session import TlsSession

pytestmark = pytest.mark.skipif(not session_module.COMPILED,
                                reason="tlslens.tls._fastsession is not built")


@cache
def _recordings() -> dict[str, Recording]:
    resume = Pair(version=ssl.TLSVersion.TLSv1_2)
    first12 = resume.handshake()
    resume13 = Pair()
    first13 = resume13.handshake()
    return {
        "tls12": tls12(), "tls13": tls13(), "hrr": tls13_hrr(),
        "tls12-mtls": Pair(version=ssl.TLSVersion.TLSv1_2, client_cert=True).handshake(),
        "tls13-mtls": Pair(client_cert=True).handshake(),
        "tls12-rsa-kx": Pair(version=ssl.TLSVersion.TLSv1_2, tickets=False,
                             ciphers="AES128-GCM-SHA256").handshake(),
        "tls12-resumed": resume.handshake(session=first12.session),
        "tls13-resumed": resume13.handshake(session=first13.session),
        "tls12-no-close": Pair(version=ssl.TLSVersion.TLSv1_2).handshake(close=False),
    }


def _record_bytes(data: bytes) -> list[bytes]:
    return [bytes([t]) + v.to_bytes(2, "big") + len(p).to_bytes(2, "big") + p
            for t, v, p in plain_records(data)]


#: Records no plain handshake has: each must go the Python way, inside a packet the C
#: path takes or not.
ODD_RECORDS = [
    b"\x14\x03\x03\x00\x02\x01\x01",  # ChangeCipherSpec with two bytes
    b"\x14\x03\x03\x00\x01\x02",  # ChangeCipherSpec that is not 1
    b"\x15\x03\x03\x00\x02\x01\x00",  # a plaintext alert
    b"\x18\x03\x03\x00\x03\x01\x00\x00",  # a heartbeat
    b"\x17\x03\x03\x00\x04abcd",  # application data (before the end, in TLS 1.2: Python)
    b"\x16\x03\x03\x00\x04\x63\x00\x00\x00",  # an unknown handshake type
    b"\x16\x03\x03\x00\x08\x0e\x00\x00\x00\x0e\x00\x00\x00",  # two messages in a record
    b"\x16\x03\x03\x00\x06\x0b\x00\x00\x08\x00\x00",  # a message longer than its record
    b"\x16\x03\x03\x00\x02\x14\x00",  # shorter than a message header
    b"\x16\x03\x03\x00\x00",  # empty: not a plausible header
]


def _packets(rec: Recording, rng: random.Random, garble: bool) -> list[tuple[int, bytes]]:
    """The recording's flights as packets: whole flights, runs of whole records, or cut at
    random places; with ``garble``, odd records put between records."""
    out: list[tuple[int, bytes]] = []
    for side, data in rec.flights:
        records = _record_bytes(data)
        if b"".join(records) != data:  # (not all records: as it is)
            records = [data]
        if garble:
            for _ in range(rng.randint(0, 2)):
                records.insert(rng.randrange(len(records) + 1), rng.choice(ODD_RECORDS))
        how = rng.choice(["flight", "records", "cut"])
        if how == "flight":
            out.append((side, b"".join(records)))
        elif how == "records":
            i = 0
            while i < len(records):
                k = rng.randint(1, 3)
                out.append((side, b"".join(records[i:i + k])))
                i += k
        else:
            blob = b"".join(records)
            cuts = sorted(rng.sample(range(1, len(blob)), min(len(blob) - 1,
                                                               rng.randint(1, 4))))
            out += [(side, blob[a:b]) for a, b in zip([0, *cuts], [*cuts, len(blob)])]
    return out


def _stream_state(s: Any) -> tuple[object, ...]:
    return (s.base, bytes(s.buf), s.state, s.skip, s.skip_rec, s.skipping, s.app_records,
            s.app_bytes, s.found_at, s.sslv2, s.midstream, s.searched,
            [(a.id, a.detail, a.frame, a.offset) for a in s.anomalies])


def _snapshot(s: TlsSession) -> tuple[object, ...]:
    """Everything the analysis reads of a session, and the state it goes on from."""
    st = s.state
    return (
        st.entries, st.alerts, repr(st.client_hellos), repr(st.server_hellos),
        repr(st.certificates), repr(st.server_key_exchange), repr(st.client_key_exchange),
        repr(st.certificate_request), repr(st.certificate_verify),
        repr(st.new_session_tickets), repr(st.certificate_status),
        repr(st.encrypted_extensions), repr(st.finished),
        [(a.id, a.detail, a.frame, a.offset) for a in st.anomalies],
        s.complete, s.failed, s.version, s.client_side, s.roles_from, s.seen_tls,
        list(s.encrypted), list(s.hs_broken), [bytes(b) for b in s.hsbuf], s._app,
        s.application_data(0), s.application_data(1), s._server_encrypted_seen,
        s._client_flight_frame, sorted(s._encrypted_hs_sides), repr(s.ctx), s.null_mac,
        [_stream_state(x) for x in s.streams])


def _run(packets: list[tuple[int, bytes]], client_side: int | None,
         completions: list[int]) -> tuple[object, ...]:
    session = TlsSession(client_side=client_side)
    session.on_complete = lambda: completions.append(1)
    for frame, (side, data) in enumerate(packets, start=1):
        session.on_data(side, data, frame, 1_000_000_000 + frame)
    session.finish(len(packets))
    return _snapshot(session)


def _both_ways(monkeypatch: pytest.MonkeyPatch, packets: list[tuple[int, bytes]],
               client_side: int | None) -> int:
    """Run both ways, compare; how many packets the C path took."""
    taken = [0]
    compiled: Callable[..., bool] = session_module.WHOLE_RECORDS  # type: ignore[assignment]

    def counting(*args: Any) -> bool:
        took = compiled(*args)
        taken[0] += took
        return took

    done_c: list[int] = []
    with monkeypatch.context() as m:
        m.setattr(session_module, "WHOLE_RECORDS", counting)
        with_c = _run(packets, client_side, done_c)
    done_py: list[int] = []
    with monkeypatch.context() as m:
        m.setattr(session_module, "WHOLE_RECORDS", None)
        python = _run(packets, client_side, done_py)
    assert with_c == python
    assert done_c == done_py  # on_complete called as often
    return taken[0]


@pytest.mark.parametrize("name", ["tls12", "tls13", "hrr", "tls12-mtls", "tls13-mtls",
                                  "tls12-rsa-kx", "tls12-resumed", "tls13-resumed",
                                  "tls12-no-close"])
def test_whole_flights_are_taken_in_c_with_the_python_result(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    rec = _recordings()[name]
    for client_side in (0, None):
        taken = _both_ways(monkeypatch, list(rec.flights), client_side)
        assert taken >= 2, "the compiled path took no packet: the test would prove nothing"


@pytest.mark.parametrize("seed", range(60))
def test_packets_cut_anywhere_with_odd_records(seed: int,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    recs = _recordings()
    rec = recs[sorted(recs)[seed % len(recs)]]
    packets = _packets(rec, rng, garble=seed % 3 != 0)
    _both_ways(monkeypatch, packets, rng.choice([0, None]))


def test_records_cut_across_packets_are_taken_too(monkeypatch: pytest.MonkeyPatch) -> None:
    """Flights cut at random places (a record's rest in the next packet, as a 1,448-byte
    MSS cuts a server's certificates): the packets that complete the held bytes, and
    those that end in the middle of a record, are taken in C with the Python result."""
    rng = random.Random(11)
    recs = _recordings()
    held = [0]
    compiled: Callable[..., bool] = session_module.WHOLE_RECORDS  # type: ignore[assignment]

    def noting(session: TlsSession, stream: Any, *args: Any) -> bool:
        pending = bool(stream.buf)
        took = compiled(session, stream, *args)
        held[0] += took and pending
        return took

    for i in range(40):
        rec = recs[sorted(recs)[i % len(recs)]]
        packets = []
        for side, data in rec.flights:
            cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, 2)))
            packets += [(side, data[a:b]) for a, b in zip([0, *cuts], [*cuts, len(data)])]
        with monkeypatch.context() as m:
            m.setattr(session_module, "WHOLE_RECORDS", noting)
            _both_ways(monkeypatch, packets, rng.choice([0, None]))
    assert held[0] > 10


def test_garbled_bytes_never_part_ways(monkeypatch: pytest.MonkeyPatch) -> None:
    """Real packets with bytes flipped (headers, lengths, message types): whatever each
    way makes of them, both make the same."""
    rng = random.Random(7)
    recs = _recordings()
    for i in range(120):
        rec = recs[sorted(recs)[i % len(recs)]]
        packets = []
        for side, data in rec.flights:
            raw = bytearray(data)
            for _ in range(rng.randint(0, 3)):
                raw[rng.randrange(len(raw))] = rng.randrange(256)
            packets.append((side, bytes(raw)))
        _both_ways(monkeypatch, packets, rng.choice([0, None]))


def test_the_message_limit_goes_the_python_way(monkeypatch: pytest.MonkeyPatch) -> None:
    """A flood of ChangeCipherSpec records past MAX_MESSAGES, then the rest of the
    handshake: the ladder's "limit" line, its anomaly and what follows come out as the
    Python path makes them."""
    rec = tls12()
    flood = b"\x14\x03\x03\x00\x01\x01" * (session_module.MAX_MESSAGES + 50)
    packets = [rec.flights[0], (0, flood), *rec.flights[1:]]
    assert _both_ways(monkeypatch, packets, 0) >= 1


def test_reports_are_the_same_without_the_compiled_hand_over(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fixture and corpus capture: the whole JSON report, whole records handed over
    in C or not."""
    from pathlib import Path

    from tests.corpus.truth_compare import corpus_captures
    from tlslens.pipeline import analyze
    from tlslens.report.json_report import encode, result_to_dict

    fixtures = Path(__file__).resolve().parents[2] / "fixtures"
    captures = [*sorted(fixtures.rglob("*.pcap*")), *corpus_captures()]
    with_c = [encode(result_to_dict(analyze(str(p)))) for p in captures]
    monkeypatch.setattr(session_module, "WHOLE_RECORDS", None)
    assert [encode(result_to_dict(analyze(str(p)))) for p in captures] == with_c
