"""TLS extension parsers: one small function per extension format, dispatched by context.

One code point can carry different structures depending on the message it sits in
(``key_share`` is a list in a ClientHello, one entry in a ServerHello, a bare group in a
HelloRetryRequest), so dispatch is by ``(context, code)`` in :data:`EXTENSION_PARSERS`,
then by ``code`` alone in :data:`ANY_CONTEXT_PARSERS` for formats that never vary.

A parser reads the extension body from a :class:`~tlslens.tls.reader.Reader` and returns
JSON-ready data (dicts, lists, str, int, bool, None; bytes as lowercase hex; registry
values as ``coded`` dicts). It raises :class:`~tlslens.tls.reader.DecodeError` when the
bytes do not fit; :func:`decode_extension` turns that into ``Extension.error`` and
:func:`parse_extensions` into a named problem, so bad input never escapes as an exception.

An empty body decodes to the empty value of the extension's usual shape: ``{}`` for
flag-like extensions and acknowledgements, ``[]`` for list-shaped ones.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from tlslens.der import oid_text
from tlslens.registry import coded, is_grease, name, version_name
from tlslens.tls.messages import Extension
from tlslens.tls.reader import DecodeError, Reader

__all__ = [
    "ANY_CONTEXT_PARSERS",
    "CONTEXTS",
    "EXTENSION_PARSERS",
    "Parser",
    "decode_extension",
    "dn_rfc4514",
    "parse_extensions",
    "wire_text",
]

Parser = Callable[[Reader], Any]

# Message contexts an extension block can appear in.
CH = "client_hello"
SH = "server_hello"
HRR = "hello_retry_request"
EE = "encrypted_extensions"
CT = "certificate"  # TLS 1.3 CertificateEntry extensions
CR = "certificate_request"
NST = "new_session_ticket"
CONTEXTS: tuple[str, ...] = (CH, SH, HRR, EE, CT, CR, NST)
#: Where a server answers a client's extension: the TLS 1.2 ServerHello or TLS 1.3 EE.
_SERVER_REPLY = (SH, EE)


# -- helpers other layers use too ------------------------------------------------------
def wire_text(b: bytes) -> str:
    """Decode wire text as UTF-8, writing each undecodable byte as ``\\xNN``.

    Names on the wire (SNI, ALPN) are meant to be ASCII but are whatever the peer sent;
    a report must show them without failing and without hiding odd bytes."""
    return bytes(b).decode("utf-8", "backslashreplace")


def _hex(b: bytes) -> str:
    return bytes(b).hex()


def _version(v: int) -> dict[str, object]:
    return {"code": v, "name": version_name(v) or ("GREASE" if is_grease(v) else None)}


# -- tiny DER walker for DistinguishedName and OID ---------------------------------------
def _der_tlv(buf: bytes, pos: int, end: int) -> tuple[int, int, int]:
    """One DER TLV at ``pos``: (tag, content start, content end). ValueError if bad."""
    if pos + 2 > end:
        raise ValueError("short TLV")
    tag, n = buf[pos], buf[pos + 1]
    if tag & 0x1F == 0x1F:
        raise ValueError("multi-byte tag")
    pos += 2
    if n & 0x80:
        k = n & 0x7F
        if k == 0 or k > 4 or pos + k > end:
            raise ValueError("bad length")
        n = int.from_bytes(buf[pos:pos + k], "big")
        pos += k
    if pos + n > end:
        raise ValueError("TLV past end")
    return tag, pos, pos + n


_DER_STRINGS: dict[int, str] = {
    0x0C: "utf-8",  # UTF8String
    0x12: "latin-1",  # NumericString
    0x13: "latin-1",  # PrintableString
    0x14: "latin-1",  # T61String (treated as Latin-1, as most tools do)
    0x16: "latin-1",  # IA5String
    0x1A: "latin-1",  # VisibleString
    0x1C: "utf-32-be",  # UniversalString
    0x1E: "utf-16-be",  # BMPString
}


def dn_rfc4514(der: bytes) -> str | None:
    """RFC 4514 text of a DER DistinguishedName, formatted by ``cryptography``, or None.

    ``cryptography`` has no loader for a bare Name, so the RDNs are walked here and the
    formatting (escaping, attribute short names) is left to cryptography, which keeps the
    text identical to the certificate subjects tlslens prints elsewhere."""
    try:
        from cryptography import x509
        from cryptography.x509.oid import ObjectIdentifier

        tag, pos, end = _der_tlv(der, 0, len(der))
        if tag != 0x30 or end != len(der):
            return None
        rdns = []
        while pos < end:
            tag, spos, send = _der_tlv(der, pos, end)
            if tag != 0x31:
                return None
            attrs = []
            while spos < send:
                tag, apos, aend = _der_tlv(der, spos, send)
                if tag != 0x30:
                    return None
                otag, opos, oend = _der_tlv(der, apos, aend)
                vtag, vpos, vend = _der_tlv(der, oend, aend)
                if otag != 0x06 or vend != aend or vtag not in _DER_STRINGS:
                    return None
                value = der[vpos:vend].decode(_DER_STRINGS[vtag])
                oid = ObjectIdentifier(oid_text(der[opos:oend]))
                attrs.append(x509.NameAttribute(oid, value))
                spos = aend
            rdns.append(x509.RelativeDistinguishedName(attrs))
            pos = send
        return x509.Name(rdns).rfc4514_string()
    except (ValueError, TypeError, UnicodeDecodeError):
        return None


# -- generic shapes ------------------------------------------------------------------------
def _empty(r: Reader) -> dict[str, Any]:
    """An extension whose presence is the message (EMS, EtM, an acknowledgement)."""
    return {}


def _empty_list(r: Reader) -> list[Any]:
    """An acknowledgement of an extension whose full form is a list."""
    return []


def _u8(r: Reader) -> int:
    return r.u8()


def _u16(r: Reader) -> int:
    return r.u16()


def _u8_list(r: Reader) -> list[int]:
    return r.u8_list(1)


def _hex_u8(r: Reader) -> str:
    return _hex(r.opaque(1))


def _hex_u16(r: Reader) -> str:
    return _hex(r.opaque(2))


def _coded_u16_list(table: str, lenlen: int = 2) -> Parser:
    def parse(r: Reader) -> list[dict[str, object]]:
        return [coded(table, v) for v in r.u16_list(lenlen, table)]
    parse.__name__ = f"_coded_{table}_list"
    return parse


def _protocol_list(r: Reader) -> list[str]:
    """ProtocolNameList (RFC 7301): opaque ProtocolName<1..2^8-1> in a u16 vector."""
    return r.vector(2, lambda i: wire_text(i.opaque(1, "protocol name")), "protocol list")


def _alpn_selected(r: Reader) -> str:
    """The server's ALPN reply: a ProtocolNameList holding exactly one name."""
    names = _protocol_list(r)
    if len(names) != 1:
        raise DecodeError(r.pos, f"server ALPN must name one protocol, got {len(names)}")
    return names[0]


