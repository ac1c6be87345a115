"""Builders for real certificates (signed by cryptography) used by the x509 tests.

Imported by the test modules (pytest puts this folder on sys.path).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed448, ed25519
from cryptography.x509.oid import NameOID

UTC = dt.UTC


def name(cn: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org is not None:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


def sign_hash(key: Any) -> hashes.HashAlgorithm | None:
    """Ed25519/Ed448 sign without a separate hash."""
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return None
    return hashes.SHA256()


def build(
    *,
    subject: x509.Name,
    issuer: x509.Name | None = None,
    public_key: Any,
    signing_key: Any,
    serial: int = 0x5A9,
    not_before: dt.datetime = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    not_after: dt.datetime = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
    extensions: Sequence[tuple[x509.ExtensionType, bool]] = (),
    hash_alg: hashes.HashAlgorithm | None | str = "auto",
) -> bytes:
    """A DER certificate built and signed by cryptography."""
    b = (x509.CertificateBuilder()
         .subject_name(subject).issuer_name(issuer if issuer is not None else subject)
         .public_key(public_key).serial_number(serial)
         .not_valid_before(not_before).not_valid_after(not_after))
    for ext, critical in extensions:
        b = b.add_extension(ext, critical=critical)
    algorithm = sign_hash(signing_key) if hash_alg == "auto" else hash_alg
    cert = b.sign(signing_key, algorithm)  # type: ignore[arg-type]
    return cert.public_bytes(serialization.Encoding.DER)


def replace_once(der: bytes, old: bytes, new: bytes) -> bytes:
    """Swap one byte run for another of the same length (DER surgery; the signature breaks)."""
    assert len(old) == len(new) and der.count(old) == 1, "pattern must occur exactly once"
    return der.replace(old, new)


def sct_list(*scts: tuple[bytes, int, bytes]) -> bytes:
    """RFC 6962 SignedCertificateTimestampList, TLS-encoded, from (log_id, ms, signature)."""
    items = b""
    for log_id, ms, sig in scts:
        body = (b"\x00" + log_id + ms.to_bytes(8, "big") + b"\x00\x00"
                + b"\x04\x03" + len(sig).to_bytes(2, "big") + sig)  # sha256 / ecdsa
        items += len(body).to_bytes(2, "big") + body
    return len(items).to_bytes(2, "big") + items


def der_octet_string(data: bytes) -> bytes:
    assert len(data) < 128
    return b"\x04" + bytes([len(data)]) + data


SHA256_WITH_RSA = bytes.fromhex("06092a864886f70d01010b")


def resign_rsa_legacy(der: bytes, key: Any, oid_last: int, hash_alg: Any) -> bytes:
    """Re-sign an RSA/SHA-256 certificate as md5/sha1WithRSAEncryption.

    cryptography's builder refuses SHA-1 and MD5, yet captures are full of them. The
    PKCS#1 v1.5 OIDs differ only in their last byte and the signature keeps its length,
    so swapping the OIDs and the signature bytes keeps every DER length valid.
    """
    from cryptography.hazmat.primitives.asymmetric import padding

    cert = x509.load_der_x509_certificate(der)
    new_oid = SHA256_WITH_RSA[:-1] + bytes([oid_last])
    tbs = cert.tbs_certificate_bytes.replace(SHA256_WITH_RSA, new_oid)
    signature = key.sign(tbs, padding.PKCS1v15(), hash_alg)
    assert len(signature) == len(cert.signature) and der.count(SHA256_WITH_RSA) == 2
    return der.replace(SHA256_WITH_RSA, new_oid).replace(cert.signature, signature)
