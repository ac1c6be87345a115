"""summarize_certificate on real certificates: keys, serials, times, chains, to_dict."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, x25519
from x509_builders import UTC, build, name, replace_once, resign_rsa_legacy

from tlslens.x509.certs import (
    CertSummary,
    format_time,
    serial_hex,
    summarize_certificate,
    verify_signed_by,
)

SPEC_KEYS = {"subject", "issuer", "serial", "not_before", "not_after", "sha256", "sha1",
             "der_length", "public_key", "signature_algorithm", "extensions",
             "entry_extensions", "self_signed"}


# -- public keys and signature algorithms -------------------------------------------------

@pytest.mark.parametrize(("kind", "key_type", "bits", "curve", "sig_oid", "sig_name"), [
    ("rsa", "rsa", 2048, None, "1.2.840.113549.1.1.11", "sha256WithRSAEncryption"),
    ("p256", "ec", 256, "secp256r1", "1.2.840.10045.4.3.2", "ecdsa-with-SHA256"),
    ("brainpool", "ec", 256, "brainpoolP256r1", "1.2.840.10045.4.3.2", "ecdsa-with-SHA256"),
    ("ed25519", "ed25519", 256, None, "1.3.101.112", "id-Ed25519"),
    ("ed448", "ed448", 456, None, "1.3.101.113", "id-Ed448"),
    ("dsa", "dsa", 2048, None, "2.16.840.1.101.3.4.3.2", "id-dsa-with-sha256"),
])
def test_key_types_and_signature_names(self_signed, kind, key_type, bits, curve, sig_oid,
                                       sig_name):
    der = self_signed(kind)
    s = summarize_certificate(der)
    assert s.parsed and s.errors == ()
    assert s.public_key is not None and tuple(s.public_key) == (key_type, bits, curve)
    assert s.signature_algorithm is not None
    assert tuple(s.signature_algorithm) == (sig_oid, sig_name)
    assert s.self_signed is True and s.self_signature_valid is True
    assert s.version == 3


def test_p384_with_sha384(keys):
    key = keys["p384"]
    der = build(subject=name("p384"), public_key=key.public_key(), signing_key=key,
                hash_alg=hashes.SHA384())
    s = summarize_certificate(der)
    assert tuple(s.public_key) == ("ec", 384, "secp384r1")
    assert tuple(s.signature_algorithm) == ("1.2.840.10045.4.3.3", "ecdsa-with-SHA384")


def test_x25519_key_certified_by_ec_issuer(keys):
    """RFC 8410 keys that cannot sign still appear as subject keys."""
    xkey = x25519.X25519PrivateKey.generate()
    der = build(subject=name("x25519 leaf"), issuer=name("ec ca"),
                public_key=xkey.public_key(), signing_key=keys["p256"])
    s = summarize_certificate(der)
    assert tuple(s.public_key) == ("x25519", 256, None)
    assert s.public_key_oid == "1.3.101.110"
    assert s.self_signed is False


def test_basic_fields_match_cryptography_and_hashlib(self_signed):
    der = self_signed("rsa", subject=name("a,b+c", "Ünïcode Org"))
    s = summarize_certificate(der)
    ref = x509.load_der_x509_certificate(der)
    assert s.subject == ref.subject.rfc4514_string() == "O=Ünïcode Org,CN=a\\,b\\+c"
    assert s.issuer == s.subject
    assert s.subject_name == ref.subject and s.issuer_name == ref.issuer
    assert s.sha256 == hashlib.sha256(der).hexdigest()
    assert s.sha1 == hashlib.sha1(der).hexdigest()
    assert s.der_length == len(der)
    assert s.der == der
    assert s.cert is not None and s.cert.serial_number == 0x5A9
    assert s.not_before == dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert s.not_after == dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


# -- serial numbers -------------------------------------------------------------------------

@pytest.mark.parametrize(("serial", "expected"), [
    (1, "01"),
    (0x5A9, "05a9"),
    (0x7F, "7f"),
    (0x80, "80"),  # DER adds a 00 sign byte; the report does not
    (0x8000000000000001, "8000000000000001"),
    ((1 << 159) - 1, "7f" + "ff" * 19),  # the RFC 5280 maximum: 20 octets
    (0xFFEE << 136, "ffee" + "00" * 17),
])
def test_serial_hex_positive(self_signed, serial, expected):
    s = summarize_certificate(self_signed("p256", serial=serial))
    assert s.serial == expected
    assert s.serial_int == serial and s.serial_negative is False
    assert int(s.serial, 16) == serial


def test_zero_serial_from_patched_der(self_signed):
    """Zero serials exist in the wild (the corpus has two); the builder refuses them."""
    der = self_signed("p256", serial=0x42)
    der = replace_once(der, b"\x02\x01\x42", b"\x02\x01\x00")
    s = summarize_certificate(der)
    assert s.parsed and s.serial == "00" and s.serial_int == 0 and not s.serial_negative


def test_negative_serial_keeps_twos_complement_bytes(self_signed):
    der = self_signed("p256", serial=0x7F11223344556677)
    der = replace_once(der, bytes.fromhex("7f11223344556677"), bytes.fromhex("8011223344556677"))
    s = summarize_certificate(der)
    assert s.parsed
    assert s.serial_negative is True
    assert s.serial == "8011223344556677"  # exactly the DER INTEGER contents
    assert s.serial_int == int.from_bytes(bytes.fromhex("8011223344556677"), "big", signed=True)
    assert s.serial_int < 0
    assert s.to_dict()["serial"] == "8011223344556677"


@pytest.mark.parametrize(("value", "expected"), [
    (0, "00"), (5, "05"), (255, "ff"), (256, "0100"), (-1, "ff"), (-128, "80"),
    (-129, "ff7f"), (-256, "ff00"),
])
def test_serial_hex_function(value, expected):
    assert serial_hex(value) == expected


# -- validity times -------------------------------------------------------------------------

def test_generalized_time_past_2050(self_signed):
    """RFC 5280 4.1.2.5: from 2050 on, validity is a GeneralizedTime (tag 0x18)."""
    nb = dt.datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC)
    na = dt.datetime(2150, 6, 1, 0, 0, 1, tzinfo=UTC)
    der = self_signed("p256", not_before=nb, not_after=na)
    assert b"\x18\x0f21500601000001Z" in der and b"\x17\x0d491231235959Z" in der
    s = summarize_certificate(der)
    assert s.not_before == nb and s.not_after == na
    d = s.to_dict()
    assert d["not_before"] == "2049-12-31T23:59:59Z"
    assert d["not_after"] == "2150-06-01T00:00:01Z"


def test_utctime_two_digit_years(self_signed):
    """RFC 5280 4.1.2.5.1: UTCTime YY >= 50 means 19YY, YY < 50 means 20YY."""
    der = replace_once(self_signed("p256"), b"\x17\x0d240102030405Z", b"\x17\x0d500102030405Z")
    s = summarize_certificate(der)
    assert s.to_dict()["not_before"] == "1950-01-02T03:04:05Z"
    assert s.to_dict()["not_after"] == "2026-01-02T03:04:05Z"


def test_format_time_pads_and_converts():
    assert format_time(dt.datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC)) == "0999-01-02T03:04:05Z"
    plus8 = dt.timezone(dt.timedelta(hours=8))
    assert format_time(dt.datetime(2024, 1, 1, 8, 0, 0, tzinfo=plus8)) == "2024-01-01T00:00:00Z"
    assert format_time(None) is None


# -- self-signed and chains -------------------------------------------------------------------

def test_chain_root_intermediate_leaf(keys):
    root_key, inter_key, leaf_key = keys["rsa"], keys["p384"], keys["p256"]
    ca = [(x509.BasicConstraints(ca=True, path_length=None), True)]
    root = build(subject=name("Root CA"), public_key=root_key.public_key(),
                 signing_key=root_key, extensions=ca)
    inter = build(subject=name("Intermediate CA"), issuer=name("Root CA"),
                  public_key=inter_key.public_key(), signing_key=root_key, extensions=ca)
    leaf = build(subject=name("leaf.example"), issuer=name("Intermediate CA"),
                 public_key=leaf_key.public_key(), signing_key=inter_key)
    r, i, lf = (summarize_certificate(d) for d in (root, inter, leaf))
    assert (r.self_signed, r.self_signature_valid) == (True, True)
    assert (i.self_signed, i.self_signature_valid) == (False, None)
    assert (lf.self_signed, lf.self_signature_valid) == (False, None)
    assert lf.issuer == i.subject == "CN=Intermediate CA"
    # the kept Certificate objects allow the chain check later layers do
    assert lf.cert is not None and i.cert is not None and r.cert is not None
    lf.cert.verify_directly_issued_by(i.cert)
    i.cert.verify_directly_issued_by(r.cert)


def test_same_names_but_signed_by_another_key_is_not_self_signed(keys):
    """Subject == issuer is not enough: the signature must verify with the own key."""
    der = build(subject=name("Impostor Root"), public_key=keys["p256"].public_key(),
                signing_key=keys["p384"])
    s = summarize_certificate(der)
    assert s.subject == s.issuer
    assert (s.self_signed, s.self_signature_valid) == (False, False)


def test_broken_self_signature_after_der_surgery(self_signed):
    der = replace_once(self_signed("rsa", serial=0x1234), b"\x02\x02\x12\x34", b"\x02\x02\x12\x35")
    s = summarize_certificate(der)
    assert (s.self_signed, s.self_signature_valid) == (False, False)


# -- to_dict, caching ---------------------------------------------------------------------------

def test_to_dict_has_exactly_the_contract_keys(self_signed):
    s = summarize_certificate(self_signed("p256"))
    entry = [{"code": 5, "name": "status_request", "length": 0, "data": None, "raw": ""}]
    d = s.to_dict(entry_extensions=entry)
    assert set(d) == SPEC_KEYS
    assert d["entry_extensions"] == entry
    assert d["public_key"] == {"type": "ec", "bits": 256, "curve": "secp256r1"}
    assert d["signature_algorithm"] == {"oid": "1.2.840.10045.4.3.2",
                                        "name": "ecdsa-with-SHA256"}
    assert d["serial"] == "05a9" and d["der_length"] == s.der_length
    assert d["not_before"] == "2024-01-02T03:04:05Z"
    assert s.to_dict()["entry_extensions"] == []
    json.dumps(d)  # JSON-ready


def test_to_dict_returns_copies(self_signed):
    s = summarize_certificate(self_signed(
        "p256", extensions=[(x509.SubjectAlternativeName([x509.DNSName("a.example")]), False)]))
    s.to_dict()["extensions"][0]["value"].append("mutated")
    assert s.to_dict()["extensions"][0]["value"] == [{"type": "dNSName", "value": "a.example"}]


def test_cache_returns_one_object_per_der(self_signed):
    der = self_signed("p256")
    a = summarize_certificate(der)
    b = summarize_certificate(bytearray(der))
    c = summarize_certificate(memoryview(der))
    assert a is b is c
    assert isinstance(a, CertSummary)
    assert hash(a) == hash(b)


def test_summary_is_frozen(self_signed):
    s = summarize_certificate(self_signed("p256"))
    with pytest.raises(AttributeError):
        s.subject = "x"  # type: ignore[misc]


def test_invalid_ec_point_is_reported(keys):
    """A point cryptography refuses still says 'ec' and records a public_key error."""
    key = ec.generate_private_key(ec.SECP256R1())
    der = build(subject=name("bad point"), issuer=name("ca"), public_key=key.public_key(),
                signing_key=keys["p256"])
    point_prefix = b"\x03\x42\x00\x04"
    der = der.replace(point_prefix, b"\x03\x42\x00\x05", 1)  # no such point form
    s = summarize_certificate(der)
    assert s.parsed
    assert tuple(s.public_key) == ("ec", 0, None)
    assert [f for f, _ in s.errors] == ["public_key"]
    assert s.subject == "CN=bad point"


# -- signature checks beyond verify_directly_issued_by ------------------------------------------

@pytest.mark.parametrize(("oid_last", "hash_alg", "sig_name"), [
    (5, hashes.SHA1(), "sha1WithRSAEncryption"),
    (4, hashes.MD5(), "md5WithRSAEncryption"),
])
def test_legacy_self_signatures_are_checked(self_signed, keys, oid_last, hash_alg, sig_name):
    """verify_directly_issued_by refuses SHA-1 and MD5; old captures are full of them."""
    der = resign_rsa_legacy(self_signed("rsa"), keys["rsa"], oid_last, hash_alg)
    s = summarize_certificate(der)
    assert s.signature_algorithm.name == sig_name
    assert (s.self_signed, s.self_signature_valid) == (True, True)
    tampered = summarize_certificate(replace_once(der, b"\x02\x02\x05\xa9", b"\x02\x02\x05\xaa"))
    assert (tampered.self_signed, tampered.self_signature_valid) == (False, False)


def test_rsa_pss_signature(keys):
    key = keys["rsa"]
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    cert = (x509.CertificateBuilder().subject_name(name("pss")).issuer_name(name("pss"))
            .public_key(key.public_key()).serial_number(7)
            .not_valid_before(dt.datetime(2024, 1, 1)).not_valid_after(dt.datetime(2025, 1, 1))
            .sign(key, hashes.SHA256(), rsa_padding=pss))
    s = summarize_certificate(cert.public_bytes(serialization.Encoding.DER))
    assert tuple(s.signature_algorithm) == ("1.2.840.113549.1.1.10", "id-RSASSA-PSS")
    assert (s.self_signed, s.self_signature_valid) == (True, True)


def test_verify_signed_by(keys):
    ca_key, leaf_key = keys["p384"], keys["ed25519"]
    leaf = summarize_certificate(build(subject=name("leaf"), issuer=name("ca"),
                                       public_key=leaf_key.public_key(), signing_key=ca_key))
    assert leaf.cert is not None
    assert verify_signed_by(leaf.cert, ca_key.public_key()) is True
    assert verify_signed_by(leaf.cert, keys["p256"].public_key()) is False  # other EC key
    assert verify_signed_by(leaf.cert, keys["rsa"].public_key()) is None  # wrong key type
    assert verify_signed_by(leaf.cert, object()) is None