# -- RFC 6066 and friends ---------------------------------------------------------------
def _server_name_list(r: Reader) -> list[dict[str, object]]:
    """ServerNameList (RFC 6066 3). Every NameType is read as opaque<1..2^16-1>, as in
    RFC 4366, so an unknown type does not stop the list."""
    def entry(i: Reader) -> dict[str, object]:
        return {"type": i.u8("name type"), "name": wire_text(i.opaque(2, "host name"))}
    return r.vector(2, entry, "server name list")


def _trusted_ca_keys(r: Reader) -> list[dict[str, object]]:
    """TrustedAuthorities (RFC 6066 6): type 0 pre_agreed has no value; 1 and 3 are SHA-1
    hashes; 2 is a DER DistinguishedName."""
    def entry(i: Reader) -> dict[str, object]:
        t = i.u8("identifier type")
        if t == 0:
            value = None
        elif t in (1, 3):
            value = _hex(i.bytes(20, "sha1 hash"))
        elif t == 2:
            value = _hex(i.opaque(2, "distinguished name"))
        else:
            raise DecodeError(i.pos - 1, f"unknown trusted authority type {t}")
        return {"type": t, "value": value}
    return r.vector(2, entry, "trusted authorities")


def _ocsp_request(r: Reader) -> dict[str, object]:
    return {"responder_ids": r.vector(2, lambda i: _hex(i.opaque(2, "responder id")),
                                      "responder id list"),
            "request_extensions": _hex(r.opaque(2, "request extensions"))}


