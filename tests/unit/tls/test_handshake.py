"""Handshake message parsers (tls/handshake.py) on real bytes.

Sources: handshakes between two OpenSSL endpoints through Python ``ssl`` (the plaintext
of TLS 1.3's encrypted messages comes from OpenSSL's message callback), ``openssl
s_server``/``s_client`` for what Python cannot ask for (OCSP stapling, PSK), and the
shared corpus read with tshark (skipped when absent). Hand-built bytes only where no
stack here sends the message (KeyUpdate, EndOfEarlyData) or for the malformed cases.
"""

from __future__ import annotations

import shutil
import ssl
import zlib
from functools import cache
from typing import Any

import brotli
import pytest
import zstandard

from tests.tlsbytes import (
    CORPUS,
    HOST,
    Pair,
    Recording,
    corpus_stream,
    openssl_pair,
    pki,
    plain_handshakes,
    tls12,
    tls13,
    tls13_hrr,
)
from tlslens.tls import messages as m
from tlslens.tls.handshake import HANDSHAKE_PARSERS, ParseContext, parse_body
from tlslens.tls.session import TlsSession

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir() or shutil.which("tshark") is None,
                                  reason="corpus or tshark absent")


def parse(raw: bytes, **ctx: Any) -> tuple[Any, list[tuple[str, str]]]:
    """Parse one message (header included); fails the test on a DecodeError."""
    c = ParseContext(**ctx)
    assert len(raw) == 4 + int.from_bytes(raw[1:4], "big")
    value, error = parse_body(raw[0], raw[4:], c)
    assert error is None, error
    return value, c.problems


def session_of(rec: Recording) -> TlsSession:
    """Both sides of a recording through a TlsSession, flight by flight."""
    s = TlsSession(client_side=0, skip_after_handshake=False)
    for i, (side, data) in enumerate(rec.flights, 1):
        s.on_data(side, data, i, i)
    s.finish(len(rec.flights))
    return s


@cache
def client_auth12() -> Recording:
    return Pair(version=ssl.TLSVersion.TLSv1_2, client_cert=True).handshake()


@cache
def client_auth13() -> Recording:
    return Pair(client_cert=True).handshake()


# -- hellos -------------------------------------------------------------------------------
def test_client_hello_tls12() -> None:
    ch, problems = parse(tls12().message(m.CLIENT_HELLO))
    assert not problems and isinstance(ch, m.ClientHello)
    assert ch.legacy_version == 0x0303 and len(ch.random) == 32
    assert ch.server_name == HOST
    assert ch.compression_methods == (0,)
    assert 0xC02B in ch.cipher_suites and ch.cipher_suites[-1] == 0x00FF  # SCSV last
    assert {0, 10, 11, 13, 35}.issubset(ch.extension_types)
    assert 0x0304 not in ch.supported_versions


def test_client_hello_tls13() -> None:
    ch, problems = parse(tls13().message(m.CLIENT_HELLO))
    assert not problems
    assert ch.supported_versions[0] == 0x0304
    assert ch.key_share_groups == (29,)  # x25519
    assert ch.psk_key_exchange_modes == (1,)
    assert len(ch.legacy_session_id) == 32  # middlebox compatibility mode
    assert {0x1301, 0x1302, 0x1303}.issubset(ch.cipher_suites)


def test_server_hello_tls12_and_tls13() -> None:
    sh, problems = parse(tls12().message(m.SERVER_HELLO))
    assert not problems and sh.legacy_version == 0x0303 and sh.selected_version is None
    assert sh.cipher_suite in (0xC02B, 0xC02C, 0xCCA9) and sh.compression_method == 0
    assert not sh.hello_retry_request and sh.downgrade_sentinel is None
    sh, problems = parse(tls13().message(m.SERVER_HELLO))
    assert not problems and sh.legacy_version == 0x0303
    assert sh.selected_version == 0x0304 and sh.key_share_group == 29
    assert sh.cipher_suite in (0x1301, 0x1302, 0x1303)


def test_downgrade_sentinel_of_a_tls13_server_answering_tls12() -> None:
    """A TLS 1.3-capable server talking to a TLS 1.2-only client marks its random."""
    pair = Pair(version=ssl.TLSVersion.TLSv1_2)
    pair.server.maximum_version = ssl.TLSVersion.TLSv1_3
    sh, _ = parse(pair.handshake().message(m.SERVER_HELLO))
    assert sh.downgrade_sentinel == "tls12"


