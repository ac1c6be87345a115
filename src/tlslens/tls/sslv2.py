"""SSLv2 hello messages (draft-hickman-netscape-ssl-00), still seen as the
SSLv2-compatible ClientHello of old clients and in SSLv2-only test captures."""

from __future__ import annotations

from tlslens.tls import messages as m
from tlslens.tls.reader import Reader

CLIENT_HELLO = 1
SERVER_HELLO = 4


def _specs(data: bytes) -> tuple[int, ...]:
    return tuple(int.from_bytes(data[i:i + 3], "big") for i in range(0, len(data) - 2, 3))


def parse_sslv2_client_hello(body: bytes) -> m.ClientHello:
    """``body`` is the record payload starting with msg_type 1."""
    r = Reader(body)
    r.u8("msg_type")
    version = r.u16("version")
    specs_len = r.u16("cipher_specs_length")
    sid_len = r.u16("session_id_length")
    chal_len = r.u16("challenge_length")
    specs = r.bytes(specs_len, "cipher_specs")
    session_id = r.bytes(sid_len, "session_id")
    challenge = r.bytes(chal_len, "challenge")
    return m.ClientHello(record_version=2, legacy_version=version, random=None,
                         legacy_session_id=session_id, cipher_suites=_specs(specs),
                         compression_methods=(), extensions=(), sslv2_format=True,
                         challenge=challenge, raw=body)


def parse_sslv2_server_hello(body: bytes) -> m.ServerHello:
    r = Reader(body)
    r.u8("msg_type")
    r.u8("session_id_hit")
    r.u8("certificate_type")
    version = r.u16("version")
    cert_len = r.u16("certificate_length")
    specs_len = r.u16("cipher_specs_length")
    conn_id_len = r.u16("connection_id_length")
    cert = r.bytes(cert_len, "certificate")
    specs = r.bytes(specs_len, "cipher_specs")
    conn_id = r.bytes(conn_id_len, "connection_id")
    return m.ServerHello(record_version=2, legacy_version=version, random=None,
                         legacy_session_id=conn_id, cipher_suite=None, compression_method=None,
                         extensions=(), sslv2_format=True, sslv2_cipher_specs=_specs(specs),
                         sslv2_certificate=cert or None, raw=body)