def _status_request(r: Reader) -> dict[str, object]:
    """CertificateStatusRequest (RFC 6066 8): type 1 is OCSP; other types keep hex."""
    t = r.u8("status type")
    if t == 1:
        return {"type": t, **_ocsp_request(r), "request": None}
    return {"type": t, "responder_ids": [], "request_extensions": None,
            "request": _hex(r.rest())}


def _certificate_status(r: Reader) -> dict[str, object]:
    """CertificateStatus in a TLS 1.3 CertificateEntry (RFC 8446 4.4.2.1)."""
    t = r.u8("status type")
    return {"type": t, "ocsp": _hex(r.opaque(3, "OCSP response"))}


def _status_request_v2(r: Reader) -> list[dict[str, object]]:
    """CertificateStatusRequestListV2 (RFC 6961 2.2): each request has its own length."""
    def item(i: Reader) -> dict[str, object]:
        t = i.u8("status type")
        with i.block(2, "request") as req:
            if t in (1, 2):  # ocsp, ocsp_multi
                return {"type": t, **_ocsp_request(req), "request": None}
            return {"type": t, "responder_ids": [], "request_extensions": None,
                    "request": _hex(req.rest())}
    return r.vector(2, item, "status request list")


# -- certificate type negotiation (RFC 6091, RFC 7250) ----------------------------------
def _cert_types(r: Reader) -> list[dict[str, object]]:
    return [coded("certificate_types", v) for v in r.u8_list(1, "certificate types")]


def _cert_type(r: Reader) -> dict[str, object]:
    return coded("certificate_types", r.u8("certificate type"))


# -- RFC 6962 / 9162 transparency -------------------------------------------------------
def _sct(r: Reader) -> dict[str, object]:
    """One SerializedSCT (RFC 6962 3.2). Only v1 (0) has a known layout."""
    with r.block(2, "SCT") as s:
        version = s.u8("SCT version")
        if version != 0:
            s.rest()
            return {"version": version, "log_id": None, "timestamp": None,
                    "extensions": None, "signature_algorithm": None, "signature": None}
        return {"version": version,
                "log_id": _hex(s.bytes(32, "log id")),
                "timestamp": s.uint(8, "timestamp"),
                "extensions": _hex(s.opaque(2, "CT extensions")),
                "signature_algorithm": coded("signature_schemes", s.u16("signature algorithm")),
                "signature": _hex(s.opaque(2, "signature"))}


def _sct_list(r: Reader) -> list[dict[str, object]]:
    return r.vector(2, _sct, "SCT list")


def _trans_items(r: Reader) -> list[dict[str, object]]:
    """TransItemList (RFC 9162 6.3): each item starts with its VersionedTransType."""
    def item(i: Reader) -> dict[str, object]:
        with i.block(2, "trans item") as t:
            return {"versioned_type": t.u16("versioned type"), "data": _hex(t.rest())}
    return r.vector(2, item, "trans item list")


# -- misc TLS 1.2-era extensions -------------------------------------------------------
def _use_srtp(r: Reader) -> dict[str, object]:
    """UseSRTPData (RFC 5764 4.1.1): profiles are two-byte values, then the MKI."""
    return {"profiles": r.u16_list(2, "SRTP profiles"), "mki": _hex(r.opaque(1, "srtp_mki"))}


def _heartbeat(r: Reader) -> dict[str, object]:
    return coded("heartbeat_modes", r.u8("heartbeat mode"))


def _padding(r: Reader) -> dict[str, object]:
    body = r.rest()
    return {"length": len(body), "all_zero": not any(body)}


