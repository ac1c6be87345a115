#!/usr/bin/env python3
"""Generate src/tlslens/registry/_iana.py from the registry CSVs.

Usage: python scripts/gen_registry.py [DATA_DIR] [--out FILE] [--check]

DATA_DIR defaults to ../shared/data/registries relative to the repository (the CSVs built
from IANA's XML, plus the non-IANA code points and cipher suite components; see
docs/data-sources.md). The output is plain Python literals so that importing it costs no
parsing at run time, and it is committed: a test regenerates it and compares byte for byte.
``--check`` writes nothing and exits 1 when the committed file is stale.

Naming policy (docs/data-sources.md, JSON contract "coded"): IANA's name, except where IANA
renamed a long-standing value; then the name Wireshark shows (listed in RENAMES below, one
comment each). Values IANA leaves unassigned but that are seen in the wild get the name from
non_iana_codepoints.csv or from EXTRA_NAMES; TLS 1.2 (hash, signature) pairs get a
SignatureScheme-style name (add_tls12_pairs). GREASE values are named "GREASE". Range rows
(reserved / unassigned / private use) never give a name.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import sys
from collections.abc import Iterable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "registries"
DEFAULT_OUT = REPO / "src" / "tlslens" / "registry" / "_iana.py"

#: table -> (IANA CSV file, registry key in non_iana_codepoints.csv or None, hex width)
TABLE_SOURCES: dict[str, tuple[str | None, str | None, int]] = {
    "cipher_suites": ("tls_cipher_suites.csv", "tls_cipher_suites", 4),
    "extensions": ("tls_extension_types.csv", "tls_extension_types", 4),
    "groups": ("tls_supported_groups.csv", "tls_supported_groups", 4),
    "signature_schemes": ("tls_signature_schemes.csv", None, 4),
    "alerts": ("tls_alerts.csv", None, 2),
    "handshake_types": ("tls_handshake_types.csv", None, 2),
    "content_types": ("tls_content_types.csv", None, 2),
    "ec_point_formats": ("tls_ec_point_formats.csv", None, 2),
    "ec_curve_types": ("tls_ec_curve_types.csv", None, 2),
    "psk_key_exchange_modes": ("tls_psk_key_exchange_modes.csv", None, 2),
    "cert_compression": ("tls_certificate_compression_algorithm_ids.csv", None, 4),
    "cert_status_types": ("tls_certificate_status_types.csv", None, 2),
    "certificate_types": ("tls_certificate_types.csv", None, 2),
    "client_certificate_types": ("tls_client_certificate_types.csv", None, 2),
    "hash_algorithms": ("tls_hash_algorithms.csv", None, 2),
    "signature_algorithms": ("tls_signature_algorithms.csv", "tls_signature_algorithms", 2),
    "heartbeat_modes": ("tls_heartbeat_modes.csv", None, 2),
    "heartbeat_message_types": ("tls_heartbeat_message_types.csv", None, 2),
    # 24-bit SSLv2 CipherKind values: no IANA registry, only the non-IANA list (values
    # above 0xFFFF of its tls_cipher_suites rows); 0x00XXXX specs fall back to cipher_suites
    # at lookup time (registry/__init__.py).
    "sslv2_cipher_specs": (None, None, 6),
    # protocol versions: no IANA registry either (non_iana_codepoints.csv protocol_versions)
    "versions": (None, "protocol_versions", 4),
}

#: tls_grease_values.csv registry column -> our table
GREASE_SOURCES = {
    "cipher_suites": "cipher_suites",
    "extension_types": "extensions",
    "supported_groups": "groups",
    "signature_schemes": "signature_schemes",
    "supported_versions": "versions",
    "psk_key_exchange_modes": "psk_key_exchange_modes",
}

# (table, value, name in IANA's data, name we use). Every entry is checked against the data:
# if IANA changes the row again, generation stops so the choice is made again on purpose.
RENAMES: tuple[tuple[str, int, str, str], ...] = (
    # RFC 9846 (8446bis) renamed "master" to "main"; Wireshark and every capture tool
    # before it show extended_master_secret (RFC 7627's name).
    ("extensions", 23, "extended_main_secret", "extended_master_secret"),
    # IANA keeps the rename note inside the name; Wireshark shows the bare name.
    ("extensions", 10, 'supported_groups (renamed from "elliptic_curves")', "supported_groups"),
    ("extensions", 35, 'session_ticket (renamed from "SessionTicket TLS")', "session_ticket"),
    # RFC 9345 (2023) registered the singular; the draft code point (and Wireshark 4.0)
    # used delegated_credentials since 2020.
    ("extensions", 34, "delegated_credential", "delegated_credentials"),
    # Same "renamed from" note in the HandshakeType registry.
    (
        "handshake_types",
        4,
        'new_session_ticket (renamed from "NewSessionTicket")',
        "new_session_ticket",
    ),
    # RFC 9846 suffixed TLS 1.2-only handshake types with _RESERVED; they are still the
    # real messages of TLS <= 1.2 / DTLS 1.2 captures (Wireshark: "Hello Request", ...).
    ("handshake_types", 0, "hello_request_RESERVED", "hello_request"),
    ("handshake_types", 3, "hello_verify_request_RESERVED", "hello_verify_request"),
    # draft TLS 1.3 HelloRetryRequest message (Wireshark: "Hello Retry Request")
    ("handshake_types", 6, "hello_retry_request_RESERVED", "hello_retry_request"),
    ("handshake_types", 12, "server_key_exchange_RESERVED", "server_key_exchange"),
    ("handshake_types", 14, "server_hello_done_RESERVED", "server_hello_done"),
    ("handshake_types", 16, "client_key_exchange_RESERVED", "client_key_exchange"),
    ("handshake_types", 21, "certificate_url_RESERVED", "certificate_url"),
    ("handshake_types", 22, "certificate_status_RESERVED", "certificate_status"),
    ("handshake_types", 23, "supplemental_data_RESERVED", "supplemental_data"),
    # RFC 9846 _RESERVED suffix on alerts used by TLS <= 1.2 (Wireshark: "Decryption
    # Failed", "No Certificate", ...): keep RFC 5246 / RFC 6066 names.
    ("alerts", 21, "decryption_failed_RESERVED", "decryption_failed"),
    ("alerts", 30, "decompression_failure_RESERVED", "decompression_failure"),
    ("alerts", 41, "no_certificate_RESERVED", "no_certificate"),
    ("alerts", 60, "export_restriction_RESERVED", "export_restriction"),
    ("alerts", 100, "no_renegotiation_RESERVED", "no_renegotiation"),
    ("alerts", 111, "certificate_unobtainable_RESERVED", "certificate_unobtainable"),
    ("alerts", 114, "bad_certificate_hash_value_RESERVED", "bad_certificate_hash_value"),
    # RFC 9846: status_request_v2's OCSP multi (RFC 6961) is TLS 1.2 only.
    ("cert_status_types", 2, "ocsp_multi_RESERVED", "ocsp_multi"),
    # RFC 9847 _RESERVED suffix on TLS 1.2 ClientCertificateType values (RFC 5246 names).
    ("client_certificate_types", 5, "rsa_ephemeral_dh_RESERVED", "rsa_ephemeral_dh"),
    ("client_certificate_types", 6, "dss_ephemeral_dh_RESERVED", "dss_ephemeral_dh"),
    ("client_certificate_types", 20, "fortezza_dms_RESERVED", "fortezza_dms"),
    # Certificate types: RFC 6091 / RFC 7250 names, as Wireshark shows them; IANA dropped
    # the dot of X.509 (RFC Errata 5976, 2020) and suffixed OpenPGP (RFC 9846).
    ("certificate_types", 0, "X509", "X.509"),
    ("certificate_types", 1, "OpenPGP_RESERVED", "OpenPGP"),
    # IANA appends "(OBSOLETE)" to the Kyber draft hybrids; the code point name itself
    # (draft-tls-westerbaan-xyber768d00) is the bare identifier.
    ("groups", 0x6399, "X25519Kyber768Draft00 (OBSOLETE)", "X25519Kyber768Draft00"),
    ("groups", 0x639A, "SecP256r1Kyber768Draft00 (OBSOLETE)", "SecP256r1Kyber768Draft00"),
)

# (table, value, name in non_iana_codepoints.csv (from Zeek), name we use): where Zeek and
# Wireshark name a non-IANA value differently we follow Wireshark, which follows BoringSSL.
NON_IANA_RENAMES: tuple[tuple[str, int, str, str], ...] = (
    # BoringSSL TLSEXT_TYPE_application_settings (ALPS, draft-vvv-tls-alps)
    ("extensions", 17513, "application_setting", "application_settings"),
    # BoringSSL: TLSEXT_TYPE_channel_id = 30032; 30031 was the old Channel ID code point.
    ("extensions", 30031, "channel_id", "channel_id_old"),
    ("extensions", 30032, "channel_id_new", "channel_id"),
)

# (table, value, name, where the code point is defined): values neither IANA nor the
# non-IANA list name, seen in captures and shown by Wireshark.
EXTRA_NAMES: tuple[tuple[str, int, str, str], ...] = (
    ("extensions", 0xFFCE, "encrypted_server_name", "draft-ietf-tls-esni-01..07 (ESNI)"),
    (
        "extensions",
        0xFFA5,
        "quic_transport_parameters (drafts version)",
        "draft-ietf-quic-tls-27..33, before RFC 9001 took 57",
    ),
    ("handshake_types", 67, "next_protocol", "draft-agl-tls-nextprotoneg-04 (NPN message)"),
    ("cipher_suites", 0xC0FF, "TLS_ECJPAKE_WITH_AES_128_CCM_8", "draft-cragie-tls-ecjpake-01"),
    *(
        (
            "cipher_suites",
            0xE410 + 2 * i + j,
            f"TLS_{kx}_WITH_{enc}_SHA1",
            "draft-josefsson-salsa20-tls-04",
        )
        for i, kx in enumerate(
            ("RSA", "ECDHE_RSA", "ECDHE_ECDSA", "PSK", "ECDHE_PSK", "RSA_PSK", "DHE_PSK", "DHE_RSA")
        )
        for j, enc in enumerate(("ESTREAM_SALSA20", "SALSA20"))
    ),
    (
        "sslv2_cipher_specs",
        0x080080,
        "SSLv20_CK_RC4_64_WITH_MD5",
        "OpenSSL ssl2.h SSL2_CK_RC4_64_WITH_MD5 (not in the SSLv2 draft)",
    ),
    (
        "versions",
        0x0100,
        "DTLS 1.0 (OpenSSL pre 0.9.8f)",
        "OpenSSL DTLS1_BAD_VER, used before the DTLS RFC number",
    ),
    (
        "versions",
        0xFB17,
        "TLS 1.3 Facebook draft 23",
        "facebookincubator/fizz ProtocolVersion::tls_1_3_23_fb",
    ),
    (
        "versions",
        0xFB1A,
        "TLS 1.3 Facebook draft 26",
        "facebookincubator/fizz ProtocolVersion::tls_1_3_26_fb",
    ),
)

#: field order of the cipher suite component tuples (= tlslens.registry.ciphers.CipherSuite)
CIPHER_FIELDS = (
    "code",
    "name",
    "kind",
    "tls13",
    "kx",
    "au",
    "export",
    "enc",
    "enc_cipher",
    "enc_mode",
    "enc_key_bits",
    "aead",
    "mac",
    "hash",
    "prf",
    "fs",
    "security",
    "security_basis",
    "recommended",
    "min_version",
    "max_version",
)
_VERSION_CODES = {
    "SSL3.0": 0x0300,
    "TLS1.0": 0x0301,
    "TLS1.1": 0x0302,
    "TLS1.2": 0x0303,
    "TLS1.3": 0x0304,
}
NAMED_STATUSES = ("assigned", "legacy")


class DataError(Exception):
    """The input data no longer matches what this generator was written for."""


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def iana_names(rows: Iterable[dict[str, str]]) -> dict[int, str]:
    """Single-value rows IANA assigned (or keeps as legacy); range rows never name."""
    return {
        int(r["value_int"]): r["name"]
        for r in rows
        if r["value_int"] and r["status"] in NAMED_STATUSES
    }


def apply_renames(
    table: str, names: dict[int, str], renames: Iterable[tuple[str, int, str, str]], what: str
) -> None:
    for t, value, theirs, ours in renames:
        if t != table:
            continue
        if names.get(value) != theirs:
            raise DataError(
                f"{what} {t} {value:#x}: expected {theirs!r}, data has {names.get(value)!r}"
            )
        names[value] = ours


def check_clean(table: str, names: dict[int, str]) -> None:
    """Refuse names that look like an unhandled IANA rename (a new one needs a decision)."""
    for value, text in names.items():
        if text.endswith("_RESERVED") or "renamed from" in text or "OBSOLETE" in text:
            raise DataError(f"{table} {value:#x}: {text!r} needs an entry in RENAMES")


#: TLS 1.2 SignatureAlgorithm -> prefix of the SignatureScheme name (as IANA's own 0x0201
#: rsa_pkcs1_sha1 and 0x0203 ecdsa_sha1 are spelled; OpenSSL uses the same names)
_TLS12_SIG_PREFIX = {"rsa": "rsa_pkcs1", "dsa": "dsa", "ecdsa": "ecdsa"}
_TLS12_HASHES = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512")


def add_tls12_pairs(tables: dict[str, dict[int, str]]) -> None:
    """Name TLS 1.2 (hash, signature) pairs that SignatureScheme leaves "Reserved for
    backward compatibility" (0x0202 dsa_sha1, 0x0301 rsa_pkcs1_sha224, ...).

    RFC 5246 sends signature_algorithms as a hash byte and a signature byte from the TLS
    1.2 registries; TLS 1.2 clients still offer these and Wireshark names them (e.g. "SHA1
    DSA"). Built from our own hash/signature tables; IANA-assigned schemes win.
    """
    schemes = tables["signature_schemes"]
    for h, hash_name in tables["hash_algorithms"].items():
        for s, sig_name in tables["signature_algorithms"].items():
            if hash_name in _TLS12_HASHES and sig_name in _TLS12_SIG_PREFIX:
                schemes.setdefault(h << 8 | s, f"{_TLS12_SIG_PREFIX[sig_name]}_{hash_name}")


def is_grease16(value: int) -> bool:
    return (value & 0x0F0F) == 0x0A0A and (value >> 8) == (value & 0xFF)


def build_tables(data: Path) -> dict[str, dict[int, str]]:
    non_iana = read_csv(data / "non_iana_codepoints.csv")
    tables: dict[str, dict[int, str]] = {}
    for table, (iana_file, non_iana_key, _width) in TABLE_SOURCES.items():
        names = iana_names(read_csv(data / iana_file)) if iana_file else {}
        apply_renames(table, names, RENAMES, "RENAMES")
        check_clean(table, names)
        extra: dict[int, str] = {}
        for r in non_iana:
            value = int(r["value_int"])
            if table == "sslv2_cipher_specs":
                if r["registry"] == "tls_cipher_suites" and value > 0xFFFF:
                    extra[value] = r["name"]
            elif r["registry"] == non_iana_key and (table != "cipher_suites" or value <= 0xFFFF):
                extra[value] = r["name"]
        apply_renames(table, extra, NON_IANA_RENAMES, "NON_IANA_RENAMES")
        extra.update((v, n) for t, v, n, _src in EXTRA_NAMES if t == table)
        clash = sorted(set(extra) & set(names))
        if clash:
            raise DataError(f"{table}: non-IANA names for IANA-assigned values {clash}")
        names.update(extra)
        tables[table] = names
    add_tls12_pairs(tables)
    for r in read_csv(data / "tls_grease_values.csv"):
        grease_table = GREASE_SOURCES.get(r["registry"])
        if grease_table is None:
            continue
        value = int(r["value_int"])
        if grease_table != "psk_key_exchange_modes" and not is_grease16(value):
            raise DataError(f"GREASE {grease_table} {value:#x} breaks the RFC 8701 pattern")
        if value in tables[grease_table]:
            raise DataError(
                f"GREASE {grease_table} {value:#x} is also named {tables[grease_table][value]!r}"
            )
        tables[grease_table][value] = "GREASE"
    return tables


def _opt(text: str) -> str | None:
    return text or None


def _flag(text: str) -> bool | None:
    return {"Y": True, "N": False, "": None}[text]


def build_ciphers(data: Path) -> dict[int, tuple[object, ...]]:
    out: dict[int, tuple[object, ...]] = {}
    for r in read_csv(data / "cipher_suite_components.csv"):
        basis = tuple(p.strip() for p in r["security_basis"].split(";") if p.strip())
        code = int(r["value_int"])
        row = {
            "code": code,
            "name": r["name"],
            "kind": r["kind"],
            "tls13": r["tls13"] == "Y",
            "kx": _opt(r["kx"]),
            "au": _opt(r["au"]),
            "export": r["export"] == "Y",
            "enc": _opt(r["enc"]),
            "enc_cipher": _opt(r["enc_cipher"]),
            "enc_mode": _opt(r["enc_mode"]),
            "enc_key_bits": int(r["enc_key_bits"]) if r["enc_key_bits"] else None,
            "aead": _flag(r["aead"]),
            "mac": _opt(r["mac"]),
            "hash": _opt(r["hash"]),
            "prf": _opt(r["prf"]),
            "fs": _flag(r["fs"]),
            "security": _opt(r["security"]),
            "security_basis": basis,
            "recommended": _opt(r["recommended"]),
            "min_version": _VERSION_CODES.get(r["min_version"]),
            "max_version": _VERSION_CODES.get(r["max_version"]),
        }
        for col in ("min_version", "max_version"):
            if r[col] and row[col] is None:
                raise DataError(f"{code:#06x}: unknown {col} {r[col]!r}")
        out[code] = tuple(row[f] for f in CIPHER_FIELDS)
    return out


def _wrap(items: list[str], indent: str, width: int = 99) -> list[str]:
    """Greedy line filling so the generated file stays within the 100-column limit."""
    lines: list[str] = []
    cur = indent
    for item in items:
        piece = item + ","
        if cur.strip() and len(cur) + 1 + len(piece) > width:
            lines.append(cur)
            cur = indent
        cur = f"{cur} {piece}" if cur.strip() else cur + piece
    if cur.strip():
        lines.append(cur)
    return lines


def _lit(value: object) -> str:
    """A Python literal; strings in double quotes (json.dumps is a valid Python literal
    for str) to match the house style."""
    return json.dumps(value) if isinstance(value, str) else repr(value)


def _key(value: int, width: int) -> str:
    return f"0x{value:0{width}X}"


def render(
    data: Path, tables: dict[str, dict[int, str]], ciphers: dict[int, tuple[object, ...]]
) -> str:
    inputs = sorted(
        {f for f, _k, _w in TABLE_SOURCES.values() if f}
        | {"non_iana_codepoints.csv", "tls_grease_values.csv", "cipher_suite_components.csv"}
    )
    out = [
        '"""IANA TLS registry names and cipher suite components. GENERATED, do not edit.',
        "",
        "Regenerate with: python scripts/gen_registry.py (see docs/data-sources.md).",
        "Inputs (sha256, from ../shared/data/registries):",
    ]
    for name in inputs:
        digest = hashlib.sha256((data / name).read_bytes()).hexdigest()
        out.append(f"  {name}\n    {digest}")
    out += ['"""', "", "# fmt: off", ""]
    consts = []
    for table, names in tables.items():
        const = table.upper()
        consts.append((table, const))
        width = TABLE_SOURCES[table][2]
        out.append(f"{const}: dict[int, str] = {{")
        for value in sorted(names):
            out.append(f"    {_key(value, width)}: {_lit(names[value])},")
        out += ["}", ""]
    out.append("TABLES: dict[str, dict[int, str]] = {")
    out += [f"    {_lit(table)}: {const}," for table, const in consts]
    out += ["}", ""]
    out.append("CIPHER_FIELDS: tuple[str, ...] = (")
    out += _wrap([_lit(f) for f in CIPHER_FIELDS], "    ")
    out += [")", ""]
    out.append("CIPHER_COMPONENTS: dict[int, tuple[object, ...]] = {")
    split = CIPHER_FIELDS.index("security_basis")
    for code in sorted(ciphers):
        row = ciphers[code]
        head = [_key(code, 4)] + [_lit(v) for v in row[1:split]]
        basis = row[split]
        assert isinstance(basis, tuple)
        out.append(f"    {_key(code, 4)}: (")
        out += _wrap(head, "        ")
        if len(basis) < 2:  # () or ("one",): fits on a line
            out.append("        (" + "".join(f"{_lit(b)}," for b in basis) + "),")
        else:  # one reason per line keeps the lines short and the diffs readable
            out += ["        (", *(f"            {_lit(b)}," for b in basis), "        ),"]
        tail = row[split + 1 :]  # recommended, min_version, max_version (versions in hex)
        out += _wrap([_key(v, 4) if isinstance(v, int) else _lit(v) for v in tail], "        ")
        out.append("    ),")
    out += ["}", ""]
    return "\n".join(out)


def generate(data: Path) -> str:
    return render(data, build_tables(data), build_ciphers(data))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data_dir", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="exit 1 if --out is stale")
    args = ap.parse_args(argv)
    try:
        text = generate(args.data_dir)
    except (DataError, OSError, KeyError, ValueError) as exc:
        print(f"gen_registry: {exc}", file=sys.stderr)
        return 2
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.exists() else ""
        if current != text:
            print(f"gen_registry: {args.out} is stale", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
