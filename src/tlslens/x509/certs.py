"""X.509 certificate DER -> :class:`CertSummary`: a guarded wrapper around ``cryptography``.

Why guarded: ``cryptography`` parses lazily. A certificate can load and then ``.extensions``,
``.subject``, ``.not_valid_before_utc`` or ``.public_key()`` each raise on their own. A capture
analyser must report what it *can* read and say what it cannot, so every accessor is tried
separately; a failure becomes a ``(field, message)`` pair in :attr:`CertSummary.errors`
(the caller turns each into an ``x509.field_error`` anomaly), and a DER that does not load at
all still yields a summary with ``parsed=False``, its hashes and its length
(``x509.unparseable``). Nothing here raises on bad input.

The JSON shape produced by :meth:`CertSummary.to_dict` is the ``certificate`` object of the
report contract (``/work/shared/spec/json-report.md``). Values that could not be decoded
are ``null`` there (subject, issuer, serial, times, public_key, signature_algorithm).
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import hashlib
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple, cast

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import (
    dh,
    dsa,
    ec,
    ed448,
    ed25519,
    padding,
    rsa,
    x448,
    x25519,
)
from cryptography.x509 import certificate_transparency as ct

from tlslens.der import oid_text
from tlslens.tls.reader import DecodeError, Reader

try:  # ML-DSA keys exist only in recent cryptography releases.
    from cryptography.hazmat.primitives.asymmetric import mldsa as _mldsa
except ImportError:  # pragma: no cover - depends on the installed cryptography
    _mldsa = None  # type: ignore[assignment]

__all__ = [
    "EXTENSION_NAMES",
    "SIGNATURE_ALGORITHM_NAMES",
    "CertExtension",
    "CertSummary",
    "PublicKeyInfo",
    "SignatureAlgorithm",
    "clear_cache",
    "error_message",
    "extension_entry",
    "format_time",
    "general_name_dict",
    "serial_hex",
    "signature_algorithm",
    "summarize_certificate",
    "verify_signed_by",
]

JSON = Any  # a JSON-ready value: dict / list / str / int / bool / None

# ---------------------------------------------------------------------------------------
# Name tables (facts from RFC 3279, 4055, 5280, 5758, 6962, 7633, 8410, 9336, FIPS 204)
# ---------------------------------------------------------------------------------------

#: signature algorithm OID -> the ASN.1 value name its RFC gives it.
SIGNATURE_ALGORITHM_NAMES: dict[str, str] = {
    "1.2.840.113549.1.1.2": "md2WithRSAEncryption",
    "1.2.840.113549.1.1.3": "md4WithRSAEncryption",
    "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
    "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
    "1.3.14.3.2.29": "sha1WithRSAEncryption",  # the old OIW arc, still seen on old roots
    "1.2.840.113549.1.1.10": "id-RSASSA-PSS",
    "1.2.840.113549.1.1.11": "sha256WithRSAEncryption",
    "1.2.840.113549.1.1.12": "sha384WithRSAEncryption",
    "1.2.840.113549.1.1.13": "sha512WithRSAEncryption",
    "1.2.840.113549.1.1.14": "sha224WithRSAEncryption",
    "1.2.840.10045.4.1": "ecdsa-with-SHA1",
    "1.2.840.10045.4.3.1": "ecdsa-with-SHA224",
    "1.2.840.10045.4.3.2": "ecdsa-with-SHA256",
    "1.2.840.10045.4.3.3": "ecdsa-with-SHA384",
    "1.2.840.10045.4.3.4": "ecdsa-with-SHA512",
    "1.2.840.10040.4.3": "id-dsa-with-sha1",
    "2.16.840.1.101.3.4.3.1": "id-dsa-with-sha224",
    "2.16.840.1.101.3.4.3.2": "id-dsa-with-sha256",
    "2.16.840.1.101.3.4.3.3": "id-dsa-with-sha384",
    "2.16.840.1.101.3.4.3.4": "id-dsa-with-sha512",
    "2.16.840.1.101.3.4.3.10": "id-ecdsa-with-sha3-256",
    "2.16.840.1.101.3.4.3.11": "id-ecdsa-with-sha3-384",
    "2.16.840.1.101.3.4.3.12": "id-ecdsa-with-sha3-512",
    "2.16.840.1.101.3.4.3.14": "id-rsassa-pkcs1-v1_5-with-sha3-256",
    "2.16.840.1.101.3.4.3.15": "id-rsassa-pkcs1-v1_5-with-sha3-384",
    "2.16.840.1.101.3.4.3.16": "id-rsassa-pkcs1-v1_5-with-sha3-512",
    "2.16.840.1.101.3.4.3.17": "id-ml-dsa-44",
    "2.16.840.1.101.3.4.3.18": "id-ml-dsa-65",
    "2.16.840.1.101.3.4.3.19": "id-ml-dsa-87",
    "1.3.101.112": "id-Ed25519",
    "1.3.101.113": "id-Ed448",
    "1.2.156.10197.1.501": "SM2-with-SM3",
}

#: certificate extension OID -> RFC name (camelCase, as Wireshark shows them).
EXTENSION_NAMES: dict[str, str] = {
    "2.5.29.9": "subjectDirectoryAttributes",
    "2.5.29.14": "subjectKeyIdentifier",
    "2.5.29.15": "keyUsage",
    "2.5.29.16": "privateKeyUsagePeriod",
    "2.5.29.17": "subjectAltName",
    "2.5.29.18": "issuerAltName",
    "2.5.29.19": "basicConstraints",
    "2.5.29.20": "cRLNumber",
    "2.5.29.21": "cRLReason",
    "2.5.29.24": "invalidityDate",
    "2.5.29.27": "deltaCRLIndicator",
    "2.5.29.28": "issuingDistributionPoint",
    "2.5.29.29": "certificateIssuer",
    "2.5.29.30": "nameConstraints",
    "2.5.29.31": "cRLDistributionPoints",
    "2.5.29.32": "certificatePolicies",
    "2.5.29.33": "policyMappings",
    "2.5.29.35": "authorityKeyIdentifier",
    "2.5.29.36": "policyConstraints",
    "2.5.29.37": "extKeyUsage",
    "2.5.29.46": "freshestCRL",
    "2.5.29.54": "inhibitAnyPolicy",
    "1.3.6.1.5.5.7.1.1": "authorityInfoAccess",
    "1.3.6.1.5.5.7.1.3": "qcStatements",
    "1.3.6.1.5.5.7.1.11": "subjectInfoAccess",
    "1.3.6.1.5.5.7.1.24": "tlsFeature",
    "1.3.6.1.5.5.7.48.1.2": "ocspNonce",
    "1.3.6.1.5.5.7.48.1.5": "ocspNoCheck",
    "1.3.6.1.4.1.11129.2.4.2": "signedCertificateTimestampList",
    "1.3.6.1.4.1.11129.2.4.3": "precertificatePoison",
    "1.3.6.1.4.1.11129.2.4.5": "signedCertificateTimestampList",  # in OCSP responses
    "1.3.6.1.4.1.311.21.7": "msCertificateTemplate",
    "1.3.6.1.4.1.311.21.10": "msApplicationCertPolicies",
    "1.3.36.8.3.3": "admissions",
    "2.16.840.1.113730.1.1": "nsCertType",
    "2.16.840.1.113730.1.13": "nsComment",
}

#: extended key usage purpose OID -> RFC name.
EKU_NAMES: dict[str, str] = {
    "2.5.29.37.0": "anyExtendedKeyUsage",
    "1.3.6.1.5.5.7.3.1": "serverAuth",
    "1.3.6.1.5.5.7.3.2": "clientAuth",
    "1.3.6.1.5.5.7.3.3": "codeSigning",
    "1.3.6.1.5.5.7.3.4": "emailProtection",
    "1.3.6.1.5.5.7.3.5": "ipsecEndSystem",
    "1.3.6.1.5.5.7.3.6": "ipsecTunnel",
    "1.3.6.1.5.5.7.3.7": "ipsecUser",
    "1.3.6.1.5.5.7.3.8": "timeStamping",
    "1.3.6.1.5.5.7.3.9": "OCSPSigning",
    "1.3.6.1.5.5.7.3.17": "ipsecIKE",
    "1.3.6.1.5.5.7.3.21": "secureShellClient",
    "1.3.6.1.5.5.7.3.22": "secureShellServer",
    "1.3.6.1.5.5.7.3.36": "documentSigning",
    "1.3.6.1.5.2.3.4": "pkinitKPClientAuth",
    "1.3.6.1.5.2.3.5": "pkinitKPKdc",
    "1.3.6.1.4.1.311.10.3.3": "msSGC",
    "1.3.6.1.4.1.311.20.2.2": "msSmartcardLogin",
    "2.16.840.1.113730.4.1": "nsSGC",
    "1.3.6.1.4.1.11129.2.4.4": "precertificateSigning",
}

#: access method OID (AIA / SIA) -> RFC 5280 short name.
ACCESS_METHOD_NAMES: dict[str, str] = {
    "1.3.6.1.5.5.7.48.1": "OCSP",
    "1.3.6.1.5.5.7.48.2": "caIssuers",
    "1.3.6.1.5.5.7.48.3": "timeStamping",
    "1.3.6.1.5.5.7.48.5": "caRepository",
}

#: SubjectPublicKeyInfo algorithm OID -> key type, for when ``public_key()`` fails.
_SPKI_TYPES: dict[str, str] = {
    "1.2.840.113549.1.1.1": "rsa",
    "1.2.840.113549.1.1.10": "rsa",
    "1.2.840.10045.2.1": "ec",
    "1.2.840.10040.4.1": "dsa",
    "1.2.840.10046.2.1": "dh",
    "1.2.840.113549.1.3.1": "dh",
    "1.3.101.110": "x25519",
    "1.3.101.111": "x448",
    "1.3.101.112": "ed25519",
    "1.3.101.113": "ed448",
    "2.16.840.1.101.3.4.3.17": "ml-dsa-44",
    "2.16.840.1.101.3.4.3.18": "ml-dsa-65",
    "2.16.840.1.101.3.4.3.19": "ml-dsa-87",
}

_KEY_USAGE_BITS: tuple[tuple[str, str], ...] = (  # RFC 5280 4.2.1.3, bit order
    ("digital_signature", "digitalSignature"),
    ("content_commitment", "contentCommitment"),
    ("key_encipherment", "keyEncipherment"),
    ("data_encipherment", "dataEncipherment"),
    ("key_agreement", "keyAgreement"),
    ("key_cert_sign", "keyCertSign"),
    ("crl_sign", "cRLSign"),
    ("encipher_only", "encipherOnly"),
    ("decipher_only", "decipherOnly"),
)

_SCT_ENTRY_TYPES = {ct.LogEntryType.X509_CERTIFICATE: "x509_entry",
                    ct.LogEntryType.PRE_CERTIFICATE: "precert_entry"}


# ---------------------------------------------------------------------------------------
# Small value objects
# ---------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------
# Formatting helpers shared with ocsp.py
# ---------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------
# General names and extension values -> JSON-ready values
# ---------------------------------------------------------------------------------------

_GN_TYPES: dict[type, str] = {
    x509.DNSName: "dNSName",
    x509.IPAddress: "iPAddress",
    x509.UniformResourceIdentifier: "uniformResourceIdentifier",
    x509.RFC822Name: "rfc822Name",
    x509.RegisteredID: "registeredID",
    x509.OtherName: "otherName",
    x509.DirectoryName: "directoryName",
}


def general_name_dict(gn: x509.GeneralName) -> dict[str, str]:
    """``{"type": RFC 5280 choice name, "value": str}``; otherName = ``oid:hex(DER)``."""
    kind = _GN_TYPES.get(type(gn), "unknown")
    if isinstance(gn, x509.OtherName):
        value = f"{gn.type_id.dotted_string}:{gn.value.hex()}"
    elif isinstance(gn, x509.RegisteredID):
        value = gn.value.dotted_string
    elif isinstance(gn, x509.DirectoryName):
        value = gn.value.rfc4514_string()
    elif isinstance(gn, x509.IPAddress):
        value = str(gn.value)  # an address, or a network inside nameConstraints
    else:
        value = str(getattr(gn, "value", gn))
    return {"type": kind, "value": value}


def _names(gns: Sequence[x509.GeneralName] | None) -> list[dict[str, str]] | None:
    return None if gns is None else [general_name_dict(g) for g in gns]


def _key_usage(v: x509.KeyUsage) -> list[str]:
    out = []
    for attr, name in _KEY_USAGE_BITS:
        try:
            if getattr(v, attr):
                out.append(name)
        except ValueError:  # encipher/decipher_only are undefined without keyAgreement
            pass
    return out


def _eku(v: x509.ExtendedKeyUsage) -> list[dict[str, str | None]]:
    return [{"oid": o.dotted_string, "name": EKU_NAMES.get(o.dotted_string)} for o in v]


def _aki(v: x509.AuthorityKeyIdentifier) -> dict[str, JSON]:
    serial = v.authority_cert_serial_number
    return {"key_identifier": v.key_identifier.hex() if v.key_identifier is not None else None,
            "authority_cert_issuer": _names(v.authority_cert_issuer),
            "authority_cert_serial_number": None if serial is None else serial_hex(serial)}


def _qualifier(q: str | x509.UserNotice) -> dict[str, JSON]:
    if isinstance(q, str):
        return {"type": "cps", "value": q}
    ref = q.notice_reference
    return {"type": "userNotice", "explicit_text": q.explicit_text,
            "notice_reference": None if ref is None else {
                "organization": ref.organization, "notice_numbers": list(ref.notice_numbers)}}


def _policies(v: x509.CertificatePolicies) -> list[dict[str, JSON]]:
    return [{"policy": p.policy_identifier.dotted_string,
             "qualifiers": [_qualifier(q) for q in p.policy_qualifiers or ()]} for p in v]


def _reasons(reasons: frozenset[x509.ReasonFlags] | None) -> list[str] | None:
    return None if reasons is None else sorted(r.value for r in reasons)


def _distribution_points(v: x509.CRLDistributionPoints | x509.FreshestCRL) -> list[JSON]:
    return [{"full_name": _names(dp.full_name),
             "relative_name": None if dp.relative_name is None
             else x509.Name([dp.relative_name]).rfc4514_string(),
             "reasons": _reasons(dp.reasons),
             "crl_issuer": _names(dp.crl_issuer)} for dp in v]


def _access(v: x509.AuthorityInformationAccess | x509.SubjectInformationAccess) -> list[JSON]:
    out = []
    for ad in v:
        dotted = ad.access_method.dotted_string
        out.append({"method": ACCESS_METHOD_NAMES.get(dotted, dotted), "method_oid": dotted,
                    "location": general_name_dict(ad.access_location)})
    return out


def _scts(v: Sequence[ct.SignedCertificateTimestamp]) -> list[JSON]:
    out = []
    for s in v:
        hash_alg = getattr(s, "signature_hash_algorithm", None)
        sig_alg = getattr(s, "signature_algorithm", None)
        out.append({"version": s.version.name, "log_id": s.log_id.hex(),
                    "timestamp": _format_ms(s.timestamp),
                    "entry_type": _SCT_ENTRY_TYPES.get(s.entry_type, str(s.entry_type)),
                    "hash_algorithm": None if hash_alg is None else hash_alg.name,
                    "signature_algorithm": None if sig_alg is None else sig_alg.name.lower(),
                    "signature": getattr(s, "signature", b"").hex(),
                    "extensions": getattr(s, "extension_bytes", b"").hex()})
    return out


def _name_constraints(v: x509.NameConstraints) -> dict[str, JSON]:
    return {"permitted": _names(v.permitted_subtrees), "excluded": _names(v.excluded_subtrees)}


def _issuing_dp(v: x509.IssuingDistributionPoint) -> dict[str, JSON]:
    return {"full_name": _names(v.full_name),
            "relative_name": None if v.relative_name is None
            else x509.Name([v.relative_name]).rfc4514_string(),
            "only_contains_user_certs": v.only_contains_user_certs,
            "only_contains_ca_certs": v.only_contains_ca_certs,
            "only_some_reasons": _reasons(v.only_some_reasons),
            "indirect_crl": v.indirect_crl,
            "only_contains_attribute_certs": v.only_contains_attribute_certs}


def _private_key_usage_period(v: Any) -> dict[str, JSON]:
    return {"not_before": format_time(v.not_before), "not_after": format_time(v.not_after)}


#: cryptography extension class -> decoder to a JSON-ready value.
_DECODERS: dict[type, Callable[[Any], JSON]] = {
    x509.BasicConstraints: lambda v: {"ca": v.ca, "path_length": v.path_length},
    x509.KeyUsage: _key_usage,
    x509.ExtendedKeyUsage: _eku,
    x509.SubjectAlternativeName: _names,
    x509.IssuerAlternativeName: _names,
    x509.CertificateIssuer: _names,
    x509.SubjectKeyIdentifier: lambda v: v.digest.hex(),
    x509.AuthorityKeyIdentifier: _aki,
    x509.CertificatePolicies: _policies,
    x509.CRLDistributionPoints: _distribution_points,
    x509.FreshestCRL: _distribution_points,
    x509.AuthorityInformationAccess: _access,
    x509.SubjectInformationAccess: _access,
    x509.PrecertificateSignedCertificateTimestamps: _scts,
    x509.SignedCertificateTimestamps: _scts,
    x509.NameConstraints: _name_constraints,
    x509.PolicyConstraints: lambda v: {"require_explicit_policy": v.require_explicit_policy,
                                       "inhibit_policy_mapping": v.inhibit_policy_mapping},
    x509.InhibitAnyPolicy: lambda v: {"skip_certs": v.skip_certs},
    x509.TLSFeature: lambda v: [{"code": f.value, "name": f.name} for f in v],
    x509.PrecertPoison: lambda v: None,
    x509.OCSPNoCheck: lambda v: None,
    x509.OCSPNonce: lambda v: {"nonce": v.nonce.hex()},
    x509.CRLNumber: lambda v: {"crl_number": v.crl_number},
    x509.DeltaCRLIndicator: lambda v: {"crl_number": v.crl_number},
    x509.CRLReason: lambda v: {"reason": v.reason.value},
    x509.InvalidityDate: lambda v: {"invalidity_date": format_time(v.invalidity_date_utc)},
    x509.IssuingDistributionPoint: _issuing_dp,
    x509.MSCertificateTemplate: lambda v: {"template_id": v.template_id.dotted_string,
                                           "major_version": v.major_version,
                                           "minor_version": v.minor_version},
    x509.UnrecognizedExtension: lambda v: {"der": v.value.hex()},
}
if hasattr(x509, "PrivateKeyUsagePeriod"):
    _DECODERS[x509.PrivateKeyUsagePeriod] = _private_key_usage_period


def extension_entry(ext: x509.Extension[x509.ExtensionType]) -> tuple[CertExtension, str | None]:
    """One extension -> (entry, error message or None). Never raises.

    A class without a decoder here (Admissions, ...) keeps its DER as ``{"der": hex}``.
    """
    dotted = ext.oid.dotted_string
    name = EXTENSION_NAMES.get(dotted)
    decoder = _DECODERS.get(type(ext.value))
    try:
        if decoder is not None:
            value = decoder(ext.value)
        else:
            value = {"der": ext.value.public_bytes().hex()}
    except Exception as exc:  # noqa: BLE001 - one bad value must not hide the others
        return CertExtension(dotted, name, ext.critical, None), error_message(exc)
    return CertExtension(dotted, name, ext.critical, value), None


# ---------------------------------------------------------------------------------------
# A minimal DER walk: list the raw extensions when cryptography refuses them as a whole
# ---------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------
# Public key
# ---------------------------------------------------------------------------------------

def _public_key_info(key: object) -> PublicKeyInfo:
    if isinstance(key, rsa.RSAPublicKey):
        return PublicKeyInfo("rsa", key.key_size, None)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return PublicKeyInfo("ec", key.curve.key_size, key.curve.name)
    if isinstance(key, dsa.DSAPublicKey):
        return PublicKeyInfo("dsa", key.key_size, None)
    if isinstance(key, dh.DHPublicKey):
        return PublicKeyInfo("dh", key.key_size, None)
    for cls, kind in ((ed25519.Ed25519PublicKey, "ed25519"), (ed448.Ed448PublicKey, "ed448"),
                      (x25519.X25519PublicKey, "x25519"), (x448.X448PublicKey, "x448")):
        if isinstance(key, cls):
            return PublicKeyInfo(kind, len(key.public_bytes_raw()) * 8, None)
    if _mldsa is not None:
        for size in ("44", "65", "87"):
            ml_cls = getattr(_mldsa, f"MLDSA{size}PublicKey", None)
            if ml_cls is not None and isinstance(key, ml_cls):
                return PublicKeyInfo(f"ml-dsa-{size}", len(key.public_bytes_raw()) * 8, None)
    return PublicKeyInfo("unknown", 0, None)


# ---------------------------------------------------------------------------------------
# The summary
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CertSummary:
    """What tlslens knows about one certificate; immutable and shared through the cache.

    ``errors`` lists ``(field, message)`` for each accessor that failed; with
    ``parsed=False`` the DER did not load at all and ``errors`` holds ``("load", ...)``.
    ``serial_negative`` is true for a negative serial (``serial`` then holds the two's
    complement bytes). ``self_signature_valid`` is None when the self-signature could not
    be checked (names differ, or an algorithm cryptography cannot verify).
    """

    der: bytes = field(repr=False)
    sha256: str
    sha1: str
    der_length: int
    parsed: bool
    subject: str | None = None
    issuer: str | None = None
    serial: str | None = None
    serial_int: int | None = None
    serial_negative: bool = False
    version: int | None = None
    not_before: _dt.datetime | None = None
    not_after: _dt.datetime | None = None
    public_key: PublicKeyInfo | None = None
    public_key_oid: str | None = None
    signature_algorithm: SignatureAlgorithm | None = None
    extensions: tuple[CertExtension, ...] = field(default=(), hash=False)
    self_signed: bool = False
    self_signature_valid: bool | None = None
    errors: tuple[tuple[str, str], ...] = ()
    subject_name: x509.Name | None = field(default=None, compare=False, repr=False)
    issuer_name: x509.Name | None = field(default=None, compare=False, repr=False)
    cert: x509.Certificate | None = field(default=None, compare=False, repr=False)

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        """Pickle as the DER alone: ``cryptography`` objects do not pickle, and the
        summary is a pure function of the DER (re-parsed, and cached, on load). This is
        what lets connections cross process boundaries (parallel analysis, batch)."""
        return (summarize_certificate, (self.der,))

    def extension(self, name_or_oid: str) -> CertExtension | None:
        """The first extension with that RFC name or dotted OID, else None."""
        for ext in self.extensions:
            if name_or_oid in (ext.name, ext.oid):
                return ext
        return None

    def to_dict(self, entry_extensions: Sequence[Mapping[str, object]] = ()) -> dict[str, JSON]:
        """The report's ``certificate`` object; ``entry_extensions`` come from TLS 1.3."""
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "not_before": format_time(self.not_before),
            "not_after": format_time(self.not_after),
            "sha256": self.sha256,
            "sha1": self.sha1,
            "der_length": self.der_length,
            "public_key": None if self.public_key is None else self.public_key._asdict(),
            "signature_algorithm": (None if self.signature_algorithm is None
                                    else self.signature_algorithm._asdict()),
            "extensions": [copy.deepcopy(e._asdict()) for e in self.extensions],
            "entry_extensions": [dict(e) for e in entry_extensions],
            "self_signed": self.self_signed,
        }


