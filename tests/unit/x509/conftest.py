"""Fixtures for the x509 tests: session keys and a self-signed certificate factory."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from x509_builders import build, name

from tlslens.x509.certs import clear_cache


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Each test sees its own parses (the cache is keyed by DER, so only for clarity)."""
    clear_cache()


@pytest.fixture(scope="session")
def keys() -> dict[str, Any]:
    return {
        "rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "p256": ec.generate_private_key(ec.SECP256R1()),
        "p384": ec.generate_private_key(ec.SECP384R1()),
        "brainpool": ec.generate_private_key(ec.BrainpoolP256R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
        "ed448": ed448.Ed448PrivateKey.generate(),
        "dsa": dsa.generate_private_key(key_size=2048),
    }


@pytest.fixture
def self_signed(keys: dict[str, Any]) -> Callable[..., bytes]:
    """``self_signed("p256", serial=..., ...)``: a self-signed certificate for that key."""
    def make(kind: str, **kw: Any) -> bytes:
        key = keys[kind]
        kw.setdefault("subject", name(f"{kind} test", "tlslens"))
        return build(public_key=key.public_key(), signing_key=key, **kw)
    return make