def _token_binding(r: Reader) -> dict[str, object]:
    """RFC 8472: protocol version, then the key parameters (one in the server's reply)."""
    return {"major": r.u8("major"), "minor": r.u8("minor"),
            "key_parameters": r.u8_list(1, "key parameters")}


def _cached_info_client(r: Reader) -> list[dict[str, object]]:
    """CachedInformation (RFC 7924 3), client form: type plus hash_value<1..255>."""
    def obj(i: Reader) -> dict[str, object]:
        return {"type": i.u8("cached info type"), "hash": _hex(i.opaque(1, "hash value"))}
    return r.vector(2, obj, "cached info")


def _cached_info_server(r: Reader) -> list[dict[str, object]]:
    """CachedInformation (RFC 7924 3), server form: types only."""
    return [{"type": t, "hash": None} for t in r.u8_list(2, "cached info")]


def _record_size_limit(r: Reader) -> int:
    return r.u16("record size limit")


def _srp(r: Reader) -> str:
    return wire_text(r.opaque(1, "srp_I"))


def _pwd_clear(r: Reader) -> str:
    return wire_text(r.opaque(1, "username"))


def _ticket_pinning_client(r: Reader) -> dict[str, object]:
    """RFC 8672 2.2: the client sends its pinning ticket (empty on first contact)."""
    return {"ticket": _hex(r.opaque(2, "pinning ticket"))}


def _ticket_pinning_server(r: Reader) -> dict[str, object]:
    return {"proof": _hex(r.opaque(1, "pinning proof")),
            "ticket": _hex(r.opaque(2, "pinning ticket")),
            "lifetime": r.u32("pinning ticket lifetime")}


def _delegated_credential(r: Reader) -> dict[str, object]:
    """DelegatedCredential (RFC 9345 4) as sent in a CertificateEntry."""
    return {"valid_time": r.u32("valid_time"),
            "dc_cert_verify_algorithm": coded("signature_schemes", r.u16("dc algorithm")),
            "public_key": _hex(r.opaque(3, "ASN1_subjectPublicKeyInfo")),
            "algorithm": coded("signature_schemes", r.u16("algorithm")),
            "signature": _hex(r.opaque(2, "signature"))}


def _session_ticket(r: Reader) -> dict[str, object]:
    body = r.rest()
    return {"length": len(body), "ticket": _hex(body)}


def _renegotiation_info(r: Reader) -> dict[str, object]:
    return {"renegotiated_connection": _hex(r.opaque(1, "renegotiated_connection"))}


def _npn_server(r: Reader) -> list[str]:
    """NPN server list (draft-agl-tls-nextprotoneg): protocols fill the body, no vector
    length."""
    out: list[str] = []
    while not r.at_end():
        out.append(wire_text(r.opaque(1, "protocol")))
    return out


# -- TLS 1.3 (RFC 8446) ----------------------------------------------------------------
def _psk_offered(r: Reader) -> dict[str, object]:
    """OfferedPsks (RFC 8446 4.2.11)."""
    def identity(i: Reader) -> dict[str, object]:
        return {"identity": _hex(i.opaque(2, "identity")),
                "obfuscated_ticket_age": i.u32("obfuscated_ticket_age")}
    return {"identities": r.vector(2, identity, "identities"),
            "binders": r.vector(2, lambda i: _hex(i.opaque(1, "binder")), "binders")}


def _psk_selected(r: Reader) -> dict[str, object]:
    return {"selected_identity": r.u16("selected_identity")}


def _early_data_nst(r: Reader) -> dict[str, object]:
    return {"max_early_data_size": r.u32("max_early_data_size")}


def _versions_list(r: Reader) -> list[dict[str, object]]:
    return [_version(v) for v in r.u16_list(1, "versions")]


def _version_selected(r: Reader) -> dict[str, object]:
    return _version(r.u16("selected_version"))


def _key_share_entry(r: Reader) -> dict[str, object]:
    group = r.u16("group")
    key = r.opaque(2, "key_exchange")
    return {"group": coded("groups", group), "key_exchange_length": len(key),
            "key_exchange": _hex(key)}