def summarize_certificate(der: bytes | bytearray | memoryview) -> CertSummary:
    """Summarize one DER certificate; never raises. Equal DERs give the same object."""
    return _summarize(bytes(der))


def clear_cache() -> None:
    """Forget cached summaries (tests, or a long-lived process between captures)."""
    _summarize.cache_clear()


# Why a module-level cache: the same certificates come back in every connection to a
# server (a capture of 24,000 handshakes holds a few hundred distinct DERs), and parsing
# one costs far more than hashing its bytes. The values are immutable and depend only on
# the DER, so sharing them is safe; the bound keeps memory flat on hostile captures.
@functools.lru_cache(maxsize=4096)
def _summarize(der: bytes) -> CertSummary:
    base: dict[str, Any] = {"der": der, "sha256": hashlib.sha256(der).hexdigest(),
                            "sha1": hashlib.sha1(der).hexdigest(), "der_length": len(der)}
    with warnings.catch_warnings():
        # cryptography warns (and will later refuse) on negative serials and similar
        # RFC violations; serial_negative and errors are how tlslens says so.
        warnings.simplefilter("ignore")
        try:
            cert = x509.load_der_x509_certificate(der)
        except Exception as exc:  # noqa: BLE001 - any failure means "unparseable"
            return CertSummary(parsed=False, errors=(("load", error_message(exc)),), **base)
        return CertSummary(parsed=True, cert=cert, **base, **_read_fields(cert, der))


