"""The per-connection caches: identical inputs are worked out once, and nothing changes.

Each cache must give exactly what the uncached code gives, miss on equal-but-distinct
inputs (a hand-built copy), and stay bounded.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import tlslens
from tlslens.analysis import fingerprints, verify
from tlslens.analysis.assess import assess
from tlslens.analysis.memo import IdentityCache
from tlslens.analysis.model import Verdict, evolve
from tlslens.registry import is_grease
from tlslens.x509.certs import summarize_certificate

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seed" / "seed.pcap"
AT = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def seed_conn():  # type: ignore[no-untyped-def]
    return tlslens.analyze(str(SEED)).connections[0]


def _cert(subject: str, issuer: str, key, signer):  # type: ignore[no-untyped-def]
    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    der = (x509.CertificateBuilder().subject_name(name(subject)).issuer_name(name(issuer))
           .public_key(key.public_key()).serial_number(x509.random_serial_number())
           .not_valid_before(dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
           .not_valid_after(dt.datetime(2027, 1, 1, tzinfo=dt.UTC))
           .sign(signer, hashes.SHA256()).public_bytes(serialization.Encoding.DER))
    return summarize_certificate(der)


@pytest.fixture
def chain():  # type: ignore[no-untyped-def]
    root_k, leaf_k = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))
    return [_cert("leaf.test", "Memo Root", leaf_k, root_k),
            _cert("Memo Root", "Memo Root", root_k, root_k)]


def test_identity_cache_hits_the_same_objects_only() -> None:
    cache: IdentityCache[str] = IdentityCache(2)
    a, b = ["x"], ["x"]  # equal, distinct
    key = IdentityCache.key((a,), ("extra",))
    cache.put(key, (a,), "value")
    assert cache.get(key) == "value"
    assert cache.get(IdentityCache.key((b,), ("extra",))) is None
    assert cache.get(IdentityCache.key((a,), ("other",))) is None


def test_identity_cache_is_bounded() -> None:
    cache: IdentityCache[int] = IdentityCache(3)
    objs = [object() for _ in range(10)]
    for i, o in enumerate(objs):
        cache.put(IdentityCache.key((o,)), (o,), i)
    assert len(cache._entries) <= 3
    assert cache.get(IdentityCache.key((objs[-1],))) == 9


def test_a_chain_is_verified_once(chain, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    calls = []
    real = verify.verify_signed_by

    def counting(cert, key):  # type: ignore[no-untyped-def]
        calls.append(cert)
        return real(cert, key)

    monkeypatch.setattr(verify, "verify_signed_by", counting)
    first = verify.chain_links(chain, AT)
    assert verify.chain_links(list(chain), AT) is first
    assert len(calls) == 1 and first[0].signature_valid is True
    # The capture time still decides validity, on the cached checks.
    later = verify.chain_links(chain, dt.datetime(2028, 1, 1, tzinfo=dt.UTC))
    assert [lk.validity for lk in later] == ["expired", "expired"]
    assert [dataclasses.replace(lk, validity="valid") for lk in later] == list(first)


def test_a_hand_built_copy_is_checked_afresh(chain) -> None:  # type: ignore[no-untyped-def]
    verify.chain_links(chain, AT)
    unsigned_root = dataclasses.replace(chain[1], self_signed=False, self_signature_valid=None)
    links = verify.chain_links([chain[0], unsigned_root], AT)
    assert links[1].self_signed is False and links[1].signature_valid is None


def test_hostname_cache_gives_the_uncached_answer(chain) -> None:  # type: ignore[no-untyped-def]
    leaf = chain[0]
    assert verify.leaf_dns_names(leaf) == verify._leaf_dns_names(leaf)
    assert verify.hostname_matches("leaf.test", leaf) is True
    assert verify.hostname_matches("other.test", leaf) is False
    assert verify.hostname_matches("leaf.test", leaf) is True


def test_grease_set_is_the_registry_rule() -> None:
    assert fingerprints._GREASE == {v for v in range(0x10000) if is_grease(v)}


def test_hex_cache_keeps_sslv2_specs_apart() -> None:
    assert fingerprints._hex4((0x1301, 0x010080, 0x0A0A)) == ("1301", "010080", "0a0a")
    assert fingerprints._hex4((0x010080, 0x1301)) == ("010080", "1301")


def test_evolve_is_replace(seed_conn) -> None:  # type: ignore[no-untyped-def]
    changes = {"findings": (), "verdict": Verdict("good"), "hostname_match": None}
    assert evolve(seed_conn, **changes) == dataclasses.replace(seed_conn, **changes)


def test_build_judges_like_assess(seed_conn) -> None:  # type: ignore[no-untyped-def]
    """build.py runs assess() in two halves; judging the unjudged connection again with
    assess() gives the very same connection (the eSIM profile's finding made before)."""
    esim_findings = tuple(f for f in seed_conn.findings if f.id == "ci-impostor")
    assert esim_findings and seed_conn.esim is not None
    unjudged = dataclasses.replace(seed_conn, findings=esim_findings,
                                   verdict=Verdict("acceptable"),
                                   chain=(), hostname_match=None,
                                   server_key_exchange_valid=None)
    assert assess(unjudged) == seed_conn
