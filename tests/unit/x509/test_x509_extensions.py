"""Every certificate extension cryptography knows, decoded to the report's JSON values."""

from __future__ import annotations

import datetime as dt
import ipaddress

import pytest
from cryptography import x509
from cryptography.x509.oid import AuthorityInformationAccessOID, ExtendedKeyUsageOID
from x509_builders import UTC, build, der_octet_string, name, sct_list

from tlslens.x509.certs import summarize_certificate

UPN = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")
UPN_VALUE = b"\x0c\x0auser@ex.co"  # UTF8String DER, as an otherName value is carried
LOG_ID = bytes(range(32))
SCT_MS = 1_700_000_000_123  # 2023-11-14T22:13:20.123Z


def _all_extensions(ca_key) -> list[tuple[x509.ExtensionType, bool]]:
    ski = x509.SubjectKeyIdentifier(b"\x01\x02\x03\x04")
    return [
        (x509.BasicConstraints(ca=True, path_length=2), True),
        (x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                       data_encipherment=False, key_agreement=True, key_cert_sign=True,
                       crl_sign=True, encipher_only=True, decipher_only=False), True),
        (x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH,
                                x509.ObjectIdentifier("1.2.3.99")]), False),
        (x509.SubjectAlternativeName([
            x509.DNSName("www.example.com"),
            x509.IPAddress(ipaddress.ip_address("192.0.2.1")),
            x509.IPAddress(ipaddress.ip_address("2001:db8::1")),
            x509.UniformResourceIdentifier("https://example.com/x"),
            x509.RFC822Name("admin@example.com"),
            x509.RegisteredID(x509.ObjectIdentifier("1.2.3.4.5")),
            x509.OtherName(UPN, UPN_VALUE),
            x509.DirectoryName(name("Dir Name", "Dir Org")),
        ]), False),
        (x509.IssuerAlternativeName([x509.DNSName("ca.example.com")]), False),
        (ski, False),
        (x509.AuthorityKeyIdentifier(key_identifier=b"\xaa\xbb",
                                     authority_cert_issuer=[x509.DirectoryName(name("Root"))],
                                     authority_cert_serial_number=0x80), False),
        (x509.CertificatePolicies([
            x509.PolicyInformation(x509.ObjectIdentifier("2.23.140.1.2.1"), None),
            x509.PolicyInformation(x509.ObjectIdentifier("1.3.6.1.4.1.99.1"), [
                "https://cps.example/",
                x509.UserNotice(x509.NoticeReference("Example Org", [1, 2]), "explicit text"),
            ]),
        ]), False),
        (x509.CRLDistributionPoints([
            x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier("http://crl.example/ca.crl")],
                relative_name=None,
                reasons=frozenset({x509.ReasonFlags.key_compromise,
                                   x509.ReasonFlags.ca_compromise}),
                crl_issuer=[x509.DirectoryName(name("CRL Issuer"))]),
        ]), False),
        (x509.FreshestCRL([
            x509.DistributionPoint(
                full_name=[x509.UniformResourceIdentifier("http://crl.example/delta.crl")],
                relative_name=None, reasons=None, crl_issuer=None),
        ]), False),
        (x509.AuthorityInformationAccess([
            x509.AccessDescription(AuthorityInformationAccessOID.OCSP,
                                   x509.UniformResourceIdentifier("http://ocsp.example")),
            x509.AccessDescription(AuthorityInformationAccessOID.CA_ISSUERS,
                                   x509.UniformResourceIdentifier("http://ca.example/ca.crt")),
        ]), False),
        (x509.SubjectInformationAccess([
            x509.AccessDescription(x509.ObjectIdentifier("1.3.6.1.5.5.7.48.5"),
                                   x509.UniformResourceIdentifier("rsync://repo.example/")),
        ]), False),
        (x509.UnrecognizedExtension(
            x509.ObjectIdentifier("1.3.6.1.4.1.11129.2.4.2"),
            der_octet_string(sct_list((LOG_ID, SCT_MS, b"\x30\x01\x02")))), False),
        (x509.NameConstraints(
            permitted_subtrees=[x509.DNSName(".example.com"),
                                x509.IPAddress(ipaddress.ip_network("10.0.0.0/8"))],
            excluded_subtrees=[x509.DNSName("bad.example.com")]), True),
        (x509.PolicyConstraints(require_explicit_policy=0, inhibit_policy_mapping=None), True),
        (x509.InhibitAnyPolicy(skip_certs=1), True),
        (x509.TLSFeature([x509.TLSFeatureType.status_request]), False),
        (x509.PrecertPoison(), True),
        (x509.OCSPNoCheck(), False),
        (x509.UnrecognizedExtension(x509.ObjectIdentifier("1.2.3.4.5.6"), b"\x05\x00"), False),
    ]


