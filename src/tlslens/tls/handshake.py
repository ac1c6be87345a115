"""Handshake message parsers: one flat function per message, reading like the RFC struct.

Each parser takes a :class:`Reader` over the message body (without the 4-byte header) and
a :class:`ParseContext` (what the session knows: the negotiated version and key exchange),
and returns a value from :mod:`tlslens.tls.messages`. Problems inside the body raise
:class:`DecodeError`; problems that still leave a usable message (trailing bytes, a bad
extension) are appended to ``ctx.problems`` as ``(anomaly_id, detail)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tlslens.tls import messages as m
from tlslens.tls.extensions import _decode_cached, decode_paths, parse_extensions
from tlslens.tls.reader import DecodeError, Reader
from tlslens.tls.views import (
    certificate_request_views,
    client_hello_views,
    server_hello_views,
)

#: A message body longer than this is not parsed (anomaly tls.hs.too_long).
MAX_HANDSHAKE_LENGTH = 1 << 20

try:  # the optional compiled hello reader (src/tlslens/tls/_fasthello.c)
    from tlslens.tls import _fasthello as _FAST
except ImportError:  # not built: the Python parsers below read every hello
    _FAST = None  # type: ignore[assignment]
else:
    try:
        _FAST.configure(m.ClientHello, m.ServerHello, m.Extension, _decode_cached,
                        m.HRR_RANDOM, decode_paths())
    except ValueError:  # built for other message classes (a stale build): not used
        _FAST = None  # type: ignore[assignment]
#: Whether ClientHello and ServerHello bodies of the common layout are read in C.
COMPILED = _FAST is not None


@dataclass(slots=True)
class ParseContext:
    """What a parser needs to know about the connection so far."""

    version: int | None = None  # negotiated (supported_versions wins)
    tls13: bool = False
    kx: str | None = None  # key exchange of the chosen suite: ECDHE, DHE, RSA, PSK, ...
    au: str | None = None  # authentication of the chosen suite
    export: bool = False
    record_version: int = 0
    problems: list[tuple[str, str]] = field(default_factory=list)
    #: Decode extension fields for the report (False on the fingerprint-only path).
    decode_extensions: bool = True


def _extensions(r: Reader, context: str, ctx: ParseContext) -> tuple[m.Extension, ...]:
    """Read an optional ``Extension extensions<0..2^16-1>`` block, tolerating a bad length.

    A declared length beyond the message is cut to what is there (as tshark does) and
    reported, so the extensions that are present still count.
    """
    if r.at_end():
        return ()
    if r.remaining < 2:
        ctx.problems.append(("tls.hs.trailing_bytes", f"{r.remaining} stray byte(s)"))
        r.rest()
        return ()
    n = r.u16("extensions length")
    if n > r.remaining:
        ctx.problems.append(("tls.hs.truncated",
                             f"extensions length {n} exceeds the {r.remaining} bytes left"))
        n = r.remaining
    data = r.bytes(n, "extensions")
    exts, problems = parse_extensions(data, context, ctx.decode_extensions)
    ctx.problems.extend(problems)
    return exts


def _trailing(r: Reader, ctx: ParseContext, what: str) -> None:
    if not r.at_end():
        ctx.problems.append(("tls.hs.trailing_bytes", f"{what}: {r.remaining} bytes left over"))
        r.rest()


def parse_client_hello(r: Reader, ctx: ParseContext) -> m.ClientHello:
    legacy_version = r.u16("legacy_version")
    random = r.bytes(32, "random")
    session_id = r.opaque(1, "legacy_session_id")
    suites = r.u16_list(2, "cipher_suites")
    compression = r.u8_list(1, "legacy_compression_methods")
    exts = _extensions(r, "client_hello", ctx)
    _trailing(r, ctx, "ClientHello")
    return m.ClientHello(
        record_version=ctx.record_version, legacy_version=legacy_version, random=random,
        legacy_session_id=session_id, cipher_suites=tuple(suites),
        compression_methods=tuple(compression), extensions=exts,
        **client_hello_views(exts))


def _is_draft_13(version: int) -> bool:
    """TLS 1.3 drafts before 22 used a ServerHello without session id and compression."""
    return 0x7F00 < version < 0x7F16


def parse_server_hello(r: Reader, ctx: ParseContext) -> m.ServerHello:
    legacy_version = r.u16("legacy_version")
    random = r.bytes(32, "random")
    if _is_draft_13(legacy_version):
        session_id, compression = b"", None
        suite = r.u16("cipher_suite")
    else:
        session_id = r.opaque(1, "legacy_session_id")
        suite = r.u16("cipher_suite")
        compression = r.u8("legacy_compression_method")
    hrr = random == m.HRR_RANDOM
    exts = _extensions(r, "hello_retry_request" if hrr else "server_hello", ctx)
    _trailing(r, ctx, "ServerHello")
    views = server_hello_views(exts, hrr)
    return m.ServerHello(
        record_version=ctx.record_version, legacy_version=legacy_version, random=random,
        legacy_session_id=session_id, cipher_suite=suite, compression_method=compression,
        extensions=exts, hello_retry_request=hrr, **views)


def parse_certificate(r: Reader, ctx: ParseContext) -> m.CertificateMsg:
    context: bytes | None = None
    if ctx.tls13:
        context = r.opaque(1, "certificate_request_context")
    entries: list[m.CertificateEntry] = []
    with r.block(3, "certificate_list") as lst:
        while not lst.at_end():
            der = lst.opaque(3, "cert_data")
            exts: tuple[m.Extension, ...] = ()
            if ctx.tls13:
                raw_exts = lst.opaque(2, "CertificateEntry extensions")
                exts, problems = parse_extensions(raw_exts, "certificate")
                ctx.problems.extend(problems)
            entries.append(m.CertificateEntry(der, exts))
    _trailing(r, ctx, "Certificate")
    return m.CertificateMsg(context, tuple(entries))


def _signature(r: Reader, ctx: ParseContext) -> tuple[int | None, bytes]:
    """``digitally-signed``: a SignatureScheme from TLS 1.2 on, then the signature."""
    scheme = None
    if ctx.version is not None and ctx.version >= 0x0303 or ctx.tls13:
        scheme = r.u16("signature_algorithm")
    return scheme, r.opaque(2, "signature")


def _ec_params(r: Reader) -> dict[str, Any]:
    curve_type = r.u8("curve_type")
    out: dict[str, Any] = {"curve_type": curve_type}
    if curve_type == 3:  # named_curve
        out["named_curve"] = r.u16("named_curve")
    elif curve_type == 1:  # explicit_prime: prime, curve(a, b), base, order, cofactor
        start = r.pos
        for what in ("prime_p", "a", "b", "base", "order", "cofactor"):
            r.opaque(1, what)
        out["explicit_curve"] = r._buf[start:r.pos]
    elif curve_type == 2:  # explicit_char2: m, basis, (k | k1 k2 k3), a, b, base, order, cofactor
        start = r.pos
        r.u16("m")
        basis = r.u8("basis")
        if basis == 1:
            r.opaque(1, "k")
        elif basis == 2:
            for what in ("k1", "k2", "k3"):
                r.opaque(1, what)
        for what in ("a", "b", "base", "order", "cofactor"):
            r.opaque(1, what)
        out["explicit_curve"] = r._buf[start:r.pos]
    else:
        raise DecodeError(r.pos, f"unknown ECCurveType {curve_type}")
    out["public_key"] = r.opaque(1, "ECPoint")
    return out


def _guess_kx(r: Reader) -> str:
    """Without a known suite, read the params the way that fits the bytes."""
    if r.remaining >= 4 and r._buf[r.pos] == 3:
        return "ECDHE"
    return "DHE"


def parse_server_key_exchange(r: Reader, ctx: ParseContext) -> m.ServerKeyExchange:
    kx = (ctx.kx or _guess_kx(r)).upper()
    au = (ctx.au or "").upper()
    start = r.pos
    fields: dict[str, Any] = {}
    psk = "PSK" in au or kx == "PSK"
    if psk:
        fields["psk_identity_hint"] = r.opaque(2, "psk_identity_hint")
    if kx in ("ECDHE", "ECDH"):
        kind = "ecdhe_psk" if psk else "ecdhe"
        fields.update(_ec_params(r))
    elif kx in ("DHE", "DH"):
        kind = "dhe_psk" if psk else "dhe"
        fields["dh_p"] = r.opaque(2, "dh_p")
        fields["dh_g"] = r.opaque(2, "dh_g")
        fields["dh_ys"] = r.opaque(2, "dh_Ys")
    elif kx == "RSA":
        kind = "rsa_psk" if psk else "rsa"
        if not psk:
            fields["rsa_modulus"] = r.opaque(2, "rsa_modulus")
            fields["rsa_exponent"] = r.opaque(2, "rsa_exponent")
    elif kx == "PSK":
        kind = "psk"
    else:
        kind = kx.lower()
        fields["params"] = r.rest()
        return m.ServerKeyExchange(kind=kind, params=fields.pop("params"), **fields)
    params = r._buf[start:r.pos]
    anonymous = psk or au in ("ANON", "NULL")
    if not anonymous and not r.at_end():
        fields["signature_algorithm"], fields["signature"] = _signature(r, ctx)
    _trailing(r, ctx, "ServerKeyExchange")
    return m.ServerKeyExchange(kind=kind, params=params, **fields)


def parse_client_key_exchange(r: Reader, ctx: ParseContext) -> m.ClientKeyExchange:
    kx = (ctx.kx or "").upper()
    au = (ctx.au or "").upper()
    identity = None
    if "PSK" in au or kx == "PSK":
        identity = r.opaque(2, "psk_identity")
    if kx in ("ECDHE", "ECDH"):
        out = m.ClientKeyExchange("ecdh", r.opaque(1, "ECPoint"), identity)
    elif kx in ("DHE", "DH"):
        out = m.ClientKeyExchange("dh", r.opaque(2, "dh_Yc") if not r.at_end() else b"",
                                  identity)
    elif kx == "RSA":
        if ctx.version == 0x0300:  # SSL 3.0 sends the encrypted premaster without a length
            out = m.ClientKeyExchange("rsa", r.rest(), identity)
        else:
            out = m.ClientKeyExchange("rsa", r.opaque(2, "EncryptedPreMasterSecret"), identity)
    elif kx == "PSK":
        out = m.ClientKeyExchange("psk", None, identity)
    else:
        out = m.ClientKeyExchange(kx.lower() or "unknown", r.rest(), identity)
    _trailing(r, ctx, "ClientKeyExchange")
    return out


def parse_certificate_request(r: Reader, ctx: ParseContext) -> m.CertificateRequest:
    if ctx.tls13:
        context = r.opaque(1, "certificate_request_context")
        raw = r.opaque(2, "extensions")
        exts, problems = parse_extensions(raw, "certificate_request")
        ctx.problems.extend(problems)
        _trailing(r, ctx, "CertificateRequest")
        algs13, cas13 = certificate_request_views(exts)
        return m.CertificateRequest((), algs13, cas13, context, exts)
    types = tuple(r.u8_list(1, "certificate_types"))
    algs: tuple[int, ...] = ()
    if ctx.version is not None and ctx.version >= 0x0303:
        algs = tuple(r.u16_list(2, "supported_signature_algorithms"))
    cas = tuple(r.vector(2, lambda x: x.opaque(2, "DistinguishedName"), "certificate_authorities"))
    _trailing(r, ctx, "CertificateRequest")
    return m.CertificateRequest(types, algs, cas)


def parse_certificate_verify(r: Reader, ctx: ParseContext) -> m.CertificateVerify:
    scheme, sig = _signature(r, ctx)
    _trailing(r, ctx, "CertificateVerify")
    return m.CertificateVerify(scheme, sig)


def parse_new_session_ticket(r: Reader, ctx: ParseContext) -> m.NewSessionTicket:
    lifetime = r.u32("ticket_lifetime")
    if not ctx.tls13:
        ticket = r.opaque(2, "ticket")
        _trailing(r, ctx, "NewSessionTicket")
        return m.NewSessionTicket(lifetime, None, None, ticket)
    age_add = r.u32("ticket_age_add")
    nonce = r.opaque(1, "ticket_nonce")
    ticket = r.opaque(2, "ticket")
    exts = _extensions(r, "new_session_ticket", ctx)
    _trailing(r, ctx, "NewSessionTicket")
    return m.NewSessionTicket(lifetime, age_add, nonce, ticket, exts)


def parse_certificate_status(r: Reader, ctx: ParseContext) -> m.CertificateStatus:
    status_type = r.u8("status_type")
    if status_type == 1:  # ocsp
        response = r.opaque(3, "OCSPResponse")
    elif status_type == 2:  # ocsp_multi: a list of responses; keep the first
        responses = r.vector(3, lambda x: x.opaque(3, "OCSPResponse"), "ocsp_response_list")
        response = responses[0] if responses else b""
    else:
        response = r.rest()
    _trailing(r, ctx, "CertificateStatus")
    return m.CertificateStatus(status_type, response)


def parse_compressed_certificate(r: Reader, ctx: ParseContext) -> m.CompressedCertificate:
    algorithm = r.u16("algorithm")
    length = r.u24("uncompressed_length")
    data = r.opaque(3, "compressed_certificate_message")
    _trailing(r, ctx, "CompressedCertificate")
    return m.CompressedCertificate(algorithm, length, data)


def parse_key_update(r: Reader, ctx: ParseContext) -> m.KeyUpdate:
    value = r.u8("request_update")
    _trailing(r, ctx, "KeyUpdate")
    return m.KeyUpdate(value)


def parse_finished(r: Reader, ctx: ParseContext) -> m.Finished:
    return m.Finished(r.rest())


def parse_encrypted_extensions(r: Reader, ctx: ParseContext) -> m.EncryptedExtensions:
    raw = r.opaque(2, "extensions")
    exts, problems = parse_extensions(raw, "encrypted_extensions")
    ctx.problems.extend(problems)
    _trailing(r, ctx, "EncryptedExtensions")
    return m.EncryptedExtensions(exts)


def parse_empty(r: Reader, ctx: ParseContext) -> None:
    _trailing(r, ctx, "empty message")


HANDSHAKE_PARSERS: dict[int, Callable[[Reader, ParseContext], Any]] = {
    m.HELLO_REQUEST: parse_empty,
    m.CLIENT_HELLO: parse_client_hello,
    m.SERVER_HELLO: parse_server_hello,
    m.NEW_SESSION_TICKET: parse_new_session_ticket,
    m.END_OF_EARLY_DATA: parse_empty,
    m.ENCRYPTED_EXTENSIONS: parse_encrypted_extensions,
    m.CERTIFICATE: parse_certificate,
    m.SERVER_KEY_EXCHANGE: parse_server_key_exchange,
    m.CERTIFICATE_REQUEST: parse_certificate_request,
    m.SERVER_HELLO_DONE: parse_empty,
    m.CERTIFICATE_VERIFY: parse_certificate_verify,
    m.CLIENT_KEY_EXCHANGE: parse_client_key_exchange,
    m.FINISHED: parse_finished,
    m.CERTIFICATE_STATUS: parse_certificate_status,
    m.KEY_UPDATE: parse_key_update,
    m.COMPRESSED_CERTIFICATE: parse_compressed_certificate,
}


def parse_body(msg_type: int, body: bytes, ctx: ParseContext) -> tuple[Any, str | None]:
    """Parse one message body; returns (value, error). Never raises on bad input.

    Hellos go to the compiled reader first when it is built; it returns the same value
    as the Python parser, or None (anything unusual) and the Python parser reads them."""
    if (msg_type == m.CLIENT_HELLO or msg_type == m.SERVER_HELLO) and _FAST is not None:
        fast = (_FAST.client_hello if msg_type == m.CLIENT_HELLO else _FAST.server_hello)(
            body, ctx.record_version, ctx.decode_extensions)
        if fast is not None:
            return fast, None
    parser = HANDSHAKE_PARSERS.get(msg_type)
    if parser is None:
        return None, None
    try:
        return parser(Reader(body), ctx), None
    except DecodeError as exc:
        return None, str(exc)
