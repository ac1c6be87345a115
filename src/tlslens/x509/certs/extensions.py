"""Extension values -> JSON-ready values: one decoder per ``cryptography`` extension class."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from cryptography import x509
from cryptography.x509 import certificate_transparency as ct

from tlslens.x509.certs.names import _names, general_name_dict
from tlslens.x509.certs.tables import (
    _KEY_USAGE_BITS,
    _SCT_ENTRY_TYPES,
    ACCESS_METHOD_NAMES,
    EKU_NAMES,
    EXTENSION_NAMES,
)
from tlslens.x509.certs.values import (
    JSON,
    CertExtension,
    _format_ms,
    error_message,
    format_time,
    serial_hex,
)


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