def test_hello_retry_request() -> None:
    rec = tls13_hrr()
    hrr, problems = parse(rec.message(m.SERVER_HELLO, "server", 0))
    assert not problems and hrr.hello_retry_request and hrr.random == m.HRR_RANDOM
    assert hrr.key_share_group == 24 and hrr.selected_version == 0x0304  # secp384r1
    ch2, _ = parse(rec.message(m.CLIENT_HELLO, "client", 1))
    assert ch2.key_share_groups == (24,)
    sh, _ = parse(rec.message(m.SERVER_HELLO, "server", 1))
    assert not sh.hello_retry_request and sh.key_share_group == 24


# -- certificates ---------------------------------------------------------------------------
def test_certificate_tls12() -> None:
    cert, problems = parse(tls12().message(m.CERTIFICATE), version=0x0303)
    assert not problems and cert.request_context is None
    assert [e.der for e in cert.entries] == [pki().leaf_der, pki().root_der]


def test_certificate_tls13() -> None:
    cert, problems = parse(tls13().message(m.CERTIFICATE, "server"), version=0x0304,
                           tls13=True)
    assert not problems and cert.request_context == b""
    assert [e.der for e in cert.entries] == [pki().leaf_der, pki().root_der]
    assert all(e.extensions == () for e in cert.entries)


def test_client_certificate_and_verify_tls12() -> None:
    rec = client_auth12()
    cert, _ = parse(rec.message(m.CERTIFICATE, "client"), version=0x0303)
    assert len(cert.entries) == 1
    cv, problems = parse(rec.message(m.CERTIFICATE_VERIFY, "client"), version=0x0303)
    assert not problems and cv.signature_algorithm == 0x0403 and cv.signature[0] == 0x30


def test_certificate_verify_tls13() -> None:
    cv, problems = parse(tls13().message(m.CERTIFICATE_VERIFY, "server"), version=0x0304,
                         tls13=True)
    assert not problems and cv.signature_algorithm == 0x0403


def test_certificate_request_tls12() -> None:
    cr, problems = parse(client_auth12().message(m.CERTIFICATE_REQUEST), version=0x0303)
    assert not problems and cr.request_context is None
    assert 64 in cr.certificate_types  # ecdsa_sign
    assert 0x0403 in cr.signature_algorithms
    assert cr.certificate_authorities == ()  # Python's ssl sets no client CA list


def test_certificate_request_tls13() -> None:
    cr, problems = parse(client_auth13().message(m.CERTIFICATE_REQUEST), version=0x0304,
                         tls13=True)
    assert not problems and cr.request_context == b"" and cr.certificate_types == ()
    assert 0x0403 in cr.signature_algorithms and cr.certificate_authorities == ()
    assert 13 in [e.code for e in cr.extensions]


# -- key exchange ---------------------------------------------------------------------------
def test_server_key_exchange_ecdhe() -> None:
    ske, problems = parse(tls12().message(m.SERVER_KEY_EXCHANGE), version=0x0303,
                          kx="ECDHE", au="ECDSA")
    assert not problems and ske.kind == "ecdhe"
    assert (ske.curve_type, ske.named_curve, len(ske.public_key)) == (3, 29, 32)
    assert ske.signature_algorithm == 0x0403 and ske.signature[0] == 0x30
    assert ske.params == bytes([3, 0, 29, 32]) + ske.public_key  # the signed bytes


def test_server_key_exchange_without_a_known_suite_is_guessed() -> None:
    ske, _ = parse(tls12().message(m.SERVER_KEY_EXCHANGE), version=0x0303)
    assert ske.kind == "ecdhe" and ske.named_curve == 29


def test_client_key_exchange_ecdh() -> None:
    cke, problems = parse(tls12().message(m.CLIENT_KEY_EXCHANGE), version=0x0303, kx="ECDHE")
    assert not problems and cke.kind == "ecdh" and len(cke.public_key) == 32


PSK = ["-psk", "0123456789abcdef"]


@cache
def psk_recording(cipher: str) -> Recording:
    suite = ["-cipher", f"{cipher}:@SECLEVEL=0", "-tls1_2"]
    return openssl_pair(["-nocert", *PSK, "-psk_hint", "tlslens-hint", *suite], [*PSK, *suite])


