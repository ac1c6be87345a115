"""decode_ocsp_response on responses built and signed by cryptography, and on garbage."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp
from hypothesis import given, settings
from hypothesis import strategies as st
from x509_builders import UTC, build, name

from tlslens.x509.ocsp import decode_ocsp_response

THIS_UPDATE = dt.datetime(2024, 5, 1, 12, 0, 0, tzinfo=UTC)
NEXT_UPDATE = dt.datetime(2024, 5, 8, 12, 0, 0, tzinfo=UTC)
REVOKED_AT = dt.datetime(2024, 4, 30, 8, 30, 0, tzinfo=UTC)

KEYS = {"response_status", "response_status_code", "responder_id", "produced_at",
        "signature_algorithm", "certificates", "responses", "extensions", "single_extensions",
        "errors"}
SINGLE_KEYS = {"cert_status", "revocation_time", "revocation_reason", "this_update",
               "next_update", "hash_algorithm", "serial", "issuer_name_hash", "issuer_key_hash"}


@pytest.fixture
def pki(keys):
    ca_key, leaf_key = keys["p256"], keys["rsa"]
    ca = x509.load_der_x509_certificate(build(
        subject=name("OCSP Test CA"), public_key=ca_key.public_key(), signing_key=ca_key,
        extensions=[(x509.BasicConstraints(ca=True, path_length=None), True)]))
    leaf = x509.load_der_x509_certificate(build(
        subject=name("leaf.example"), issuer=name("OCSP Test CA"), serial=0x80AB,
        public_key=leaf_key.public_key(), signing_key=ca_key))
    return ca_key, ca, leaf


def _response(pki, *, status=ocsp.OCSPCertStatus.GOOD, by=ocsp.OCSPResponderEncoding.HASH,
              reason=None, nonce: bytes | None = None, with_certs=True) -> bytes:
    ca_key, ca, leaf = pki
    revoked = status is ocsp.OCSPCertStatus.REVOKED
    b = (ocsp.OCSPResponseBuilder()
         .add_response(cert=leaf, issuer=ca, algorithm=hashes.SHA1(), cert_status=status,
                       this_update=THIS_UPDATE, next_update=NEXT_UPDATE,
                       revocation_time=REVOKED_AT if revoked else None,
                       revocation_reason=reason)
         .responder_id(by, ca))
    if with_certs:
        b = b.certificates([ca])
    if nonce is not None:
        b = b.add_extension(x509.OCSPNonce(nonce), critical=False)
    return b.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def test_good_response_by_key_hash(pki):
    _, ca, leaf = pki
    der = _response(pki, nonce=b"\x01" * 16)
    d = decode_ocsp_response(der)
    assert set(d) == KEYS and d["errors"] == []
    assert d["response_status"] == "successful" and d["response_status_code"] == 0
    # RFC 6960: byKey and issuerKeyHash are the SHA-1 of the key's BIT STRING contents,
    # for an EC key the uncompressed point
    point = ca.public_key().public_bytes(serialization.Encoding.X962,
                                         serialization.PublicFormat.UncompressedPoint)
    key_hash = hashlib.sha1(point).hexdigest()
    assert d["responder_id"] == {"type": "by_key", "value": key_hash}
    assert d["signature_algorithm"] == {"oid": "1.2.840.10045.4.3.2",
                                        "name": "ecdsa-with-SHA256"}
    assert d["certificates"] == 1
    assert d["produced_at"] is not None and d["produced_at"].endswith("Z")
    [single] = d["responses"]
    assert set(single) == SINGLE_KEYS
    assert single["cert_status"] == "good"
    assert single["revocation_time"] is None and single["revocation_reason"] is None
    assert single["this_update"] == "2024-05-01T12:00:00Z"
    assert single["next_update"] == "2024-05-08T12:00:00Z"
    assert single["hash_algorithm"] == "sha1"
    assert single["serial"] == "80ab"  # leaf serial, no sign byte
    assert int(single["serial"], 16) == leaf.serial_number
    subject_der = ca.subject.public_bytes()
    assert single["issuer_name_hash"] == hashlib.sha1(subject_der).hexdigest()
    assert single["issuer_key_hash"] == key_hash
    assert d["extensions"] == [{"oid": "1.3.6.1.5.5.7.48.1.2", "name": "ocspNonce",
                                "critical": False, "value": {"nonce": "01" * 16}}]


def test_revoked_response_by_name(pki):
    d = decode_ocsp_response(_response(
        pki, status=ocsp.OCSPCertStatus.REVOKED, by=ocsp.OCSPResponderEncoding.NAME,
        reason=x509.ReasonFlags.key_compromise, with_certs=False))
    assert d["responder_id"] == {"type": "by_name", "value": "CN=OCSP Test CA"}
    assert d["certificates"] == 0
    [single] = d["responses"]
    assert single["cert_status"] == "revoked"
    assert single["revocation_time"] == "2024-04-30T08:30:00Z"
    assert single["revocation_reason"] == "keyCompromise"


def test_unknown_status(pki):
    d = decode_ocsp_response(_response(pki, status=ocsp.OCSPCertStatus.UNKNOWN))
    assert d["responses"][0]["cert_status"] == "unknown"
    assert d["responses"][0]["revocation_time"] is None


@pytest.mark.parametrize(("status", "label", "code"), [
    (ocsp.OCSPResponseStatus.MALFORMED_REQUEST, "malformedRequest", 1),
    (ocsp.OCSPResponseStatus.TRY_LATER, "tryLater", 3),
    (ocsp.OCSPResponseStatus.UNAUTHORIZED, "unauthorized", 6),
])
def test_unsuccessful_response(status, label, code):
    der = ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
        serialization.Encoding.DER)
    assert der == bytes([0x30, 0x03, 0x0A, 0x01, code])
    d = decode_ocsp_response(der)
    assert set(d) == KEYS
    assert (d["response_status"], d["response_status_code"]) == (label, code)
    assert d["responder_id"] is None and d["responses"] == [] and d["certificates"] == 0
    assert d["errors"] == []


@pytest.mark.parametrize("data", [b"", b"\x00", b"garbage", b"\x30\x03\x0a\x01",
                                  bytes(range(256))])
def test_garbage_gives_error(data):
    d = decode_ocsp_response(data)
    assert list(d) == ["error"] and d["error"]


def test_every_truncation_gives_error(pki):
    der = _response(pki)
    for n in range(len(der)):
        d = decode_ocsp_response(der[:n])
        assert "error" in d, n


def test_every_byte_flip_never_raises(pki):
    der = _response(pki, nonce=b"\x02" * 8)
    kinds = set()
    for pos in range(len(der)):
        broken = bytearray(der)
        broken[pos] ^= 0xFF
        d = decode_ocsp_response(bytes(broken))
        if "error" in d:
            kinds.add("error")
        else:
            assert set(d) == KEYS
            kinds.add("field_errors" if d["errors"] else "decoded")
    assert {"error", "decoded"} <= kinds, kinds


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_raise(data):
    d = decode_ocsp_response(data)
    assert isinstance(d, dict) and ("error" in d or set(d) == KEYS)
