"""SSLv2 hellos (tls/sslv2.py): the SSLv2-compatible ClientHello of old clients and an
SSLv2 server's answer, built from draft-hickman-netscape-ssl-00 around a real
certificate, and the corpus's SSLv2 captures checked against tshark (skipped when the
corpus is absent)."""

from __future__ import annotations

import json

import pytest

from tests.tlsbytes import CORPUS, pki
from tlslens import analyze
from tlslens.tls.reader import DecodeError
from tlslens.tls.session import TlsSession
from tlslens.tls.sslv2 import parse_sslv2_client_hello, parse_sslv2_server_hello

SPECS = bytes.fromhex("0700c0" "050080" "030080" "010080")  # SSL_CK_* (2.0 specs)
CHALLENGE = bytes(range(16))


def record(body: bytes) -> bytes:
    return bytes([0x80 | (len(body) >> 8), len(body) & 0xFF]) + body


def client_hello(version: int = 0x0002, session_id: bytes = b"") -> bytes:
    return bytes([1]) + version.to_bytes(2, "big") + len(SPECS).to_bytes(2, "big") + \
        len(session_id).to_bytes(2, "big") + len(CHALLENGE).to_bytes(2, "big") + SPECS + \
        session_id + CHALLENGE


def server_hello(cert: bytes, conn_id: bytes = b"\x42" * 16) -> bytes:
    specs = SPECS[:6]
    return bytes([4, 0, 1, 0, 2]) + len(cert).to_bytes(2, "big") + \
        len(specs).to_bytes(2, "big") + len(conn_id).to_bytes(2, "big") + cert + specs + conn_id


def test_client_hello_fields() -> None:
    ch = parse_sslv2_client_hello(client_hello(0x0301, b"\x01" * 16))
    assert ch.sslv2_format and ch.record_version == 2 and ch.random is None
    assert ch.legacy_version == 0x0301 and ch.legacy_session_id == b"\x01" * 16
    assert ch.cipher_suites == (0x0700C0, 0x050080, 0x030080, 0x010080)
    assert ch.challenge == CHALLENGE


def test_server_hello_fields() -> None:
    sh = parse_sslv2_server_hello(server_hello(pki().leaf_der))
    assert sh.sslv2_format and sh.legacy_version == 2
    assert sh.sslv2_cipher_specs == (0x0700C0, 0x050080)
    assert sh.sslv2_certificate == pki().leaf_der and sh.legacy_session_id == b"\x42" * 16


@pytest.mark.parametrize("cut", [1, 5, 9, 20, 36])
def test_short_hellos_raise_decode_error(cut: int) -> None:
    with pytest.raises(DecodeError):
        parse_sslv2_client_hello(client_hello()[:cut])


def test_sslv2_exchange_through_the_session() -> None:
    """Hellos, then SSLv2 records (master key, finished: opaque) from both sides."""
    s = TlsSession(client_side=0)
    s.on_data(0, record(client_hello()), 1, 0)
    s.on_data(1, record(server_hello(pki().leaf_der)), 2, 0)
    s.on_data(0, record(b"\x02" + bytes(30)), 3, 0)
    s.on_data(1, record(b"\x88" * 20), 4, 0)
    assert [e.type for e in s.state.entries] == ["sslv2_client_hello", "sslv2_server_hello",
                                                 "sslv2_other", "sslv2_other"]
    assert s.version == 2 and s.complete and not s.state.anomalies


def test_malformed_sslv2_hello_is_an_anomaly() -> None:
    s = TlsSession(client_side=0)
    body = client_hello()
    bad = body[:3] + (200).to_bytes(2, "big") + body[5:]  # cipher specs longer than the record
    s.on_data(0, record(bad), 1, 0)
    assert [a.id for a in s.state.anomalies] == ["tls.sslv2.malformed"]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus absent")
@pytest.mark.parametrize("name", ["zeek__ssl-v2.pcap", "lekensteyn__sslv2.pcapng"])
def test_corpus_sslv2_hellos_match_tshark(name: str) -> None:
    truth = json.loads((CORPUS.parent / "truth" / f"{name}.json").read_text())
    conns = analyze(str(CORPUS / name)).connections
    tshark = [s for s in truth["streams"] if s.get("client_hellos")]
    assert len(conns) >= len(tshark) > 0
    by_client = {f"{c.client.ip}:{c.client.port}": c for c in conns}
    for stream in tshark:
        conn = by_client[stream["client"]]
        want = stream["client_hellos"][0]
        got = conn.client_hellos[0].hello
        if want.get("sslv2"):
            assert got.sslv2_format and list(got.cipher_suites) == want["cipher_specs"]
        for sh_want, sh in zip(stream["server_hellos"], conn.server_hellos):
            if sh_want.get("sslv2"):
                assert list(sh.hello.sslv2_cipher_specs) == sh_want["cipher_specs"]
        assert not [a for a in conn.anomalies if a.id == "tls.sslv2.malformed"]
