"""Cipher suite components (generated from cipher_suite_components.csv)."""

from __future__ import annotations

import dataclasses

import pytest

from tlslens.registry import name
from tlslens.registry._iana import CIPHER_COMPONENTS
from tlslens.registry.ciphers import CipherSuite, components


def test_ecdhe_ecdsa_aes256_gcm() -> None:
    cs = components(0xC02C)
    assert cs is not None
    assert cs.name == "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
    assert (cs.kx, cs.au) == ("ECDHE", "ECDSA")
    assert (cs.enc, cs.enc_cipher, cs.enc_mode, cs.enc_key_bits) == (
        "AES_256_GCM",
        "AES",
        "GCM",
        256,
    )
    assert cs.aead is True and cs.mac == "AEAD"
    assert cs.hash == "SHA384" and cs.prf == "SHA384"
    assert cs.fs is True and cs.export is False and cs.tls13 is False
    assert cs.security == "recommended" and cs.security_basis == ()
    assert cs.recommended == "Y"
    assert (cs.min_version, cs.max_version) == (0x0303, 0x0303)


def test_rc4_md5_is_insecure() -> None:
    cs = components(0x0004)
    assert cs is not None
    assert cs.name == "TLS_RSA_WITH_RC4_128_MD5"
    assert (cs.kx, cs.au, cs.enc_cipher, cs.enc_mode) == ("RSA", "RSA", "RC4", "STREAM")
    assert cs.mac == "HMAC-MD5" and cs.hash == "MD5"
    assert cs.aead is False and cs.fs is False
    assert cs.security == "insecure"
    assert "Rivest Cipher 4 (high)" in cs.security_basis
    assert "Message Digest 5 (high)" in cs.security_basis
    assert cs.recommended == "D"  # discouraged by RFC 10015
    assert (cs.min_version, cs.max_version) == (0x0300, 0x0303)


def test_tls13_aes128_gcm() -> None:
    cs = components(0x1301)
    assert cs is not None
    assert cs.name == "TLS_AES_128_GCM_SHA256"
    assert cs.tls13 is True
    assert (cs.kx, cs.au) == ("any", "any")  # negotiated by key_share / signature_algorithms
    assert cs.prf == "HKDF-SHA256" and cs.aead is True and cs.fs is True
    assert (cs.min_version, cs.max_version) == (0x0304, 0x0304)


def test_export_and_single_des_version_limits() -> None:
    export = components(0x0003)  # TLS_RSA_EXPORT_WITH_RC4_40_MD5
    assert export is not None and export.export is True
    assert export.enc_key_bits == 40 and export.max_version == 0x0301
    des = components(0x0009)  # TLS_RSA_WITH_DES_CBC_SHA, removed in TLS 1.2
    assert des is not None and des.max_version == 0x0302


def test_signaling_values_have_no_components() -> None:
    for code in (0x00FF, 0x5600):
        cs = components(code)
        assert cs is not None and cs.kind == "signaling"
        assert cs.kx is None and cs.enc is None and cs.fs is None and cs.security is None


@pytest.mark.parametrize("code", [0x0A0A, 0xCC13, 0x0075, 0x010080, -1, 1 << 40])
def test_non_iana_grease_and_unknown_have_none(code: int) -> None:
    assert components(code) is None


def test_every_assigned_suite_has_components_and_names_agree() -> None:
    assert len(CIPHER_COMPONENTS) == 356
    for code in CIPHER_COMPONENTS:
        cs = components(code)
        assert cs is not None and cs.code == code
        assert name("cipher_suites", code) == cs.name
        assert cs.security in {"recommended", "secure", "weak", "insecure", None}
        assert cs.recommended in {"Y", "N", "D"}


def test_value_object_is_frozen() -> None:
    cs = components(0x1301)
    assert isinstance(cs, CipherSuite)
    with pytest.raises(dataclasses.FrozenInstanceError):
        cs.name = "x"  # type: ignore[misc]
