"""Names for TLS code points (IANA registries plus known non-IANA values).

Parsers keep code points as raw ints; names are attached only when a report is written,
so unknown or GREASE values can never fail a parse. Every lookup here is a dict get
because it runs for every field of every hello.

The tables are generated into ``_iana.py`` by ``scripts/gen_registry.py`` (sources and
naming policy: docs/data-sources.md). In short: IANA's name, except the long-standing
name Wireshark shows where IANA renamed a value (``extended_master_secret``,
``supported_groups``, ``hello_request`` rather than ``hello_request_RESERVED``); names
for values seen in the wild that IANA leaves unassigned (NPN, channel_id, ALPS, draft
code points); ``"GREASE"`` for RFC 8701 values in the fields GREASE applies to; ``None``
for everything else, including values inside reserved or unassigned ranges.

Tables: cipher_suites, extensions, groups, signature_schemes, alerts, handshake_types,
content_types, ec_point_formats, ec_curve_types, psk_key_exchange_modes,
cert_compression, cert_status_types, certificate_types, client_certificate_types,
hash_algorithms, signature_algorithms, heartbeat_modes, heartbeat_message_types,
sslv2_cipher_specs, versions.
"""

from __future__ import annotations

from tlslens.registry._iana import CIPHER_SUITES, VERSIONS
from tlslens.registry._iana import TABLES as _TABLES

__all__ = ["TABLE_NAMES", "coded", "is_grease", "name", "version_name"]

#: every table name accepted by :func:`name` and :func:`coded`
TABLE_NAMES: tuple[str, ...] = tuple(_TABLES)


def is_grease(value: int) -> bool:
    """RFC 8701 16-bit GREASE pattern (0x0A0A, 0x1A1A, ... 0xFAFA).

    Right for cipher suites, extensions, groups, signature schemes, versions and 2-byte
    ALPN ids read as big-endian ints. PskKeyExchangeMode GREASE values are one byte and
    follow no pattern: ``name("psk_key_exchange_modes", v) == "GREASE"`` knows them.
    """
    return 0 <= value <= 0xFFFF and (value & 0x0F0F) == 0x0A0A and (value >> 8) == (value & 0xFF)


def _draft_version(value: int) -> str | None:
    # draft-ietf-tls-tls13-NN advertised 0x7F00 | NN; the table lists drafts 14-28 (the
    # ones seen deployed), this names any other draft number the same way.
    if value >> 8 == 0x7F and value & 0xFF:
        return f"TLS 1.3 draft {value & 0xFF}"
    return None


def _sslv2_spec(value: int) -> str | None:
    # An SSLv2-format ClientHello lists 3-byte CipherSpecs; those with a zero first byte
    # carry a TLS cipher suite in the low 16 bits (RFC 6101 E.1, RFC 5246 E.2), and
    # Wireshark shows them by the TLS suite's name.
    if 0 <= value <= 0xFFFF:
        return CIPHER_SUITES.get(value)
    return None


#: second look-up for tables whose values are partly computed
_FALLBACKS = {"versions": _draft_version, "sslv2_cipher_specs": _sslv2_spec}


def name(table: str, value: int) -> str | None:
    """The display name of ``value`` in ``table``; ``"GREASE"`` or ``None`` (unknown).

    An unknown *table* is a programming error and raises KeyError; an unknown *value*
    (anything from the wire) never raises.
    """
    try:
        names = _TABLES[table]
    except KeyError:
        raise KeyError(f"unknown registry table {table!r}; known: {TABLE_NAMES}") from None
    found = names.get(value)
    if found is None:
        fallback = _FALLBACKS.get(table)
        if fallback is not None:
            return fallback(value)
    return found


def coded(table: str, value: int) -> dict[str, object]:
    """The JSON report's ``coded`` value: ``{"code": value, "name": name-or-None}``."""
    return {"code": value, "name": name(table, value)}


def version_name(value: int) -> str | None:
    """0x0303 -> "TLS 1.2", 0x7F12 -> "TLS 1.3 draft 18", 0xFEFD -> "DTLS 1.2",
    GREASE -> "GREASE", anything else -> None."""
    found = VERSIONS.get(value)
    return found if found is not None else _draft_version(value)