@pytest.fixture
def everything(keys):
    key = keys["p256"]
    der = build(subject=name("all extensions"), public_key=key.public_key(), signing_key=key,
                extensions=_all_extensions(key))
    s = summarize_certificate(der)
    assert s.parsed and s.errors == ()
    return s


def _value(summary, ext_name):
    ext = summary.extension(ext_name)
    assert ext is not None, ext_name
    return ext


def test_extension_order_names_and_criticality(everything):
    got = [(e.oid, e.name, e.critical) for e in everything.extensions]
    assert got == [
        ("2.5.29.19", "basicConstraints", True),
        ("2.5.29.15", "keyUsage", True),
        ("2.5.29.37", "extKeyUsage", False),
        ("2.5.29.17", "subjectAltName", False),
        ("2.5.29.18", "issuerAltName", False),
        ("2.5.29.14", "subjectKeyIdentifier", False),
        ("2.5.29.35", "authorityKeyIdentifier", False),
        ("2.5.29.32", "certificatePolicies", False),
        ("2.5.29.31", "cRLDistributionPoints", False),
        ("2.5.29.46", "freshestCRL", False),
        ("1.3.6.1.5.5.7.1.1", "authorityInfoAccess", False),
        ("1.3.6.1.5.5.7.1.11", "subjectInfoAccess", False),
        ("1.3.6.1.4.1.11129.2.4.2", "signedCertificateTimestampList", False),
        ("2.5.29.30", "nameConstraints", True),
        ("2.5.29.36", "policyConstraints", True),
        ("2.5.29.54", "inhibitAnyPolicy", True),
        ("1.3.6.1.5.5.7.1.24", "tlsFeature", False),
        ("1.3.6.1.4.1.11129.2.4.3", "precertificatePoison", True),
        ("1.3.6.1.5.5.7.48.1.5", "ocspNoCheck", False),
        ("1.2.3.4.5.6", None, False),
    ]


def test_basic_constraints_and_key_usage(everything):
    assert _value(everything, "basicConstraints").value == {"ca": True, "path_length": 2}
    assert _value(everything, "keyUsage").value == [
        "digitalSignature", "contentCommitment", "keyAgreement", "keyCertSign", "cRLSign",
        "encipherOnly"]


def test_key_usage_decipher_only_without_key_agreement(keys):
    key = keys["p256"]
    ku = x509.KeyUsage(digital_signature=False, content_commitment=False,
                       key_encipherment=True, data_encipherment=True, key_agreement=False,
                       key_cert_sign=False, crl_sign=False, encipher_only=False,
                       decipher_only=False)
    s = summarize_certificate(build(subject=name("ku"), public_key=key.public_key(),
                                    signing_key=key, extensions=[(ku, True)]))
    assert s.extension("2.5.29.15").value == ["keyEncipherment", "dataEncipherment"]


def test_ext_key_usage(everything):
    assert _value(everything, "extKeyUsage").value == [
        {"oid": "1.3.6.1.5.5.7.3.1", "name": "serverAuth"},
        {"oid": "1.3.6.1.5.5.7.3.2", "name": "clientAuth"},
        {"oid": "1.2.3.99", "name": None},
    ]


def test_subject_alt_name_every_general_name_type(everything):
    assert _value(everything, "subjectAltName").value == [
        {"type": "dNSName", "value": "www.example.com"},
        {"type": "iPAddress", "value": "192.0.2.1"},
        {"type": "iPAddress", "value": "2001:db8::1"},
        {"type": "uniformResourceIdentifier", "value": "https://example.com/x"},
        {"type": "rfc822Name", "value": "admin@example.com"},
        {"type": "registeredID", "value": "1.2.3.4.5"},
        {"type": "otherName", "value": "1.3.6.1.4.1.311.20.2.3:" + UPN_VALUE.hex()},
        {"type": "directoryName", "value": "O=Dir Org,CN=Dir Name"},
    ]
    assert _value(everything, "issuerAltName").value == [
        {"type": "dNSName", "value": "ca.example.com"}]


def test_key_identifiers(everything):
    assert _value(everything, "subjectKeyIdentifier").value == "01020304"
    assert _value(everything, "authorityKeyIdentifier").value == {
        "key_identifier": "aabb",
        "authority_cert_issuer": [{"type": "directoryName", "value": "CN=Root"}],
        "authority_cert_serial_number": "80",
    }


