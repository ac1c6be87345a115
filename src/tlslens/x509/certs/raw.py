"""A minimal DER walk: list the raw extensions when cryptography refuses them as a whole."""

from __future__ import annotations

from typing import cast

from tlslens.der import oid_text
from tlslens.tls.reader import DecodeError, Reader
from tlslens.x509.certs.tables import EXTENSION_NAMES
from tlslens.x509.certs.values import CertExtension


def _tlv(r: Reader) -> tuple[int, Reader]:
    """Read one DER TLV (low tag numbers only); return (tag byte, reader on contents)."""
    tag = r.u8("DER tag")
    if tag & 0x1F == 0x1F:
        raise DecodeError(r.pos - 1, "DER high tag number")
    first = r.u8("DER length")
    if first < 0x80:
        length = first
    elif first == 0x80 or first > 0x84:
        raise DecodeError(r.pos - 1, "DER length form")
    else:
        length = r.uint(first & 0x7F, "DER long length")
    return tag, r.sub(length, "DER contents")


def _rest(r: Reader) -> bytes:
    # Reader.rest is annotated ``-> bytes`` inside a class with a ``bytes`` method, which
    # mypy reads as that method; the cast restores the builtin.
    return cast(bytes, r.rest())


def _dotted(body: bytes) -> str:
    """OBJECT IDENTIFIER contents -> dotted string (X.690 8.19)."""
    try:
        return oid_text(body)
    except ValueError:
        raise DecodeError(0, "OID encoding") from None


def _raw_extensions(der: bytes) -> list[CertExtension]:
    """Extensions straight from the DER, each value ``{"der": hex of extnValue}``."""
    _, cert = _tlv(Reader(der))
    _, tbs = _tlv(cert)
    out: list[CertExtension] = []
    while not tbs.at_end():
        tag, body = _tlv(tbs)
        if tag != 0xA3:  # [3] EXPLICIT Extensions
            continue
        _, exts = _tlv(body)
        while not exts.at_end():
            _, ext = _tlv(exts)
            tag, oid = _tlv(ext)
            if tag != 0x06:
                raise DecodeError(oid.pos, "extension without an OID")
            dotted = _dotted(_rest(oid))
            critical = False
            tag, item = _tlv(ext)
            if tag == 0x01:
                critical = _rest(item) != b"\x00"
                tag, item = _tlv(ext)
            out.append(CertExtension(dotted, EXTENSION_NAMES.get(dotted), critical,
                                     {"der": _rest(item).hex()}))
    return out
