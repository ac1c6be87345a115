"""Bad certificate bytes: never an exception, always the DER's hashes and a recorded error."""

from __future__ import annotations

import hashlib

import pytest
from cryptography import x509
from hypothesis import given, settings
from hypothesis import strategies as st
from x509_builders import build, name, replace_once

from tlslens.x509.certs import CertSummary, summarize_certificate


@pytest.fixture
def cert_der(keys) -> bytes:
    key = keys["p256"]
    exts = [
        (x509.KeyUsage(True, False, False, False, False, True, True, False, False), True),
        (x509.SubjectAlternativeName([x509.DNSName("abc.example")]), False),
        (x509.BasicConstraints(ca=False, path_length=None), True),
    ]
    return build(subject=name("subjzz"), issuer=name("issuerzz"), public_key=key.public_key(),
                 signing_key=key, extensions=exts)


def _check_invariants(der: bytes, s: CertSummary) -> None:
    assert isinstance(s, CertSummary)
    assert s.der == der and s.der_length == len(der)
    assert s.sha256 == hashlib.sha256(der).hexdigest()
    assert s.sha1 == hashlib.sha1(der).hexdigest()
    if not s.parsed:
        assert [f for f, _ in s.errors] == ["load"]
        assert s.subject is None and s.serial is None and s.extensions == ()
    d = s.to_dict()
    assert d["sha256"] == s.sha256 and d["der_length"] == len(der)


def test_every_truncation_is_unparseable(cert_der):
    for n in range(len(cert_der)):
        s = summarize_certificate(cert_der[:n])
        _check_invariants(cert_der[:n], s)
        assert s.parsed is False, n
        assert s.errors[0][1]  # a message, not an empty string


def test_empty_der():
    s = summarize_certificate(b"")
    assert s.parsed is False and s.der_length == 0
    assert s.sha256 == hashlib.sha256(b"").hexdigest()


def test_corrupted_extension_keeps_other_fields_and_lists_raw_extensions(cert_der):
    """An impossible BIT STRING in keyUsage: the certificate loads, .extensions raises."""
    der = replace_once(cert_der, bytes.fromhex("0302018630"), bytes.fromhex("0302098630"))
    s = summarize_certificate(der)
    assert s.parsed
    assert [f for f, _ in s.errors] == ["extensions"]
    assert s.subject == "CN=subjzz" and s.issuer == "CN=issuerzz"
    assert s.public_key is not None and s.public_key.type == "ec"
    # the raw DER walk still lists every extension, undecoded
    assert [(e.name, e.critical, e.value) for e in s.extensions] == [
        ("keyUsage", True, {"der": "03020986"}),
        ("subjectAltName", False, {"der": "300d820b6162632e6578616d706c65"}),
        ("basicConstraints", True, {"der": "3000"}),
    ]


def test_bad_subject_string_is_a_field_error(cert_der):
    der = replace_once(cert_der, b"subjzz", b"\xffubjzz")  # invalid UTF-8 in a UTF8String
    s = summarize_certificate(der)
    assert s.parsed
    assert [f for f, _ in s.errors] == ["subject"]
    assert s.subject is None and s.subject_name is None
    assert s.issuer == "CN=issuerzz"
    assert s.self_signed is False
    assert s.to_dict()["subject"] is None


def test_every_byte_flip_in_the_extensions(cert_der):
    """Flip each byte of the [3] extensions block three ways; count the outcomes."""
    tbs = x509.load_der_x509_certificate(cert_der).tbs_certificate_bytes
    tail = next(i for i in range(len(tbs))  # [3] { Extensions } closes the TBS
                if tbs[i] == 0xA3 and i + 2 + tbs[i + 1] == len(tbs))
    start = cert_der.index(tbs) + tail
    end = start + 2 + cert_der[start + 1]
    outcomes = {"unparseable": 0, "field_error": 0, "clean": 0}
    for pos in range(start, end):
        for mask in (0xFF, 0x01, 0x80):
            der = bytearray(cert_der)
            der[pos] ^= mask
            s = summarize_certificate(bytes(der))
            _check_invariants(bytes(der), s)
            if not s.parsed:
                outcomes["unparseable"] += 1
            elif s.errors:
                outcomes["field_error"] += 1
                assert s.subject == "CN=subjzz"
            else:
                outcomes["clean"] += 1
    # all three kinds happen: load failures, per-field failures, harmless flips (in names)
    assert all(outcomes.values()), outcomes


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600))
def test_random_bytes_never_raise(data):
    _check_invariants(data, summarize_certificate(data))


#: a self-signed P-256 certificate with keyUsage, subjectAltName and an empty SCT list
BASE_DER = bytes.fromhex(
    "308201463081eda003020102020105300a06082a8648ce3d040302300c310a30080603550403"
    "0c01743020170d3230303130313030303030305a180f32303630303130313030303030305a30"
    "0c310a300806035504030c01743059301306072a8648ce3d020106082a8648ce3d030107034200"
    "04f0f794907de7572098e7f97fb6f9467ad80d770fa3b896d177d75506f3bf99ace66e95fe55bd"
    "ef95cdcfff60a22dd6faab39a51c5b37facdf8e0eb7366b130caa33e303c300e0603551d0f01"
    "01ff04040302018630160603551d11040f300d820b6162632e6578616d706c653012060a2b06"
    "010401d679020402040404020000300a06082a8648ce3d0403020348003045022100d3710097"
    "3b3dc7a83aa50c13046ed09f6fc9f400067084d38d49ec9398b9ee25022037c81ffafdea4a0a"
    "4a4b1532148c9ddd433fc572bff86885fc347acca7c3124e")


def test_base_der_is_a_valid_certificate():
    s = summarize_certificate(BASE_DER)
    assert s.parsed and s.errors == ()
    assert s.self_signed and s.self_signature_valid
    assert [e.name for e in s.extensions] == [
        "keyUsage", "subjectAltName", "signedCertificateTimestampList"]
    assert s.not_after is not None and s.not_after.year == 2060


@settings(max_examples=200, deadline=None)
@given(cut=st.integers(min_value=0, max_value=340), tail=st.binary(max_size=40))
def test_prefix_plus_garbage_never_raises(cut, tail):
    der = BASE_DER[:cut] + tail
    _check_invariants(der, summarize_certificate(der))
