"""Names for TLS code points (IANA registries plus known non-IANA values).

STUB: the helper building the registry generator replaces this body, keeping the API:

    name(table, value) -> str | None      # GREASE -> "GREASE", unknown -> None
    coded(table, value) -> {"code": value, "name": name(table, value)}
    is_grease(value) -> bool               # RFC 8701 16-bit pattern
    version_name(value) -> str | None      # 0x0303 -> "TLS 1.2", 0x7f12 -> "TLS 1.3 draft 18"

Tables: cipher_suites, extensions, groups, signature_schemes, alerts, handshake_types,
content_types, ec_point_formats, ec_curve_types, psk_key_exchange_modes,
cert_compression, cert_status_types, certificate_types, client_certificate_types,
hash_algorithms, signature_algorithms, heartbeat_modes, heartbeat_message_types,
sslv2_cipher_specs.
"""

from __future__ import annotations


def is_grease(value: int) -> bool:
    return (value & 0x0F0F) == 0x0A0A and (value >> 8) == (value & 0xFF)


def name(table: str, value: int) -> str | None:
    if table != "psk_key_exchange_modes" and is_grease(value):
        return "GREASE"
    return None


def coded(table: str, value: int) -> dict[str, object]:
    return {"code": value, "name": name(table, value)}


def version_name(value: int) -> str | None:
    return {0x0002: "SSL 2.0", 0x0300: "SSL 3.0", 0x0301: "TLS 1.0", 0x0302: "TLS 1.1",
            0x0303: "TLS 1.2", 0x0304: "TLS 1.3"}.get(value)