def _key_share_client(r: Reader) -> list[dict[str, object]]:
    shares = _key_shares_direct(r)
    if shares is not None:
        return shares
    return r.vector(2, _key_share_entry, "client_shares")


def _key_shares_direct(r: Reader) -> list[dict[str, object]] | None:
    """The client_shares vector read straight from the bytes when every entry fits
    exactly (the common case: the key share is in every TLS 1.3 hello, different each
    time, so never remembered); None, with ``r`` unmoved, for the Reader path and its
    errors."""
    buf, pos, end = r.window()
    if end - pos < 2:
        return None
    stop = pos + 2 + ((buf[pos] << 8) | buf[pos + 1])
    if stop > end:
        return None
    out: list[dict[str, object]] = []
    p = pos + 2
    while p < stop:
        if stop - p < 4:
            return None
        n = (buf[p + 2] << 8) | buf[p + 3]
        if p + 4 + n > stop:
            return None
        out.append({"group": coded("groups", (buf[p] << 8) | buf[p + 1]),
                    "key_exchange_length": n, "key_exchange": buf[p + 4:p + 4 + n].hex()})
        p += 4 + n
    r.seek(stop)
    return out


def _key_share_hrr(r: Reader) -> dict[str, object]:
    return {"selected_group": coded("groups", r.u16("selected_group"))}


def _certificate_authorities(r: Reader) -> list[dict[str, object]]:
    def dn(i: Reader) -> dict[str, object]:
        der = i.opaque(2, "distinguished name")
        return {"der": _hex(der), "name": dn_rfc4514(der)}
    return r.vector(2, dn, "authorities")


def _oid_filters(r: Reader) -> list[dict[str, object]]:
    """OIDFilterExtension (RFC 8446 4.2.5). The OID is taken as DER content octets; a full
    DER TLV (tag 6) is accepted too, since RFC 8446 leaves the encoding implicit."""
    def entry(i: Reader) -> dict[str, object]:
        raw = bytes(i.opaque(1, "certificate_extension_oid"))
        content = raw
        if len(raw) >= 2 and raw[0] == 0x06 and raw[1] == len(raw) - 2:
            content = raw[2:]
        try:
            oid: str | None = oid_text(content)
        except (ValueError, IndexError):
            oid = None
        return {"oid": oid, "oid_raw": _hex(raw),
                "values": _hex(i.opaque(2, "certificate_extension_values"))}
    return r.vector(2, entry, "filters")


# -- newer and draft extensions --------------------------------------------------------
def _varint(r: Reader) -> int:
    """QUIC variable-length integer (RFC 9000 16)."""
    first = r.u8("varint")
    size = 1 << (first >> 6)
    v = first & 0x3F
    for _ in range(size - 1):
        v = (v << 8) | r.u8("varint")
    return v


def _quic_transport_parameters(r: Reader) -> list[dict[str, object]]:
    """RFC 9000 18: (varint id, varint length, value) until the body ends."""
    out: list[dict[str, object]] = []
    while not r.at_end():
        pid = _varint(r)
        n = _varint(r)
        out.append({"id": pid, "length": n, "value": _hex(r.bytes(n, "parameter value"))})
    return out


def _ticket_request_client(r: Reader) -> dict[str, object]:
    """ClientTicketRequest (RFC 9149 3)."""
    return {"new_session_count": r.u8("new_session_count"),
            "resumption_count": r.u8("resumption_count")}


def _ticket_request_server(r: Reader) -> dict[str, object]:
    return {"expected_count": r.u8("expected_count")}


def _dnssec_chain_client(r: Reader) -> dict[str, object]:
    """RFC 9102 3: the client names the port it is connecting to."""
    return {"port": r.u16("PortNumber")}


def _dnssec_chain_server(r: Reader) -> dict[str, object]:
    return {"ext_support_lifetime": r.u16("ExtSupportLifetime"),
            "authentication_chain": _hex(r.opaque(2, "AuthenticationChain"))}