@needs_openssl
@pytest.mark.parametrize(("cipher", "ske_kind", "cke_kind"), [
    ("PSK-AES128-CBC-SHA", "psk", "psk"),
    ("DHE-PSK-AES128-CBC-SHA", "dhe_psk", "dh"),
    ("ECDHE-PSK-AES128-CBC-SHA", "ecdhe_psk", "ecdh"),
])
def test_psk_suites(cipher: str, ske_kind: str, cke_kind: str) -> None:
    """PSK identity hint in ServerKeyExchange, identity in ClientKeyExchange (RFC 4279,
    5489), through the session so the suite's key exchange comes from the registry."""
    s = session_of(psk_recording(cipher))
    ske, cke = s.state.server_key_exchange, s.state.client_key_exchange
    assert ske is not None and ske.kind == ske_kind
    assert ske.psk_identity_hint == b"tlslens-hint" and ske.signature is None
    assert cke is not None and cke.kind == cke_kind and cke.psk_identity == b"Client_identity"
    if ske_kind == "dhe_psk":
        assert len(ske.dh_p) == 128 and ske.dh_g == b"\x02" and len(ske.dh_ys) <= 256
        assert len(cke.public_key) <= 256
    if ske_kind == "ecdhe_psk":
        assert ske.named_curve == 29 and len(cke.public_key) == 32
    assert not [a for a in s.state.anomalies if a.id.startswith("tls.hs")]


@needs_corpus
def test_server_key_exchange_dhe_corpus() -> None:
    """zeek__dhe.pcap: DHE-RSA with a 1024-bit group (tshark: dh_p 128 bytes)."""
    client, server = corpus_stream("zeek__dhe.pcap")
    msgs = {raw[0]: raw for raw in plain_handshakes(server)}
    sh, _ = parse(msgs[m.SERVER_HELLO])
    from tlslens.registry.ciphers import components

    comp = components(sh.cipher_suite)
    ske, problems = parse(msgs[m.SERVER_KEY_EXCHANGE], version=sh.legacy_version,
                          kx=comp.kx, au=comp.au)
    assert not problems and ske.kind == "dhe"
    assert (len(ske.dh_p), len(ske.dh_g)) == (128, 1) and ske.signature
    cke, _ = parse(plain_handshakes(client)[1], version=sh.legacy_version, kx=comp.kx)
    assert cke.kind == "dh" and len(cke.public_key) == 128


@needs_corpus
def test_rsa_export_server_key_exchange_ssl3_corpus() -> None:
    """lekensteyn__ssl3-dump.pcapng stream 0: an EXPORT suite, a 512-bit ephemeral RSA
    key in ServerKeyExchange, and SSL 3.0's length-less encrypted premaster."""
    client, server = corpus_stream("lekensteyn__ssl3-dump.pcapng", 0)
    msgs = {raw[0]: raw for raw in plain_handshakes(server)}
    sh, _ = parse(msgs[m.SERVER_HELLO])
    from tlslens.registry.ciphers import components

    comp = components(sh.cipher_suite)
    assert sh.legacy_version == 0x0300 and comp.export
    ske, problems = parse(msgs[m.SERVER_KEY_EXCHANGE], version=0x0300, kx=comp.kx,
                          au=comp.au)
    assert not problems and ske.kind == "rsa"
    assert len(ske.rsa_modulus.lstrip(b"\0")) == 64 and ske.signature_algorithm is None
    cke, problems = parse(plain_handshakes(client)[1], version=0x0300, kx=comp.kx)
    assert not problems and cke.kind == "rsa" and len(cke.public_key) == 64


@needs_corpus
def test_certificate_request_tls12_corpus() -> None:
    _, server = corpus_stream("zeek__client-certificate.pcap")
    msgs = {raw[0]: raw for raw in plain_handshakes(server)}
    cr, problems = parse(msgs[m.CERTIFICATE_REQUEST], version=0x0303)
    assert not problems and cr.certificate_types and cr.signature_algorithms


# -- tickets, status, small messages -------------------------------------------------------
def test_new_session_ticket_tls12() -> None:
    nst, problems = parse(tls12().message(m.NEW_SESSION_TICKET), version=0x0303)
    assert not problems and nst.age_add is None and nst.nonce is None
    assert nst.lifetime == 7200 and len(nst.ticket) > 32


