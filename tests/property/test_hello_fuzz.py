"""mitmproxy-style: a real ClientHello (and ServerHello) cut anywhere, with random bytes
after it, gives a value or a DecodeError turned into an error string, never an
exception; the session turns the same bytes into anomalies."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.tlsbytes import tls12, tls13, tls13_hrr
from tlslens.anomalies import CATALOGUE
from tlslens.tls import messages as m
from tlslens.tls.handshake import HANDSHAKE_PARSERS, ParseContext, parse_body
from tlslens.tls.session import TlsSession


def hellos() -> list[bytes]:
    out = []
    for rec in (tls12(), tls13(), tls13_hrr()):
        out += [raw for _, t, raw in rec.messages if t in (m.CLIENT_HELLO, m.SERVER_HELLO)]
    return out


@settings(max_examples=400, deadline=None)
@given(which=st.integers(0, 5), cut=st.integers(0, 600), tail=st.binary(max_size=64),
       tls13_ctx=st.booleans())
def test_cut_hello_plus_garbage(which: int, cut: int, tail: bytes, tls13_ctx: bool) -> None:
    raw = hellos()[which % len(hellos())]
    body = raw[4:4 + cut] + tail
    ctx = ParseContext(version=0x0304 if tls13_ctx else 0x0303, tls13=tls13_ctx)
    value, error = parse_body(raw[0], body, ctx)
    assert (value is None) != (error is None)
    assert all(aid in CATALOGUE for aid, _ in ctx.problems)
    if body == raw[4:]:
        assert error is None and not ctx.problems


@settings(max_examples=300, deadline=None)
@given(msg_type=st.sampled_from(sorted(HANDSHAKE_PARSERS)), body=st.binary(max_size=300),
       kx=st.sampled_from([None, "ECDHE", "DHE", "RSA", "PSK", "SRP"]),
       au=st.sampled_from([None, "PSK", "ECDSA", "anon"]), tls13_ctx=st.booleans())
def test_every_parser_on_random_bytes(msg_type: int, body: bytes, kx: str | None,
                                      au: str | None, tls13_ctx: bool) -> None:
    ctx = ParseContext(version=0x0303, tls13=tls13_ctx, kx=kx, au=au)
    value, error = parse_body(msg_type, body, ctx)
    assert value is None or error is None


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(0, 700), tail=st.binary(max_size=200), side=st.sampled_from([0, 1]))
def test_session_never_raises_on_cut_streams(cut: int, tail: bytes, side: int) -> None:
    stream = tls13_hrr().stream(side)
    s = TlsSession()
    s.on_data(side, stream[:cut] + tail, 1, 0)
    s.on_data(1 - side, tail + stream[:cut], 2, 0)
    s.finish(3)
    assert all(a.id in CATALOGUE for a in s.state.anomalies)
