"""Key derivation against published vectors: the TLS 1.2 PRF test vector (SHA-256, as
circulated on the IETF TLS list and used by many stacks) and RFC 8448's simple 1-RTT
trace (server handshake traffic secret -> key, IV, finished key)."""

from __future__ import annotations

from tlslens.crypto.prf import hkdf_expand_label, prf_tls10, prf_tls12, ssl3_expand

RFC8448_SERVER_HS_SECRET = bytes.fromhex(
    "b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38")


def test_tls12_prf_sha256_vector() -> None:
    out = prf_tls12("SHA256", bytes.fromhex("9bbe436ba940f017b17652849a71db35"),
                    b"test label", bytes.fromhex("a0ba9f936cda311827a6f796ffd5198c"), 100)
    assert out.hex() == (
        "e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9"
        "c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789ba"
        "a48082d122ee42c5a72e5a5110fff70187347b66")


def test_rfc8448_handshake_key_iv_and_finished_key() -> None:
    s = RFC8448_SERVER_HS_SECRET
    assert hkdf_expand_label("SHA256", s, "key", b"", 16).hex() == \
        "3fce516009c21727d0f2e4e86ee403bc"
    assert hkdf_expand_label("SHA256", s, "iv", b"", 12).hex() == "5d313eb2671276ee13000b30"
    assert hkdf_expand_label("SHA256", s, "finished", b"", 32).hex() == \
        "008d3b66f816ea559f96b537e885c31fc068bf492c652f01f288a1d8cdc19fc8"


def test_tls10_prf_splits_an_odd_secret_with_a_shared_middle_byte() -> None:
    # Both halves of a 5-byte secret are 3 bytes long and share byte 2: changing it
    # changes the output, changing nothing gives the same output.
    a = prf_tls10(b"\x01\x02\x03\x04\x05", b"label", b"seed", 20)
    b = prf_tls10(b"\x01\x02\xff\x04\x05", b"label", b"seed", 20)
    assert len(a) == 20 and a != b
    assert a == prf_tls10(b"\x01\x02\x03\x04\x05", b"label", b"seed", 20)


def test_ssl3_expand_lengths_and_prefixes() -> None:
    out = ssl3_expand(b"s" * 48, b"r" * 64, 104)
    assert len(out) == 104
    assert ssl3_expand(b"s" * 48, b"r" * 64, 48) == out[:48]