def test_new_session_ticket_tls13() -> None:
    rec = tls13()
    assert rec.types("server").count(m.NEW_SESSION_TICKET) == 2
    for i in (0, 1):
        nst, problems = parse(rec.message(m.NEW_SESSION_TICKET, "server", i), tls13=True,
                              version=0x0304)
        assert not problems and nst.lifetime == 7200 and nst.nonce == bytes([0] * 7 + [i])
        assert isinstance(nst.age_add, int) and nst.extensions == ()


def test_encrypted_extensions_and_finished() -> None:
    rec = tls13()
    ee, problems = parse(rec.message(m.ENCRYPTED_EXTENSIONS), tls13=True, version=0x0304)
    assert not problems and isinstance(ee, m.EncryptedExtensions)
    fin, _ = parse(rec.message(m.FINISHED, "server"), tls13=True)
    assert len(fin.verify_data) in (32, 48)


@needs_openssl
def test_certificate_status_ocsp() -> None:
    p = pki()
    rec = openssl_pair(["-cert", str(p.chain), "-key", str(p.key), "-status_file",
                        str(p.ocsp), "-tls1_2"], ["-status", "-tls1_2"])
    msgs = {raw[0]: raw for raw in plain_handshakes(rec.stream(1))}
    cs, problems = parse(msgs[m.CERTIFICATE_STATUS], version=0x0303)
    assert not problems and cs.status_type == 1 and cs.response == p.ocsp.read_bytes()
    s = session_of(rec)
    assert s.state.certificate_status == cs


def test_key_update_and_end_of_early_data() -> None:
    """Python's ssl sends neither: the RFC 8446 4.6.3 and 4.5 structs by hand."""
    ku, problems = parse(bytes([m.KEY_UPDATE, 0, 0, 1, 1]), tls13=True)
    assert ku == m.KeyUpdate(1) and not problems
    value, problems = parse(bytes([m.END_OF_EARLY_DATA, 0, 0, 0]), tls13=True)
    assert value is None and not problems
    value, problems = parse(bytes([m.END_OF_EARLY_DATA, 0, 0, 2, 9, 9]), tls13=True)
    assert [p[0] for p in problems] == ["tls.hs.trailing_bytes"]


def test_server_hello_done_and_hello_request() -> None:
    assert parse(tls12().message(m.SERVER_HELLO_DONE)) == (None, [])
    assert parse(bytes([m.HELLO_REQUEST, 0, 0, 0])) == (None, [])


@needs_corpus
def test_draft_tls13_server_hello_without_session_id_corpus() -> None:
    """Draft 19 (0x7f13): ServerHello has no legacy_session_id and no compression."""
    _, server = corpus_stream("zeek__tls-13draft19-early-data.pcap")
    sh, problems = parse(plain_handshakes(server)[0])
    assert not problems and sh.legacy_version == 0x7F13
    assert sh.legacy_session_id == b"" and sh.compression_method is None
    assert sh.cipher_suite in (0x1301, 0x1302, 0x1303)


# -- compressed certificates (RFC 8879) -----------------------------------------------------
def compressed(alg: int, data: bytes, declared: int | None = None) -> bytes:
    comp = {1: zlib.compress, 2: lambda d: brotli.compress(d, quality=1),
            3: zstandard.ZstdCompressor().compress}.get(alg, lambda d: d)(data)
    body = alg.to_bytes(2, "big") + (len(data) if declared is None else declared).to_bytes(
        3, "big") + len(comp).to_bytes(3, "big") + comp
    return bytes([m.COMPRESSED_CERTIFICATE]) + len(body).to_bytes(3, "big") + body


def server_side_session(msg: bytes) -> TlsSession:
    """A message from the server, in as many handshake records as it needs."""
    s = TlsSession(client_side=0)
    for i in range(0, len(msg), 1 << 14):
        frag = msg[i:i + (1 << 14)]
        s.on_data(1, bytes([22, 3, 3]) + len(frag).to_bytes(2, "big") + frag, 1, 0)
    return s


