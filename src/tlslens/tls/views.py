"""The few hello fields every layer asks for, read straight from extension bytes.

Fingerprints, session logic and the report all want the SNI, ALPN list, groups, versions,
... of a hello as raw ints in wire order. They are read here from the raw extension bytes
(not from the report-oriented ``Extension.data``) so a malformed extension elsewhere in
the hello, or a change in the report shape, never changes a fingerprint.
"""

from __future__ import annotations

import functools
from typing import Any

from tlslens.tls.extensions import wire_text
from tlslens.tls.messages import Extension
from tlslens.tls.reader import DecodeError, Reader

SERVER_NAME = 0
SUPPORTED_GROUPS = 10
EC_POINT_FORMATS = 11
SIGNATURE_ALGORITHMS = 13
ALPN = 16
PRE_SHARED_KEY = 41
SUPPORTED_VERSIONS = 43
CERTIFICATE_AUTHORITIES = 47
SIGNATURE_ALGORITHMS_CERT = 50
KEY_SHARE = 51
KEY_SHARE_OLD = 40
PSK_KEY_EXCHANGE_MODES = 45


def _first_host_name(r: Reader) -> str | None:
    with r.block(2, "server_name_list") as lst:
        while not lst.at_end():
            name_type = lst.u8("name_type")
            name = lst.opaque(2, "HostName")
            if name_type == 0:
                lst.rest()
                return wire_text(name)
    return None


def _alpn_list(r: Reader) -> tuple[str, ...]:
    return tuple(wire_text(p) for p in r.vector(2, lambda x: x.opaque(1, "ProtocolName"),
                                               "protocol_name_list"))


def _key_share_groups(r: Reader) -> tuple[int, ...]:
    groups: list[int] = []
    with r.block(2, "client_shares") as lst:
        while not lst.at_end():
            groups.append(lst.u16("group"))
            lst.opaque(2, "key_exchange")
    return tuple(groups)


def _psk_identities(r: Reader) -> int:
    with r.block(2, "identities") as lst:
        n = 0
        while not lst.at_end():
            lst.opaque(2, "identity")
            lst.u32("obfuscated_ticket_age")
            n += 1
    return n


_CLIENT_VIEWS: dict[int, tuple[str, Any]] = {
    SERVER_NAME: ("server_name", _first_host_name),
    ALPN: ("alpn", _alpn_list),
    SUPPORTED_GROUPS: ("supported_groups", lambda r: tuple(r.u16_list(2))),
    EC_POINT_FORMATS: ("ec_point_formats", lambda r: tuple(r.u8_list(1))),
    SIGNATURE_ALGORITHMS: ("signature_algorithms", lambda r: tuple(r.u16_list(2))),
    SIGNATURE_ALGORITHMS_CERT: ("signature_algorithms_cert", lambda r: tuple(r.u16_list(2))),
    SUPPORTED_VERSIONS: ("supported_versions", lambda r: tuple(r.u16_list(1))),
    KEY_SHARE: ("key_share_groups", _key_share_groups),
    PSK_KEY_EXCHANGE_MODES: ("psk_key_exchange_modes", lambda r: tuple(r.u8_list(1))),
    PRE_SHARED_KEY: ("psk_identities", _psk_identities),
}


_UNREADABLE = object()


def _read_view(code: int, raw: bytes) -> Any:
    """The view of one extension body, or _UNREADABLE when it does not parse."""
    try:
        return _CLIENT_VIEWS[code][1](Reader(raw))
    except DecodeError:
        return _UNREADABLE


#: Views of bodies that recur across hellos (not key shares or PSK identities) are
#: remembered: views are immutable (ints, strings, tuples), so one can be handed out again.
_read_view_remembered = functools.lru_cache(maxsize=4096)(_read_view)


def _client_view(code: int, raw: bytes) -> Any:
    recurs = code not in (KEY_SHARE, PRE_SHARED_KEY) and len(raw) <= 2048
    return (_read_view_remembered if recurs else _read_view)(code, raw)


def client_hello_views(exts: tuple[Extension, ...]) -> dict[str, Any]:
    """Keyword arguments for :class:`ClientHello`'s view fields (first occurrence wins).

    TLS 1.3 drafts before 23 sent key_share as extension 40; it counts as key_share
    when the final code point (51) is absent, as Wireshark reads it."""
    out: dict[str, Any] = {}
    has_final_key_share = any(e.code == KEY_SHARE for e in exts)
    for ext in exts:
        code = KEY_SHARE if ext.code == KEY_SHARE_OLD and not has_final_key_share \
            else ext.code
        spec = _CLIENT_VIEWS.get(code)
        if spec is None or spec[0] in out:
            continue
        value = _client_view(code, ext.raw)
        if value is not _UNREADABLE:
            out[spec[0]] = value
    return out


def server_hello_views(exts: tuple[Extension, ...], hrr: bool) -> dict[str, Any]:
    """Keyword arguments for :class:`ServerHello`'s view fields."""
    out: dict[str, Any] = {"selected_version": None, "alpn": None, "key_share_group": None,
                           "ec_point_formats": ()}
    for ext in exts:
        try:
            r = Reader(ext.raw)
            if ext.code == SUPPORTED_VERSIONS and len(ext.raw) == 2:
                out["selected_version"] = r.u16()
            elif ext.code == ALPN:
                names = _alpn_list(r)
                out["alpn"] = names[0] if names else None
            elif ext.code in (KEY_SHARE, KEY_SHARE_OLD) and len(ext.raw) >= 2:
                out["key_share_group"] = r.u16()
            elif ext.code == EC_POINT_FORMATS:
                out["ec_point_formats"] = tuple(r.u8_list(1))
        except DecodeError:
            continue
    return out


def certificate_request_views(exts: tuple[Extension, ...]) -> tuple[tuple[int, ...],
                                                                     tuple[bytes, ...]]:
    """TLS 1.3 CertificateRequest: signature algorithms and CA names from its extensions."""
    algs: tuple[int, ...] = ()
    cas: tuple[bytes, ...] = ()
    for ext in exts:
        try:
            if ext.code == SIGNATURE_ALGORITHMS:
                algs = tuple(Reader(ext.raw).u16_list(2))
            elif ext.code == CERTIFICATE_AUTHORITIES:
                cas = tuple(Reader(ext.raw).vector(2, lambda x: x.opaque(2, "DN")))
        except DecodeError:
            continue
    return algs, cas
