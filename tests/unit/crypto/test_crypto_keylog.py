"""NSS key log parsing: every label, a bad line is an anomaly and the rest still work."""

from __future__ import annotations

from tlslens.crypto.keylog import DSB_TLS_KEY_LOG, KeyStore

CR = "11" * 32
CR2 = "22" * 32


def test_every_label_is_read_and_kept() -> None:
    text = "\n".join([
        "# a comment", "",
        f"CLIENT_RANDOM {CR} {'aa' * 48}",
        f"CLIENT_EARLY_TRAFFIC_SECRET {CR} {'01' * 32}",
        f"CLIENT_HANDSHAKE_TRAFFIC_SECRET {CR} {'02' * 32}",
        f"SERVER_HANDSHAKE_TRAFFIC_SECRET {CR} {'03' * 48}",
        f"CLIENT_TRAFFIC_SECRET_0 {CR} {'04' * 32}",
        f"SERVER_TRAFFIC_SECRET_0 {CR} {'05' * 32}",
        f"EXPORTER_SECRET {CR} {'06' * 32}",
        f"EARLY_EXPORTER_SECRET {CR} {'07' * 32}",
        f"RSA {'0102030405060708'} {'08' * 48}",
        f"ECH_SECRET {CR} {'09' * 32}",
        f"ECH_CONFIG {CR} {'0a' * 70}",
    ])
    store = KeyStore()
    assert store.add_keylog(text.encode(), "k.log") == 11
    assert not store.anomalies
    cr = bytes.fromhex(CR)
    assert store.get("CLIENT_RANDOM", cr) == b"\xaa" * 48
    assert store.get("SERVER_HANDSHAKE_TRAFFIC_SECRET", cr) == b"\x03" * 48
    assert store.get("RSA", bytes.fromhex("0102030405060708")) == b"\x08" * 48
    assert store.get("ECH_CONFIG", cr) == b"\x0a" * 70
    assert store.has_material


def test_bad_lines_are_anomalies_and_the_good_lines_still_work() -> None:
    text = "\n".join([
        f"CLIENT_RANDOM {CR} {'aa' * 48}",
        f"CLIENT_RANDOM {CR2}",                          # a field missing
        f"CLIENT_RANDOM {CR2} zz{'aa' * 47}",             # not hex
        f"CLIENT_RANDOM {'22' * 31} {'aa' * 48}",         # short random
        f"CLIENT_RANDOM {CR2} {'aa' * 47}",               # short master secret
        f"SERVER_TRAFFIC_SECRET_0 {CR2} {'aa' * 20}",     # not a hash length
        f"NO_SUCH_LABEL {CR2} {'aa' * 32}",
        f"CLIENT_RANDOM {CR2} {'bb' * 48}",
    ])
    store = KeyStore()
    assert store.add_keylog(text, "bad.log") == 2
    ids = [a.id for a in store.anomalies]
    assert ids == ["keylog.bad_line"] * 6
    details = [a.detail for a in store.anomalies]
    assert details[0].startswith("bad.log:2: CLIENT_RANDOM: 1 fields")
    assert "not hexadecimal" in details[1]
    assert "NO_SUCH_LABEL" in details[5]
    assert store.get("CLIENT_RANDOM", bytes.fromhex(CR2)) == b"\xbb" * 48


def test_secrets_blocks_of_other_kinds_are_noted() -> None:
    store = KeyStore()
    store.add_secrets_block(DSB_TLS_KEY_LOG, f"CLIENT_RANDOM {CR} {'aa' * 48}\n".encode(), 3)
    store.add_secrets_block(0x5353484B, b"ssh secrets", 7)  # SSH key log
    assert store.get("CLIENT_RANDOM", bytes.fromhex(CR)) == b"\xaa" * 48
    assert [a.id for a in store.anomalies] == ["keylog.unsupported_secrets"]
    assert "after packet 7" in store.anomalies[0].detail


def test_a_pem_that_is_no_rsa_key_is_an_anomaly() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    ec_pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    store = KeyStore()
    assert not store.add_rsa_key_pem(b"not a pem", "junk.pem")
    assert not store.add_rsa_key_pem(ec_pem, "ec.pem")
    assert [a.id for a in store.anomalies] == ["keylog.bad_rsa_key"] * 2
    assert not store.has_material