def _read_fields(cert: x509.Certificate, der: bytes) -> dict[str, Any]:
    """Try each lazy accessor on its own; collect values and (field, message) errors."""
    errors: list[tuple[str, str]] = []
    out: dict[str, Any] = {}

    def guarded(name: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - each failure is reported, not raised
            errors.append((name, error_message(exc)))
            return None

    out["version"] = guarded("version", lambda: cert.version.value + 1)
    out["subject_name"] = subject = guarded("subject", lambda: cert.subject)
    out["issuer_name"] = issuer = guarded("issuer", lambda: cert.issuer)
    if subject is not None:
        out["subject"] = guarded("subject", subject.rfc4514_string)
    if issuer is not None:
        out["issuer"] = guarded("issuer", issuer.rfc4514_string)
    serial = guarded("serial", lambda: cert.serial_number)
    if serial is not None:
        out.update(serial_int=serial, serial=serial_hex(serial), serial_negative=serial < 0)
    out["not_before"] = guarded("not_before", lambda: cert.not_valid_before_utc)
    out["not_after"] = guarded("not_after", lambda: cert.not_valid_after_utc)
    out["signature_algorithm"] = guarded(
        "signature_algorithm", lambda: signature_algorithm(cert.signature_algorithm_oid))
    spki_oid = guarded("public_key", lambda: cert.public_key_algorithm_oid.dotted_string)
    out["public_key_oid"] = spki_oid
    key = guarded("public_key", cert.public_key)
    if key is not None:
        out["public_key"] = _public_key_info(key)
    elif spki_oid is not None:
        out["public_key"] = PublicKeyInfo(_SPKI_TYPES.get(spki_oid, "unknown"), 0, None)
    out["extensions"] = _read_extensions(cert, der, errors)
    out["self_signed"], out["self_signature_valid"] = _self_signed(cert, subject, issuer,
                                                                  key)
    out["errors"] = tuple(errors)
    return out


def _read_extensions(cert: x509.Certificate, der: bytes,
                     errors: list[tuple[str, str]]) -> tuple[CertExtension, ...]:
    try:
        exts = cert.extensions
    except Exception as exc:  # noqa: BLE001 - fall back to the raw DER listing
        errors.append(("extensions", error_message(exc)))
        try:
            return tuple(_raw_extensions(der))
        except DecodeError as dexc:
            errors.append(("extensions", f"raw listing failed: {dexc}"))
            return ()
    out = []
    for i, ext in enumerate(exts):
        entry, problem = extension_entry(ext)
        if problem is not None:
            errors.append((f"extensions[{i}] {entry.name or entry.oid}", problem))
        out.append(entry)
    return tuple(out)


def verify_signed_by(cert: x509.Certificate, issuer_key: object) -> bool | None:
    """Does ``issuer_key`` verify ``cert``'s signature? None when it cannot be checked.

    Why not ``cert.verify_directly_issued_by``: it refuses SHA-1, MD5 and DSA signatures,
    which are exactly what old captures hold. The primitives still verify them, so this
    checks the signature over the TBS bytes itself (RSA PKCS#1 v1.5 and PSS, ECDSA, DSA,
    EdDSA, ML-DSA). An unsupported hash or a key that does not fit the algorithm gives None.
    """
    try:
        hash_alg = cert.signature_hash_algorithm
        params = cert.signature_algorithm_parameters
        signature, tbs = cert.signature, cert.tbs_certificate_bytes
        if isinstance(issuer_key, rsa.RSAPublicKey):
            if params is None:  # cryptography gives no padding for md5WithRSAEncryption
                params = padding.PKCS1v15()
            issuer_key.verify(signature, tbs, params, hash_alg)  # type: ignore[arg-type]
        elif isinstance(issuer_key, ec.EllipticCurvePublicKey):
            issuer_key.verify(signature, tbs, ec.ECDSA(hash_alg))  # type: ignore[arg-type]
        elif isinstance(issuer_key, dsa.DSAPublicKey):
            issuer_key.verify(signature, tbs, hash_alg)  # type: ignore[arg-type]
        elif hash_alg is None and hasattr(issuer_key, "verify"):  # EdDSA, ML-DSA
            issuer_key.verify(signature, tbs)
        else:
            return None
    except InvalidSignature:
        return False
    except Exception:  # noqa: BLE001 - unsupported hash, key/algorithm mismatch, ...
        return None
    return True


def _self_signed(cert: x509.Certificate, subject: x509.Name | None,
                 issuer: x509.Name | None, key: object) -> tuple[bool, bool | None]:
    """(self_signed, self_signature_valid).

    Self-signed means subject == issuer and, when the signature can be checked, it
    verifies with the certificate's own key. A signature that cannot be checked
    (unsupported algorithm, unreadable key) leaves the verdict to the names.
    """
    if subject is None or issuer is None or subject != issuer:
        return False, None
    valid = None if key is None else verify_signed_by(cert, key)
    return valid is not False, valid
