"""Certificate accessors (tolerant: a field that did not decode reads as absent)."""

from __future__ import annotations

import hashlib
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from tlslens.analysis.esim.lookup import _ci_key
from tlslens.analysis.esim.values import CiInfo
from tlslens.x509.certs import CertSummary, verify_signed_by


def _ext(cert: CertSummary, ext_name: str) -> tuple[bool, Any] | None:
    """(critical, decoded value) or None when absent; value None when not decoded."""
    e = cert.extension(ext_name)
    if e is None:
        return None
    value = e.value
    if isinstance(value, dict) and set(value) == {"der"}:
        value = None
    return e.critical, value


def _ski(cert: CertSummary) -> str | None:
    e = _ext(cert, "subjectKeyIdentifier")
    return e[1] if e is not None and isinstance(e[1], str) else None


def _aki(cert: CertSummary) -> str | None:
    e = _ext(cert, "authorityKeyIdentifier")
    if e is None or not isinstance(e[1], dict):
        return None
    return e[1].get("key_identifier")


def _san(cert: CertSummary, kind: str) -> list[str]:
    e = _ext(cert, "subjectAltName")
    if e is None or not isinstance(e[1], list):
        return []
    return [g["value"] for g in e[1] if isinstance(g, dict) and g.get("type") == kind]


def _policies(cert: CertSummary) -> list[str]:
    e = _ext(cert, "certificatePolicies")
    if e is None or not isinstance(e[1], list):
        return []
    return [p["policy"] for p in e[1] if isinstance(p, dict) and "policy" in p]


def _cn(name_obj: x509.Name | None) -> str | None:
    if name_obj is None:
        return None
    try:
        attrs = name_obj.get_attributes_for_oid(NameOID.COMMON_NAME)
        value = attrs[0].value if attrs else None
    except Exception:  # noqa: BLE001 - an undecodable name is simply no name
        return None
    return value if isinstance(value, str) else None


def _spki(cert: CertSummary) -> bytes | None:
    if cert.cert is None:
        return None
    try:
        return cert.cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    except Exception:  # noqa: BLE001 - an unreadable key cannot match any CI
        return None


def _same_key(cert: CertSummary, ci: CiInfo) -> bool | None:
    mine = _spki(cert)
    if mine is None or ci.public_key is None:
        return None
    try:
        theirs = _ci_key(ci.public_key).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    except Exception:  # noqa: BLE001
        return None
    return mine == theirs


def _key_id(cert: CertSummary) -> str | None:
    """The certificate's own key id: its SKI, else SHA-1 of its public key (RFC 5280
    4.2.1.2 method 1, as the GSMA CIs compute theirs)."""
    ski = _ski(cert)
    if ski:
        return ski
    if cert.cert is None:
        return None
    try:
        point = cert.cert.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    except Exception:  # noqa: BLE001 - not an EC key, or unreadable
        return None
    return hashlib.sha1(point).hexdigest()


def _signed_by_ci(cert: CertSummary, ci: CiInfo) -> bool | None:
    if cert.cert is None or ci.public_key is None:
        return None
    try:
        key = _ci_key(ci.public_key)
    except Exception:  # noqa: BLE001 - a CI key cryptography cannot load: unchecked
        return None
    return verify_signed_by(cert.cert, key)