def _tls_flags(r: Reader) -> dict[str, object]:
    """FlagExtensions (draft-ietf-tls-tlsflags): flag N is bit N%8 (LSB first) of byte
    N//8."""
    raw = bytes(r.opaque(1, "flags"))
    flags = [8 * i + b for i, byte in enumerate(raw) for b in range(8) if byte >> b & 1]
    return {"flags": flags}


def _alps_server(r: Reader) -> dict[str, object]:
    """ALPS (draft-vvv-tls-alps) in EncryptedExtensions: the server's opaque settings."""
    return {"settings": _hex(r.rest())}


def _ech_client(r: Reader) -> dict[str, object]:
    """ECHClientHello (RFC 9849 5): outer (0) carries the HPKE fields, inner (1) none."""
    t = r.u8("ECHClientHelloType")
    if t != 0:
        return {"type": t, "kdf_id": None, "aead_id": None, "config_id": None,
                "enc": None, "payload_length": None}
    kdf, aead, config_id = r.u16("kdf_id"), r.u16("aead_id"), r.u8("config_id")
    enc = r.opaque(2, "enc")
    payload = r.opaque(2, "payload")
    return {"type": t, "kdf_id": kdf, "aead_id": aead, "config_id": config_id,
            "enc": _hex(enc), "payload_length": len(payload)}


def _ech_retry_configs(r: Reader) -> dict[str, object]:
    """ECHConfigList retry_configs in EncryptedExtensions (RFC 9849 7.1)."""
    configs = r.opaque(2, "retry_configs")
    return {"retry_configs": _hex(configs), "length": len(configs)}


def _ech_hrr(r: Reader) -> dict[str, object]:
    return {"confirmation": _hex(r.bytes(8, "accept_confirmation"))}


def _ech_outer_extensions(r: Reader) -> list[int]:
    return r.u16_list(1, "OuterExtensions")


# -- dispatch tables -------------------------------------------------------------------
#: Formats that are the same in every message they may appear in.
ANY_CONTEXT_PARSERS: dict[int, Parser] = {
    1: _u8,  # max_fragment_length
    2: _empty,  # client_certificate_url
    3: _trusted_ca_keys,
    4: _empty,  # truncated_hmac
    6: _u8_list,  # user_mapping (RFC 4681): UserMappingTypeList
    7: _u8_list,  # client_authz (RFC 5878): AuthzDataFormats
    8: _u8_list,  # server_authz
    10: _coded_u16_list("groups"),  # supported_groups
    11: _u8_list,  # ec_point_formats
    12: _srp,
    13: _coded_u16_list("signature_schemes"),  # signature_algorithms
    14: _use_srtp,
    15: _heartbeat,
    21: _padding,
    22: _empty,  # encrypt_then_mac
    23: _empty,  # extended_master_secret
    24: _token_binding,
    26: _empty,  # tls_lts
    27: _coded_u16_list("cert_compression", 1),  # compress_certificate
    28: _record_size_limit,
    29: _hex_u8,  # pwd_protect: the encrypted username
    30: _pwd_clear,
    31: _hex_u16,  # password_salt
    33: _empty,  # tls_cert_with_extern_psk
    35: _session_ticket,
    44: _hex_u16,  # cookie
    45: _u8_list,  # psk_key_exchange_modes
    47: _certificate_authorities,
    48: _oid_filters,
    49: _empty,  # post_handshake_auth
    50: _coded_u16_list("signature_schemes"),  # signature_algorithms_cert
    53: _hex_u8,  # connection_id (draft code point)
    54: _hex_u8,  # connection_id (RFC 9146)
    55: _hex_u8,  # external_id_hash
    56: _hex_u8,  # external_session_id
    57: _quic_transport_parameters,
    61: _empty,  # rrc
    62: _tls_flags,
    0xFD00: _ech_outer_extensions,
    0xFF01: _renegotiation_info,
    30031: _empty,  # channel_id (old)
    30032: _empty,  # channel_id
    35655: _padding,  # pre-RFC 7685 padding code point
}