def test_certificate_policies(everything):
    assert _value(everything, "certificatePolicies").value == [
        {"policy": "2.23.140.1.2.1", "qualifiers": []},
        {"policy": "1.3.6.1.4.1.99.1", "qualifiers": [
            {"type": "cps", "value": "https://cps.example/"},
            {"type": "userNotice", "explicit_text": "explicit text",
             "notice_reference": {"organization": "Example Org", "notice_numbers": [1, 2]}},
        ]},
    ]


def test_crl_distribution_points_and_freshest_crl(everything):
    assert _value(everything, "cRLDistributionPoints").value == [{
        "full_name": [{"type": "uniformResourceIdentifier",
                       "value": "http://crl.example/ca.crl"}],
        "relative_name": None,
        "reasons": ["cACompromise", "keyCompromise"],
        "crl_issuer": [{"type": "directoryName", "value": "CN=CRL Issuer"}],
    }]
    assert _value(everything, "freshestCRL").value == [{
        "full_name": [{"type": "uniformResourceIdentifier",
                       "value": "http://crl.example/delta.crl"}],
        "relative_name": None, "reasons": None, "crl_issuer": None,
    }]


def test_information_access(everything):
    assert _value(everything, "authorityInfoAccess").value == [
        {"method": "OCSP", "method_oid": "1.3.6.1.5.5.7.48.1",
         "location": {"type": "uniformResourceIdentifier", "value": "http://ocsp.example"}},
        {"method": "caIssuers", "method_oid": "1.3.6.1.5.5.7.48.2",
         "location": {"type": "uniformResourceIdentifier", "value": "http://ca.example/ca.crt"}},
    ]
    assert _value(everything, "subjectInfoAccess").value == [
        {"method": "caRepository", "method_oid": "1.3.6.1.5.5.7.48.5",
         "location": {"type": "uniformResourceIdentifier", "value": "rsync://repo.example/"}},
    ]


def test_signed_certificate_timestamps(everything):
    assert dt.datetime.fromtimestamp(SCT_MS / 1000, UTC).year == 2023
    assert _value(everything, "signedCertificateTimestampList").value == [{
        "version": "v1", "log_id": LOG_ID.hex(), "timestamp": "2023-11-14T22:13:20.123Z",
        "entry_type": "precert_entry", "hash_algorithm": "sha256",
        "signature_algorithm": "ecdsa", "signature": "300102", "extensions": "",
    }]


def test_constraints_and_features(everything):
    assert _value(everything, "nameConstraints").value == {
        "permitted": [{"type": "dNSName", "value": ".example.com"},
                      {"type": "iPAddress", "value": "10.0.0.0/8"}],
        "excluded": [{"type": "dNSName", "value": "bad.example.com"}],
    }
    assert _value(everything, "policyConstraints").value == {
        "require_explicit_policy": 0, "inhibit_policy_mapping": None}
    assert _value(everything, "inhibitAnyPolicy").value == {"skip_certs": 1}
    assert _value(everything, "tlsFeature").value == [{"code": 5, "name": "status_request"}]
    assert _value(everything, "precertificatePoison").value is None
    assert _value(everything, "ocspNoCheck").value is None


def test_unknown_extension_keeps_der(everything):
    ext = _value(everything, "1.2.3.4.5.6")
    assert ext.name is None and ext.value == {"der": "0500"}


def test_to_dict_extensions_match(everything):
    d = everything.to_dict()
    assert [e["name"] for e in d["extensions"]] == [e.name for e in everything.extensions]
    assert d["extensions"][0] == {"oid": "2.5.29.19", "name": "basicConstraints",
                                  "critical": True, "value": {"ca": True, "path_length": 2}}


def test_ms_template_and_private_key_usage_period(keys):
    key = keys["p256"]
    exts: list[tuple[x509.ExtensionType, bool]] = [
        (x509.MSCertificateTemplate(x509.ObjectIdentifier("1.3.6.1.4.1.311.21.8.1"), 100, 3),
         False)]
    if hasattr(x509, "PrivateKeyUsagePeriod"):
        exts.append((x509.PrivateKeyUsagePeriod(dt.datetime(2024, 1, 1),
                                                dt.datetime(2025, 1, 1)), False))
    s = summarize_certificate(build(subject=name("ms"), public_key=key.public_key(),
                                    signing_key=key, extensions=exts))
    assert s.extension("msCertificateTemplate").value == {
        "template_id": "1.3.6.1.4.1.311.21.8.1", "major_version": 100, "minor_version": 3}
    if hasattr(x509, "PrivateKeyUsagePeriod"):
        assert s.extension("privateKeyUsagePeriod").value == {
            "not_before": "2024-01-01T00:00:00Z", "not_after": "2025-01-01T00:00:00Z"}
