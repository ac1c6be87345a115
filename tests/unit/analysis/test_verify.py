"""analysis/verify.py: signatures, chain links, host names and validity, on real bytes.

Signatures are made by ``cryptography`` with real keys (every form a ServerKeyExchange can
take), then checked by tlslens; one flipped byte must make each fail. The seed fixture's
ServerKeyExchange (OpenSSL, ECDSA P-256) is verified as captured.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.x509.oid import NameOID

import tlslens
from tlslens.analysis.verify import (
    chain_links,
    hostname_matches,
    validity_at,
    verify_server_key_exchange,
    verify_signature,
)
from tlslens.x509.certs import summarize_certificate

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seed" / "seed.pcap"
UTC = dt.UTC
DATA = b"client_random" * 2 + b"server_random" * 2 + b"\x03\x00\x1d\x20" + bytes(32)


def flip(b: bytes, i: int = -1) -> bytes:
    out = bytearray(b)
    out[i] ^= 0x01
    return bytes(out)


@pytest.fixture(scope="module")
def seed_conn():  # type: ignore[no-untyped-def]
    return tlslens.analyze(str(SEED)).connections[0]


# -- ServerKeyExchange ------------------------------------------------------------------

def test_seed_ske_signature_verifies(seed_conn) -> None:  # type: ignore[no-untyped-def]
    c = seed_conn
    assert c.server_key_exchange_valid is True
    ske, leaf = c.server_key_exchange, c.certificates[0]
    cr, sr = c.client_hellos[0].hello.random, c.server_hellos[0].hello.random
    assert verify_server_key_exchange(ske, leaf, [cr], sr) is True


@pytest.mark.parametrize("where", ["params", "signature", "client_random", "server_random"])
def test_seed_ske_fails_on_one_flipped_byte(seed_conn, where: str) -> None:  # type: ignore[no-untyped-def]
    c = seed_conn
    ske, leaf = c.server_key_exchange, c.certificates[0]
    cr, sr = c.client_hellos[0].hello.random, c.server_hellos[0].hello.random
    if where == "params":
        ske = dataclasses.replace(ske, params=flip(ske.params, 10))
    elif where == "signature":
        ske = dataclasses.replace(ske, signature=flip(ske.signature, 20))
    elif where == "client_random":
        cr = flip(cr, 0)
    else:
        sr = flip(sr, 31)
    assert verify_server_key_exchange(ske, leaf, [cr], sr) is False


def test_ske_without_leaf_or_signature_is_not_decided(seed_conn) -> None:  # type: ignore[no-untyped-def]
    c = seed_conn
    ske = c.server_key_exchange
    cr, sr = c.client_hellos[0].hello.random, c.server_hellos[0].hello.random
    assert verify_server_key_exchange(ske, None, [cr], sr) is None
    assert verify_server_key_exchange(dataclasses.replace(ske, signature=None),
                                      c.certificates[0], [cr], sr) is None


def test_ske_tries_every_client_random(seed_conn) -> None:  # type: ignore[no-untyped-def]
    """A duplicate ClientHello leaves two candidates; the answered one must verify."""
    c = seed_conn
    cr, sr = c.client_hellos[0].hello.random, c.server_hellos[0].hello.random
    assert verify_server_key_exchange(c.server_key_exchange, c.certificates[0],
                                      [bytes(32), cr], sr) is True


def _rsa():  # type: ignore[no-untyped-def]
    return rsa.generate_private_key(65537, 2048)


def _sign_cases():  # type: ignore[no-untyped-def]
    """(id, TLS 1.2 scheme or None for TLS <= 1.1, public key, signature over DATA)."""
    r = _rsa()
    e256 = ec.generate_private_key(ec.SECP256R1())
    e384 = ec.generate_private_key(ec.SECP384R1())
    d = dsa.generate_private_key(2048)
    ed = ed25519.Ed25519PrivateKey.generate()
    ed4 = ed448.Ed448PrivateKey.generate()
    md5sha1 = hashlib.md5(DATA).digest() + hashlib.sha1(DATA).digest()
    # TLS 1.0/1.1 RSA: PKCS#1 v1.5 padding around MD5||SHA-1 with no DigestInfo. The
    # raw RSA operation is done here with the private numbers, as a TLS 1.0 stack does.
    priv = r.private_numbers()
    k = (r.key_size + 7) // 8
    block = b"\x00\x01" + b"\xff" * (k - len(md5sha1) - 3) + b"\x00" + md5sha1
    legacy = pow(int.from_bytes(block, "big"), priv.d, priv.public_numbers.n).to_bytes(k, "big")
    pss = padding.PSS(mgf=padding.MGF1(hashes.SHA256()), salt_length=32)
    return [
        ("rsa_pkcs1_sha256", 0x0401, r.public_key(),
         r.sign(DATA, padding.PKCS1v15(), hashes.SHA256())),
        ("rsa_pkcs1_sha1", 0x0201, r.public_key(),
         r.sign(DATA, padding.PKCS1v15(), hashes.SHA1())),
        ("rsa_pss_rsae_sha256", 0x0804, r.public_key(), r.sign(DATA, pss, hashes.SHA256())),
        ("ecdsa_secp256r1_sha256", 0x0403, e256.public_key(),
         e256.sign(DATA, ec.ECDSA(hashes.SHA256()))),
        ("ecdsa_secp384r1_sha384", 0x0503, e384.public_key(),
         e384.sign(DATA, ec.ECDSA(hashes.SHA384()))),
        ("dsa_sha256", 0x0402, d.public_key(), d.sign(DATA, hashes.SHA256())),
        ("ed25519", 0x0807, ed.public_key(), ed.sign(DATA)),
        ("ed448", 0x0808, ed4.public_key(), ed4.sign(DATA)),
        ("tls10_rsa_md5_sha1", None, r.public_key(), legacy),
        ("tls10_ecdsa_sha1", None, e256.public_key(), e256.sign(DATA, ec.ECDSA(hashes.SHA1()))),
        ("tls10_dsa_sha1", None, d.public_key(), d.sign(DATA, hashes.SHA1())),
        ("prehashed_check", 0x0401, r.public_key(), r.sign(
            hashlib.sha256(DATA).digest(), padding.PKCS1v15(), Prehashed(hashes.SHA256()))),
    ]


CASES = _sign_cases()


@pytest.mark.parametrize(("scheme", "key", "sig"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_every_signature_form_verifies_and_fails_when_flipped(scheme, key, sig) -> None:  # type: ignore[no-untyped-def]
    assert verify_signature(key, scheme, sig, DATA) is True
    assert verify_signature(key, scheme, sig, flip(DATA, 70)) is False


def test_scheme_and_key_that_do_not_fit_are_undecided() -> None:
    r = _rsa()
    sig = r.sign(DATA, padding.PKCS1v15(), hashes.SHA256())
    assert verify_signature(r.public_key(), 0x0403, sig, DATA) is None  # ECDSA scheme, RSA key
    assert verify_signature(r.public_key(), 0xFEFE, sig, DATA) is None  # unknown scheme


# -- chain, names, validity ---------------------------------------------------------------

def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, issuer: str, key, signer, *, san=(), ca=False,  # type: ignore[no-untyped-def]
          nb=dt.datetime(2024, 1, 1, tzinfo=UTC), na=dt.datetime(2027, 1, 1, tzinfo=UTC),
          aki_from=None):
    b = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(nb).not_valid_after(na)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), True))
    if aki_from is not None:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            aki_from.public_key()), False)
    if san:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in san]), False)
    der = b.sign(signer, hashes.SHA256()).public_bytes(serialization.Encoding.DER)
    return summarize_certificate(der)


@pytest.fixture(scope="module")
def pki():  # type: ignore[no-untyped-def]
    root_k, inter_k, leaf_k, other_k = (ec.generate_private_key(ec.SECP256R1())
                                        for _ in range(4))
    root = _cert("Test Root", "Test Root", root_k, root_k, ca=True)
    inter = _cert("Test Inter", "Test Root", inter_k, root_k, ca=True, aki_from=root_k)
    leaf = _cert("www.example.test", "Test Inter", leaf_k, inter_k,
                 san=("www.example.test", "*.api.example.test"), aki_from=inter_k)
    # Same issuer name as inter, but another key: names chain, the signature does not.
    impostor = _cert("Test Inter", "Test Root", other_k, root_k, ca=True, aki_from=root_k)
    return {"root": root, "inter": inter, "leaf": leaf, "impostor": impostor}


AT = dt.datetime(2025, 6, 1, tzinfo=UTC)


def test_good_chain_links(pki) -> None:  # type: ignore[no-untyped-def]
    links = chain_links([pki["leaf"], pki["inter"], pki["root"]], AT)
    assert [(lk.issuer_index, lk.name_chained, lk.key_id_chained, lk.signature_valid)
            for lk in links[:2]] == [(1, True, True, True), (2, True, True, True)]
    assert links[2].self_signed and links[2].signature_valid is True
    assert links[2].issuer_index is None
    assert all(lk.validity == "valid" and not lk.out_of_order for lk in links)


def test_root_not_sent_is_normal(pki) -> None:  # type: ignore[no-untyped-def]
    links = chain_links([pki["leaf"], pki["inter"]], AT)
    assert links[1].issuer_index is None and links[1].signature_valid is None
    assert not links[1].self_signed


def test_out_of_order_chain_is_told_apart(pki) -> None:  # type: ignore[no-untyped-def]
    links = chain_links([pki["leaf"], pki["root"], pki["inter"]], AT)
    assert links[0].out_of_order and links[0].issuer_index == 2
    assert links[0].signature_valid is True


def test_wrong_key_breaks_the_link(pki) -> None:  # type: ignore[no-untyped-def]
    links = chain_links([pki["leaf"], pki["impostor"], pki["root"]], AT)
    assert links[0].name_chained is True
    assert links[0].signature_valid is False and links[0].key_id_chained is False
    assert not links[0].out_of_order


def test_unrelated_next_certificate(pki) -> None:  # type: ignore[no-untyped-def]
    links = chain_links([pki["leaf"], pki["root"]], AT)
    assert links[0].name_chained is False and not links[0].out_of_order


def test_validity_is_judged_at_the_capture_time(pki) -> None:  # type: ignore[no-untyped-def]
    leaf = pki["leaf"]
    assert validity_at(leaf, AT) == "valid"
    assert validity_at(leaf, dt.datetime(2028, 1, 1, tzinfo=UTC)) == "expired"
    assert validity_at(leaf, dt.datetime(2023, 1, 1, tzinfo=UTC)) == "not_yet_valid"


@pytest.mark.parametrize(("sni", "expected"), [
    ("www.example.test", True), ("WWW.Example.Test.", True),
    ("v1.api.example.test", True),       # wildcard: one label
    ("a.b.api.example.test", False),     # never two labels
    ("api.example.test", False),         # nor zero
    ("example.test", False), ("www.example.org", False),
    ("xn--caf-dma.api.example.test", False),  # no wildcard into an A-label
    ("192.0.2.1", False), (None, None),
])
def test_hostname_rfc6125(pki, sni, expected) -> None:  # type: ignore[no-untyped-def]
    assert hostname_matches(sni, pki["leaf"]) is expected


def test_cn_is_used_only_without_san(pki) -> None:  # type: ignore[no-untyped-def]
    k = ec.generate_private_key(ec.SECP256R1())
    cn_only = _cert("host.example.test", "host.example.test", k, k)
    assert hostname_matches("host.example.test", cn_only) is True
    with_san = _cert("host.example.test", "x", k, k, san=("other.example.test",))
    assert hostname_matches("host.example.test", with_san) is False


def test_seed_chain(seed_conn) -> None:  # type: ignore[no-untyped-def]
    c = seed_conn
    assert [lk.validity for lk in c.chain] == ["valid", "expired", "valid"]
    assert [lk.signature_valid for lk in c.chain] == [True, True, True]
    assert c.chain[2].self_signed and c.hostname_match is True