def _build_context_table() -> dict[tuple[str, int], Parser]:
    table: dict[tuple[str, int], Parser] = {}

    def add(code: int, parser: Parser, *contexts: str) -> None:
        for ctx in contexts:
            table[(ctx, code)] = parser

    add(0, _server_name_list, CH)
    add(0, _empty_list, *_SERVER_REPLY)  # the server's acknowledgement is empty
    add(5, _status_request, CH, CR)
    add(5, _empty, *_SERVER_REPLY)
    add(5, _certificate_status, CT)
    add(9, _cert_types, CH)
    add(9, _cert_type, SH)
    add(16, _protocol_list, CH)
    add(16, _alpn_selected, *_SERVER_REPLY)
    add(17, _status_request_v2, CH)
    add(17, _empty, SH)
    add(18, _empty_list, CH, CR)
    add(18, _sct_list, SH, CT)
    for code in (19, 20):  # client_ / server_certificate_type
        add(code, _cert_types, CH)
        add(code, _cert_type, *_SERVER_REPLY)
    add(25, _cached_info_client, CH)
    add(25, _cached_info_server, *_SERVER_REPLY)
    add(32, _ticket_pinning_client, CH)
    add(32, _ticket_pinning_server, *_SERVER_REPLY)
    add(34, _coded_u16_list("signature_schemes"), CH, CR)
    add(34, _delegated_credential, CT)
    add(39, _u8_list, CH)  # supported_ekt_ciphers (RFC 8870)
    add(39, _u8, *_SERVER_REPLY)
    add(41, _psk_offered, CH)
    add(41, _psk_selected, SH)
    add(42, _empty, CH, EE)
    add(42, _early_data_nst, NST)
    add(46, _early_data_nst, NST)  # ticket_early_data_info (TLS 1.3 drafts)
    add(43, _versions_list, CH)
    add(43, _version_selected, SH, HRR)
    for code in (51, 40):  # key_share and its draft code point
        add(code, _key_share_client, CH)
        add(code, _key_share_entry, SH)
        add(code, _key_share_hrr, HRR)
    add(52, _empty_list, CH, CR)
    add(52, _trans_items, CT)
    add(58, _ticket_request_client, CH)
    add(58, _ticket_request_server, EE)
    add(59, _dnssec_chain_client, CH)
    add(59, _dnssec_chain_server, CT)
    for code in (17513, 17613):  # application_settings (ALPS) old and new
        add(code, _protocol_list, CH)
        add(code, _alps_server, EE)
    add(0xFE0D, _ech_client, CH)
    add(0xFE0D, _ech_hrr, HRR)
    add(0xFE0D, _ech_retry_configs, EE)
    add(13172, _empty, CH)  # next_protocol_negotiation
    add(13172, _npn_server, SH)
    return table


#: ``(context, code) -> parser`` for formats that depend on the message.
EXTENSION_PARSERS: dict[tuple[str, int], Parser] = _build_context_table()


# -- entry points ----------------------------------------------------------------------
def _label(code: int) -> str:
    ext_name = name("extensions", code)
    return f"{ext_name} ({code})" if ext_name else f"extension {code}"


def _decode(code: int, data: bytes, context: str) -> tuple[Extension, str | None]:
    """Decode one body; also say which problem id applies, if any."""
    if is_grease(code):
        return Extension(code, data), None
    parser = EXTENSION_PARSERS.get((context, code)) or ANY_CONTEXT_PARSERS.get(code)
    if parser is None:
        return Extension(code, data), None
    r = Reader(data)
    try:
        value = parser(r)
    except DecodeError as e:
        return Extension(code, data, None, f"{_label(code)} in {context}: {e}"), \
            "tls.ext.malformed"
    if not r.at_end():
        return Extension(code, data, value, f"{_label(code)} in {context}: {r.remaining} "
                         f"trailing bytes at offset {r.pos}"), "tls.ext.trailing_bytes"
    return Extension(code, data, value), None


#: Extensions whose bodies differ in every hello (key material, tickets, PSK binders,
#: encrypted ClientHello): not worth remembering.
_UNIQUE_BODIES = frozenset({40, 41, 51, 35, 0xFE0D, 0xFFCE})
#: Bodies longer than this are decoded every time (and never kept).
_CACHE_BODY_MAX = 2048


