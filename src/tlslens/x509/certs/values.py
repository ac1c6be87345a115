"""Small value objects, and the formatting helpers shared with ``ocsp.py``."""

from __future__ import annotations

import datetime as _dt
from typing import Any, NamedTuple

from cryptography import x509

from tlslens.x509.certs.tables import SIGNATURE_ALGORITHM_NAMES

JSON = Any  # a JSON-ready value: dict / list / str / int / bool / None


class PublicKeyInfo(NamedTuple):
    """``type``: ec|rsa|dsa|dh|ed25519|ed448|x25519|x448|ml-dsa-NN|unknown.

    ``bits`` is the key size for RSA, DSA, DH and EC keys, else the raw public key's
    length in bits (Ed25519 256, Ed448 456); 0 when the key could not be read.
    """

    type: str
    bits: int
    curve: str | None


class SignatureAlgorithm(NamedTuple):
    oid: str
    name: str | None


class CertExtension(NamedTuple):
    """One extension; ``value`` is JSON-ready (``{"der": hex}`` when not decoded)."""

    oid: str
    name: str | None
    critical: bool
    value: JSON


def serial_hex(value: int) -> str:
    """The report's serial form: big-endian hex of the integer, no sign byte, even length.

    A negative serial (forbidden by RFC 5280, seen in the wild) is written as the minimal
    two's complement bytes, i.e. the DER INTEGER contents; ``CertSummary.serial_negative``
    says when that happened.
    """
    if value >= 0:
        return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big").hex()
    length = (~value).bit_length() // 8 + 1
    return value.to_bytes(length, "big", signed=True).hex()


def format_time(value: _dt.datetime | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SSZ`` in UTC (zero-padded even for years before 1000)."""
    if value is None:
        return None
    if value.tzinfo is not None:
        value = value.astimezone(_dt.UTC)
    return (f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
            f"T{value.hour:02d}:{value.minute:02d}:{value.second:02d}Z")


def _format_ms(value: _dt.datetime) -> str:
    """SCT timestamps carry milliseconds; keep them."""
    base = format_time(value)
    assert base is not None
    return f"{base[:-1]}.{value.microsecond // 1000:03d}Z"


def _oid_name(oid: x509.ObjectIdentifier) -> str | None:
    name = getattr(oid, "_name", None)
    return None if not name or name == "Unknown OID" else str(name)


def signature_algorithm(oid: x509.ObjectIdentifier) -> SignatureAlgorithm:
    """OID -> (dotted, RFC name); falls back to cryptography's own name for the OID."""
    dotted = oid.dotted_string
    return SignatureAlgorithm(dotted, SIGNATURE_ALGORITHM_NAMES.get(dotted) or _oid_name(oid))


def error_message(exc: BaseException) -> str:
    """``Type: message`` on one line, for ``errors`` entries and anomaly details."""
    text = str(exc).strip().replace("\n", " ")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
