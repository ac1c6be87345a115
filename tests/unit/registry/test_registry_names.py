"""Names for code points: the naming policy of the JSON contract ("coded")."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tlslens import registry
from tlslens.registry import TABLE_NAMES, coded, is_grease, name, version_name

GREASE16 = [0x0A0A + 0x1010 * i for i in range(16)]
PSK_GREASE = [0x0B, 0x2A, 0x49, 0x68, 0x87, 0xA6, 0xC5, 0xE4]  # RFC 8701 section 2


@pytest.mark.parametrize(
    ("table", "value", "expected"),
    [
        ("cipher_suites", 0x1301, "TLS_AES_128_GCM_SHA256"),
        ("cipher_suites", 0xC02C, "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"),
        ("cipher_suites", 0x00FF, "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"),
        ("cipher_suites", 0x5600, "TLS_FALLBACK_SCSV"),
        ("extensions", 0, "server_name"),
        ("extensions", 43, "supported_versions"),
        ("extensions", 0xFE0D, "encrypted_client_hello"),
        ("extensions", 0xFF01, "renegotiation_info"),
        ("groups", 29, "x25519"),
        ("groups", 0x11EC, "X25519MLKEM768"),
        ("signature_schemes", 0x0804, "rsa_pss_rsae_sha256"),
        ("signature_schemes", 0x0403, "ecdsa_secp256r1_sha256"),
        ("alerts", 40, "handshake_failure"),
        ("handshake_types", 1, "client_hello"),
        ("handshake_types", 254, "message_hash"),
        ("content_types", 23, "application_data"),
        ("ec_point_formats", 0, "uncompressed"),
        ("ec_curve_types", 3, "named_curve"),
        ("psk_key_exchange_modes", 1, "psk_dhe_ke"),
        ("cert_compression", 2, "brotli"),
        ("cert_status_types", 1, "ocsp"),
        ("certificate_types", 2, "Raw Public Key"),
        ("client_certificate_types", 64, "ecdsa_sign"),
        ("hash_algorithms", 4, "sha256"),
        ("signature_algorithms", 3, "ecdsa"),
        ("heartbeat_modes", 1, "peer_allowed_to_send"),
        ("heartbeat_message_types", 2, "heartbeat_response"),
    ],
)
def test_iana_names(table: str, value: int, expected: str) -> None:
    assert name(table, value) == expected


@pytest.mark.parametrize(
    ("table", "value", "expected", "iana_now"),
    [
        # IANA renamed these; the long-standing names (as Wireshark shows them) win.
        ("extensions", 23, "extended_master_secret", "extended_main_secret (RFC 9846)"),
        ("extensions", 10, "supported_groups", 'with "(renamed from ...)" note'),
        ("extensions", 35, "session_ticket", 'with "(renamed from ...)" note'),
        ("extensions", 34, "delegated_credentials", "delegated_credential (RFC 9345)"),
        ("handshake_types", 0, "hello_request", "hello_request_RESERVED"),
        ("handshake_types", 4, "new_session_ticket", 'with "(renamed from ...)" note'),
        ("handshake_types", 6, "hello_retry_request", "hello_retry_request_RESERVED"),
        ("handshake_types", 12, "server_key_exchange", "server_key_exchange_RESERVED"),
        ("handshake_types", 16, "client_key_exchange", "client_key_exchange_RESERVED"),
        ("alerts", 21, "decryption_failed", "decryption_failed_RESERVED"),
        ("alerts", 41, "no_certificate", "no_certificate_RESERVED"),
        ("alerts", 100, "no_renegotiation", "no_renegotiation_RESERVED"),
        ("cert_status_types", 2, "ocsp_multi", "ocsp_multi_RESERVED"),
        ("client_certificate_types", 20, "fortezza_dms", "fortezza_dms_RESERVED"),
        ("certificate_types", 0, "X.509", "X509"),
        ("certificate_types", 1, "OpenPGP", "OpenPGP_RESERVED"),
        ("groups", 0x6399, "X25519Kyber768Draft00", "with (OBSOLETE)"),
    ],
)
def test_renamed_values_keep_the_long_standing_name(
    table: str, value: int, expected: str, iana_now: str
) -> None:
    assert name(table, value) == expected, iana_now


def test_no_table_leaks_iana_rename_markers() -> None:
    from tlslens.registry._iana import TABLES

    for table, names in TABLES.items():
        for value, text in names.items():
            assert not text.endswith("_RESERVED"), (table, value, text)
            assert "renamed from" not in text and "OBSOLETE" not in text, (table, value)
            assert "main_secret" not in text, (table, value, text)


@pytest.mark.parametrize(
    ("table", "value", "expected"),
    [
        # not assigned by IANA, known in the field (non_iana_codepoints.csv, Wireshark names)
        ("extensions", 13172, "next_protocol_negotiation"),
        ("extensions", 30031, "channel_id_old"),
        ("extensions", 30032, "channel_id"),
        ("extensions", 17513, "application_settings"),
        ("extensions", 40, "key_share_old"),
        ("extensions", 0xFFCE, "encrypted_server_name"),
        ("groups", 16696, "CECPQ2"),
        ("cipher_suites", 0xCC13, "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256_OLD"),
        ("cipher_suites", 0x0060, "TLS_RSA_EXPORT1024_WITH_RC4_56_MD5"),
        ("cipher_suites", 0xFEFF, "SSL_RSA_FIPS_WITH_3DES_EDE_CBC_SHA"),
        ("cipher_suites", 0xE410, "TLS_RSA_WITH_ESTREAM_SALSA20_SHA1"),
        ("cipher_suites", 0xE41F, "TLS_DHE_RSA_WITH_SALSA20_SHA1"),
        ("handshake_types", 67, "next_protocol"),
        ("signature_algorithms", 4, "rsa_pss_sha256"),
    ],
)
def test_non_iana_names(table: str, value: int, expected: str) -> None:
    assert name(table, value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0x0202, "dsa_sha1"),
        (0x0301, "rsa_pkcs1_sha224"),
        (0x0303, "ecdsa_sha224"),
        (0x0602, "dsa_sha512"),
        (0x0101, "rsa_pkcs1_md5"),
        (0x0201, "rsa_pkcs1_sha1"),  # IANA's own names where it has one
        (0x0403, "ecdsa_secp256r1_sha256"),
    ],
)
def test_tls12_signature_pairs(value: int, expected: str) -> None:
    # TLS 1.2 clients offer (hash, signature) pairs that TLS 1.3's SignatureScheme only
    # "reserves for backward compatibility"; they are named from the TLS 1.2 registries.
    assert name("signature_schemes", value) == expected


def test_sslv2_cipher_specs() -> None:
    assert name("sslv2_cipher_specs", 0x010080) == "SSLv20_CK_RC4_128_WITH_MD5"
    assert name("sslv2_cipher_specs", 0x0700C0) == "SSLv20_CK_DES_192_EDE3_CBC_WITH_MD5"
    # a spec with a zero first byte is the TLS suite of its low 16 bits
    assert name("sslv2_cipher_specs", 0x00000A) == "TLS_RSA_WITH_3DES_EDE_CBC_SHA"
    assert name("sslv2_cipher_specs", 0x00C02C) == name("cipher_suites", 0xC02C)
    assert name("sslv2_cipher_specs", 0x00FF) == "TLS_EMPTY_RENEGOTIATION_INFO_SCSV"
    # unknown 24-bit kinds and unassigned TLS suites stay unknown
    assert name("sslv2_cipher_specs", 0x090080) is None
    assert name("sslv2_cipher_specs", 0x000075) is None
    # and the 24-bit kinds are not TLS cipher suites
    assert name("cipher_suites", 0x010080) is None


def test_is_grease_pattern() -> None:
    assert [v for v in range(0x10000) if is_grease(v)] == GREASE16
    assert not is_grease(0x0A0A0A)
    assert not is_grease(-0x0A0A)
    assert not is_grease(0x0A1A)


@pytest.mark.parametrize(
    "table", ["cipher_suites", "extensions", "groups", "signature_schemes", "versions"]
)
def test_grease_named_in_16bit_fields(table: str) -> None:
    assert [name(table, v) for v in GREASE16] == ["GREASE"] * 16
    # IANA lists 0x0A0A..0xFAFA as "Reserved" rows; the near misses are unknown
    assert name(table, 0x0A0B) is None


def test_grease_psk_modes_are_the_one_byte_table() -> None:
    assert [name("psk_key_exchange_modes", v) for v in PSK_GREASE] == ["GREASE"] * 8
    assert name("psk_key_exchange_modes", 0x0A) is None
    assert name("psk_key_exchange_modes", 0x0A0A) is None


@pytest.mark.parametrize(
    "table", ["alerts", "cert_compression", "content_types", "handshake_types"]
)
def test_grease_does_not_apply_elsewhere(table: str) -> None:
    assert name(table, 0x0A0A) is None
    assert name(table, 0x1A1A) is None


@pytest.mark.parametrize(
    ("table", "value"),
    [
        ("cipher_suites", 0x0075),  # inside "0x00,0x72-83 Unassigned", no field name either
        ("cipher_suites", 0x1305 + 0x100),  # unassigned 0x14,0x05
        ("cipher_suites", 0xFACA),  # the IANA row gap (README quirk): unknown, not a crash
        ("cipher_suites", 0xFF00),  # private use range
        ("extensions", 0xFFFF),  # private use
        ("extensions", 14905),  # unassigned range
        ("groups", 0x0203),  # unassigned (Wireshark 4.0 still shows an OQS draft name)
        ("groups", 0xFE00),  # "Reserved for Private Use"
        ("signature_schemes", 0x0000),  # "Reserved for backward compatibility"
        ("signature_schemes", 0x0001),  # ... and no TLS 1.2 pair either (hash "none")
        ("signature_schemes", 0x0204),  # ... (signature 4 is no TLS 1.2 algorithm)
        ("signature_schemes", 0xFE00),  # private use
        ("alerts", 1),  # unassigned
        ("alerts", 255),
        ("content_types", 32),  # reserved range
        ("handshake_types", 7),
        ("hash_algorithms", 7),  # single "Reserved" row
        ("hash_algorithms", 224),  # private use
        ("cert_compression", 0),  # "Reserved"
        ("cert_compression", 0x4000),  # "Reserved for Experimental Use"
        ("heartbeat_modes", 0),
        ("heartbeat_modes", 255),
    ],
)
def test_reserved_and_unassigned_have_no_name(table: str, value: int) -> None:
    assert name(table, value) is None


@pytest.mark.parametrize("value", [-1, 0x10000, 0x1_0000_0000, 1 << 70])
def test_out_of_range_values_are_unknown(value: int) -> None:
    for table in TABLE_NAMES:
        if table == "sslv2_cipher_specs" and value == 0x10000:
            continue  # 0x010000 is a (meaningless but 24-bit) spec: still None below
        assert name(table, value) is None, table
    assert version_name(value) is None


def test_every_table_is_non_empty() -> None:
    from tlslens.registry._iana import TABLES

    expected = {
        "cipher_suites",
        "extensions",
        "groups",
        "signature_schemes",
        "alerts",
        "handshake_types",
        "content_types",
        "ec_point_formats",
        "ec_curve_types",
        "psk_key_exchange_modes",
        "cert_compression",
        "cert_status_types",
        "certificate_types",
        "client_certificate_types",
        "hash_algorithms",
        "signature_algorithms",
        "heartbeat_modes",
        "heartbeat_message_types",
        "sslv2_cipher_specs",
        "versions",
    }
    assert set(TABLE_NAMES) == expected
    sizes = {t: len(TABLES[t]) for t in TABLE_NAMES}
    assert all(sizes.values()), sizes
    # the big registries are complete (counts of assigned rows in the CSVs + extras)
    assert sizes["cipher_suites"] >= 356 + 16
    assert sizes["signature_schemes"] >= 49 + 16
    assert sizes["extensions"] >= 64 + 16


def test_unknown_table_is_a_programming_error() -> None:
    with pytest.raises(KeyError, match="ciphersuites"):
        name("ciphersuites", 1)


def test_coded() -> None:
    assert coded("extensions", 23) == {"code": 23, "name": "extended_master_secret"}
    assert coded("groups", 0x2A2A) == {"code": 0x2A2A, "name": "GREASE"}
    assert coded("alerts", 200) == {"code": 200, "name": None}
    assert coded("versions", 0x0303) == {"code": 0x0303, "name": "TLS 1.2"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0x0002, "SSL 2.0"),
        (0x0300, "SSL 3.0"),
        (0x0301, "TLS 1.0"),
        (0x0302, "TLS 1.1"),
        (0x0303, "TLS 1.2"),
        (0x0304, "TLS 1.3"),
        (0x7F0E, "TLS 1.3 draft 14"),
        (0x7F12, "TLS 1.3 draft 18"),
        (0x7F1C, "TLS 1.3 draft 28"),
        (0x7F05, "TLS 1.3 draft 5"),  # the 0x7F00|NN rule beyond the listed drafts
        (0xFB17, "TLS 1.3 Facebook draft 23"),
        (0xFB1A, "TLS 1.3 Facebook draft 26"),
        (0xFEFF, "DTLS 1.0"),
        (0xFEFD, "DTLS 1.2"),
        (0xFEFC, "DTLS 1.3"),
        (0x0100, "DTLS 1.0 (OpenSSL pre 0.9.8f)"),
        (0x3A3A, "GREASE"),
        (0x7F00, None),
        (0x0305, None),
        (0x0000, None),
        (0xFEFE, None),
    ],
)
def test_version_name(value: int, expected: str | None) -> None:
    assert version_name(value) == expected
    assert name("versions", value) == expected


def test_public_api() -> None:
    assert sorted(registry.__all__) == ["TABLE_NAMES", "coded", "is_grease", "name", "version_name"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(TABLE_NAMES), st.integers(min_value=-(1 << 40), max_value=1 << 40))
def test_any_wire_value_gives_a_name_or_none(table: str, value: int) -> None:
    got = name(table, value)
    assert got is None or (isinstance(got, str) and got)
    assert coded(table, value) == {"code": value, "name": got}