@pytest.mark.parametrize("alg", [1, 2, 3])
def test_compressed_certificate_decodes_to_the_same_certificates(alg: int) -> None:
    real = tls13().message(m.CERTIFICATE, "server")
    msg = compressed(alg, real)
    cc, problems = parse(msg)
    assert not problems and cc.algorithm == alg and cc.uncompressed_length == len(real)
    s = server_side_session(msg)
    assert not s.state.anomalies
    [(side, cert)] = s.state.certificates
    want, _ = parse(real, tls13=True)
    assert side == 1 and cert == want
    assert [e.type for e in s.state.entries] == ["compressed_certificate"]


@pytest.mark.parametrize("alg", [1, 2, 3])
def test_decompression_bomb_is_capped(alg: int) -> None:
    """Bytes that inflate to 40 MB, declared as 1000 bytes and as the u24 maximum:
    tls.decompress.failed, without producing the 40 MB."""
    msg = compressed(alg, bytes(40_000_000), 1000)
    for declared in (1000, (1 << 24) - 1):
        msg = msg[:6] + declared.to_bytes(3, "big") + msg[9:]
        s = server_side_session(msg)
        assert [a.id for a in s.state.anomalies] == ["tls.decompress.failed"]
        assert not s.state.certificates
        assert "more than" in s.state.anomalies[0].detail


@pytest.mark.parametrize("alg", [1, 2, 3])
def test_corrupt_or_short_compressed_data(alg: int) -> None:
    real = tls13().message(m.CERTIFICATE, "server")
    good = compressed(alg, real)
    body_at = 4 + 2 + 3 + 3
    cut = good[:body_at] + good[body_at:-20]
    cut = bytes([cut[0]]) + (len(cut) - 4).to_bytes(3, "big") + cut[4:body_at - 3] + \
        (len(cut) - body_at).to_bytes(3, "big") + cut[body_at:]
    s = server_side_session(cut)
    assert [a.id for a in s.state.anomalies] == ["tls.decompress.failed"]


def test_unknown_compression_algorithm() -> None:
    s = server_side_session(compressed(0x4242, b"x" * 10))
    assert [a.id for a in s.state.anomalies] == ["tls.decompress.unsupported"]


def test_decompressed_bytes_that_are_no_certificate() -> None:
    s = server_side_session(compressed(1, bytes([11, 0, 0, 3, 0, 0, 9])))
    assert [a.id for a in s.state.anomalies] == ["tls.hs.malformed"]


# -- malformed messages ---------------------------------------------------------------------
def test_every_parser_on_a_truncated_real_message_returns_an_error() -> None:
    rec = tls12()
    ctx = {"version": 0x0303, "kx": "ECDHE", "au": "ECDSA"}
    for raw in [r for _, _, r in rec.messages if r[0] in HANDSHAKE_PARSERS]:
        if raw[0] in (m.FINISHED, m.SERVER_HELLO_DONE):
            continue
        for end in (-1, len(raw) // 2):
            c = ParseContext(**ctx)
            value, error = parse_body(raw[0], raw[4:end], c)
            assert (value is None) != (error is None)
            assert error is not None or c.problems, (raw[0], end)


def test_trailing_bytes_after_a_real_message() -> None:
    raw = tls12().message(m.CLIENT_HELLO)
    more = raw + b"\x00\x00\x07"
    more = more[:1] + (len(more) - 4).to_bytes(3, "big") + more[4:]
    value, problems = parse(more)
    assert isinstance(value, m.ClientHello)
    assert [p[0] for p in problems] == ["tls.hs.trailing_bytes"]


def test_extensions_length_beyond_the_message() -> None:
    raw = bytearray(tls12().message(m.CLIENT_HELLO))
    sid_len = raw[4 + 34]
    suites_at = 4 + 35 + sid_len
    n_suites = int.from_bytes(raw[suites_at:suites_at + 2], "big")
    ext_at = suites_at + 2 + n_suites + 2
    raw[ext_at:ext_at + 2] = (int.from_bytes(raw[ext_at:ext_at + 2], "big") + 50).to_bytes(
        2, "big")
    value, problems = parse(bytes(raw))
    assert [p[0] for p in problems] == ["tls.hs.truncated"]
    assert value.server_name == HOST  # the extensions that are there still count


def test_unknown_message_type_keeps_raw_bytes() -> None:
    assert parse_body(99, b"\x01\x02", ParseContext()) == (None, None)