def recurring_body(code: int, data: bytes) -> bool:
    """Whether a body is worth remembering: a capture's hellos come from a handful of
    client and server configurations, so the same SNI, groups, signature algorithms,
    ALPN, ... bodies recur thousands of times, and decoding each once is a large share
    of a big capture's analysis. An empty body recurs whatever its code (an empty
    session_ticket, "tickets welcome", is in most hellos)."""
    return (code not in _UNIQUE_BODIES or not data) and len(data) <= _CACHE_BODY_MAX


# ``Extension`` is frozen and its decoded ``data`` is only ever read (reports copy it),
# so one instance can be shared by every hello that sent the same body.
_decode_remembered = functools.lru_cache(maxsize=4096)(_decode)
_undecoded_remembered = functools.lru_cache(maxsize=4096)(Extension)


def _decode_cached(code: int, data: bytes, context: str) -> tuple[Extension, str | None]:
    """:func:`_decode`, remembered by (code, body, context) for recurring bodies."""
    return (_decode_remembered if recurring_body(code, data) else _decode)(code, data, context)


def decode_paths() -> tuple[Any, Any, frozenset[int], int]:
    """What :func:`_decode_cached` chooses between, and by which rule
    (:func:`recurring_body`): (the remembering decoder, the plain one, the codes whose
    bodies differ every time, the longest body remembered). For the compiled hello
    reader, which applies the rule itself instead of calling a Python function per
    extension."""
    return _decode_remembered, _decode, _UNIQUE_BODIES, _CACHE_BODY_MAX


def _undecoded(code: int, data: bytes) -> Extension:
    """``Extension(code, data)`` without decoded fields (the fingerprint path), shared
    like :func:`_decode_cached`'s."""
    return (_undecoded_remembered if recurring_body(code, data) else Extension)(code, data)


def decode_extension(code: int, data: bytes, context: str) -> Extension:
    """Decode one extension body (the bytes after its 4-byte header) in ``context``.

    Unknown and GREASE code points keep ``data=None`` without an error; a body that does
    not parse keeps ``data=None`` and says why in ``error``; trailing bytes keep the data
    and set ``error``."""
    return _decode(code, bytes(data), context)[0]


def parse_extensions(data: bytes, context: str, decode: bool = True
                     ) -> tuple[tuple[Extension, ...], list[tuple[str, str]]]:
    """Split and decode an extensions block (the bytes after its 2-byte total length).

    Returns the extensions in wire order and ``(anomaly_id, detail)`` problems. A cut
    block keeps the extensions before the cut and reports ``tls.hs.truncated``. With
    ``decode=False`` the extensions are only split (``data`` None): the fingerprint-only
    path needs the codes and raw bytes, not the report's decoded fields."""
    buf = bytes(data)
    end = len(buf)
    pos = 0
    out: list[Extension] = []
    problems: list[tuple[str, str]] = []
    seen: set[int] = set()
    while pos < end:
        if end - pos < 4:
            detail = (f"extensions block in {context}: {end - pos} bytes left at offset "
                      f"{pos}, an extension header needs 4")
            problems.append(("tls.hs.truncated", detail))
            break
        code = (buf[pos] << 8) | buf[pos + 1]
        length = (buf[pos + 2] << 8) | buf[pos + 3]
        if pos + 4 + length > end:
            detail = (f"{_label(code)} in {context}: body of {length} bytes at offset "
                      f"{pos + 4}, only {end - pos - 4} left")
            problems.append(("tls.hs.truncated", detail))
            break
        if decode:
            ext, problem = _decode_cached(code, buf[pos + 4:pos + 4 + length], context)
        else:
            ext, problem = _undecoded(code, buf[pos + 4:pos + 4 + length]), None
        out.append(ext)
        if problem is not None:
            problems.append((problem, ext.error or ""))
        if code in seen:
            detail = f"{_label(code)} appears more than once in {context}"
            problems.append(("tls.ext.duplicate", detail))
        seen.add(code)
        pos += 4 + length
    return tuple(out), problems
