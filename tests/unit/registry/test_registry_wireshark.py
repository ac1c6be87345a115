"""Our names against what Wireshark 4.0 (tshark) prints.

Two checks: the value_string tables tshark itself reports (``tshark -G values``), and the
names tshark shows when it dissects real captures of ../shared/corpus (PDML showname).
Both need tshark 4.0.x (the differences below were read from 4.0.17); the corpus check
also needs the corpus. Either is skipped when absent.

Where we differ from Wireshark, on purpose (each listed in KNOWN_DIFFERENCES):
- GREASE: Wireshark shows "Reserved (GREASE)"; the JSON contract says "GREASE".
- Versions: Wireshark "TLS 1.3 (draft 18)"; the contract says "TLS 1.3 draft 18".
- IANA has since assigned 0x0200-0x0202 to ML-KEM; Wireshark 4.0 still shows the OQS
  draft names (frodo...). IANA wins when IANA assigns.
- Non-IANA names taken from Zeek (non_iana_codepoints.csv) where Wireshark's would be
  ambiguous or is a placeholder: 0xCC13-15 keep "_OLD" (Wireshark repeats the RFC 7905
  names of 0xCCA8-AA), 0xFFE0/E1 keep "_2" (Wireshark repeats 0xFEFF/FEFE's names),
  extensions 40/46 (Wireshark: "Reserved (key_share)" ...), SSLv2 kinds "SSLv20_CK_*"
  (Wireshark "SSL2_*"), TLS 1.2 SignatureAlgorithm 4 (draft rsa_pss; Wireshark: SM2).
- Handshake type 21 is IANA's certificate_url (Wireshark "Client Certificate URL"), 67 is
  NPN's next_protocol (Wireshark "Encrypted Extensions"), content type 25 is IANA's
  tls12_cid (Wireshark "Connection ID").
- TLS 1.2 signature_algorithms pairs IANA's SignatureScheme does not list (0x0202 ...):
  "dsa_sha1" in IANA/OpenSSL style; Wireshark composes "SHA1 DSA".
- Tables where Wireshark shows prose instead of the identifier (alerts, handshake and
  content types, ...): we keep IANA's identifier, and check that it is the same words.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tlslens.registry import name

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "corpus" / "pcaps"
WS_GREASE = "Reserved (GREASE)"

#: our table -> tshark field, where Wireshark shows the IANA identifier itself
EXACT_FIELDS = {
    "cipher_suites": "tls.handshake.ciphersuite",
    "extensions": "tls.handshake.extension.type",
    "groups": "tls.handshake.extensions_supported_group",
    "signature_schemes": "tls.handshake.sig_hash_alg",
    "ec_point_formats": "tls.handshake.extensions_ec_point_format",
    "ec_curve_types": "tls.handshake.server_curve_type",
    "cert_compression": "tls.compress_certificate.algorithm",
    "certificate_types": "tls.handshake.cert_type.type",
    "versions": "tls.handshake.extensions.supported_version",
    "sslv2_cipher_specs": "tls.handshake.cipherspec",
}
#: tables where Wireshark shows Title Case words for the same identifier
WORD_FIELDS = {
    "alerts": "tls.alert_message.desc",
    "content_types": "tls.record.content_type",
    "handshake_types": "tls.handshake.type",
    "client_certificate_types": "tls.handshake.cert_type",
    "hash_algorithms": "tls.handshake.sig_hash_hash",
    "signature_algorithms": "tls.handshake.sig_hash_sig",
    "cert_status_types": "tls.handshake.extensions_status_request_type",
}

_SSLV2_WS = {
    0x010080: "RC4_128_WITH_MD5",
    0x020080: "RC4_128_EXPORT40_WITH_MD5",
    0x030080: "RC2_128_CBC_WITH_MD5",
    0x040080: "RC2_128_CBC_EXPORT40_WITH_MD5",
    0x050080: "IDEA_128_CBC_WITH_MD5",
    0x060040: "DES_64_CBC_WITH_MD5",
    0x0700C0: "DES_192_EDE3_CBC_WITH_MD5",
    0x080080: "RC4_64_WITH_MD5",
}

#: (table, value) -> (our name, Wireshark 4.0's name); see the module docstring for why
KNOWN_DIFFERENCES: dict[tuple[str, int], tuple[str, str]] = {
    ("cipher_suites", 0xCC13): (
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256_OLD",
        "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    ),
    ("cipher_suites", 0xCC14): (
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256_OLD",
        "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
    ),
    ("cipher_suites", 0xCC15): (
        "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256_OLD",
        "TLS_DHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    ),
    ("cipher_suites", 0xFFE0): (
        "SSL_RSA_FIPS_WITH_3DES_EDE_CBC_SHA_2",
        "SSL_RSA_FIPS_WITH_3DES_EDE_CBC_SHA",
    ),
    ("cipher_suites", 0xFFE1): ("SSL_RSA_FIPS_WITH_DES_CBC_SHA_2", "SSL_RSA_FIPS_WITH_DES_CBC_SHA"),
    ("extensions", 40): ("key_share_old", "Reserved (key_share)"),
    ("extensions", 46): ("TicketEarlyDataInfo", "Reserved (ticket_early_data_info)"),
    ("groups", 0x0200): ("MLKEM512", "frodo640aes"),
    ("groups", 0x0201): ("MLKEM768", "frodo640shake"),
    ("groups", 0x0202): ("MLKEM1024", "frodo976aes"),
    ("handshake_types", 21): ("certificate_url", "Client Certificate URL"),
    ("handshake_types", 67): ("next_protocol", "Encrypted Extensions"),
    ("content_types", 25): ("tls12_cid", "Connection ID"),
    ("signature_algorithms", 4): ("rsa_pss_sha256", "SM2"),
    **{("sslv2_cipher_specs", v): (f"SSLv20_CK_{n}", f"SSL2_{n}") for v, n in _SSLV2_WS.items()},
}
# the cipher suite fallback of SSLv2 specs repeats the cipher suite differences
for (_t, _v), _pair in list(KNOWN_DIFFERENCES.items()):
    if _t == "cipher_suites":
        KNOWN_DIFFERENCES[("sslv2_cipher_specs", _v)] = _pair


#: TLS 1.2 (hash, signature) pairs outside IANA's SignatureScheme list: we name them like
#: IANA's own rsa_pkcs1_sha1 / ecdsa_sha1 (OpenSSL does too); Wireshark shows "SHA1 DSA".
TLS12_PAIRS = {0x0101, 0x0102, 0x0103, 0x0202, 0x0301, 0x0302, 0x0303, 0x0402, 0x0502, 0x0602}


def _expected_ws(table: str, value: int, ours: str) -> str:
    """What Wireshark 4.0 shows for a value we name ``ours``."""
    if table == "signature_schemes" and value in TLS12_PAIRS:
        sig, _, hash_name = ours.replace("rsa_pkcs1", "rsa").partition("_")
        return f"{hash_name.upper()} {sig.upper()}"
    if (table, value) in KNOWN_DIFFERENCES:
        return KNOWN_DIFFERENCES[(table, value)][1]
    if ours == "GREASE":
        return WS_GREASE
    m = re.fullmatch(r"TLS 1\.3 (Facebook )?draft (\d+)", ours)
    if table == "versions" and m:
        return f"TLS 1.3 ({m.group(1) or ''}draft {m.group(2)})"
    return ours


def _words(text: str) -> str:
    return text.replace("_", " ").lower()


def _tshark_4_0() -> str:
    exe = shutil.which("tshark")
    if exe is None:
        pytest.skip("tshark is not installed")
    out = subprocess.run([exe, "--version"], capture_output=True, text=True, check=True).stdout
    if not re.search(r"\b4\.0\.\d+", out.splitlines()[0]):
        pytest.skip("the expected differences were read from Wireshark 4.0")
    return exe


@pytest.fixture(scope="module")
def ws_values() -> dict[str, dict[int, str]]:
    exe = _tshark_4_0()
    proc = subprocess.run([exe, "-G", "values"], capture_output=True, text=True, check=True)
    wanted = set(EXACT_FIELDS.values()) | set(WORD_FIELDS.values())
    tables: dict[str, dict[int, str]] = {}
    for line in proc.stdout.splitlines():
        parts = line.split("\t")
        if len(parts) == 4 and parts[0] == "V" and parts[1] in wanted:
            # tls.handshake.type lists the SSLv2 message types first, then TLS's: keep TLS's
            tables.setdefault(parts[1], {})[int(parts[2], 0)] = parts[3]
    assert wanted <= set(tables), wanted - set(tables)
    return tables


@pytest.mark.parametrize("table", sorted(EXACT_FIELDS))
def test_same_identifiers_as_wireshark(table: str, ws_values: dict[str, dict[int, str]]) -> None:
    ws = ws_values[EXACT_FIELDS[table]]
    compared, wrong = 0, []
    for value, ws_name in ws.items():
        ours = name(table, value)
        if ours is None:
            continue  # Wireshark names more draft/OQS code points than our data does
        compared += 1
        if _expected_ws(table, value, ours) != ws_name:
            wrong.append((hex(value), ours, ws_name))
    assert wrong == []
    assert compared >= min(3, len(ws))


def test_enough_overlap_to_mean_something(ws_values: dict[str, dict[int, str]]) -> None:
    def both(table: str) -> int:
        ws = ws_values[EXACT_FIELDS[table]]
        return sum(1 for v in ws if name(table, v) is not None)

    assert both("cipher_suites") >= 380  # 356 IANA + non-IANA + GREASE
    assert both("extensions") >= 70
    assert both("signature_schemes") >= 17
    assert both("versions") >= 40


@pytest.mark.parametrize("table", sorted(WORD_FIELDS))
def test_same_words_where_wireshark_shows_prose(
    table: str, ws_values: dict[str, dict[int, str]]
) -> None:
    ws = ws_values[WORD_FIELDS[table]]
    compared, wrong = 0, []
    for value, ws_name in ws.items():
        ours = name(table, value)
        if ours is None:
            continue
        compared += 1
        if (table, value) in KNOWN_DIFFERENCES:
            if KNOWN_DIFFERENCES[(table, value)] != (ours, ws_name):
                wrong.append((value, ours, ws_name))
        elif _words(ours) != ws_name.lower():
            wrong.append((value, ours, ws_name))
    assert wrong == []
    assert compared >= 2


def test_known_differences_are_still_real(ws_values: dict[str, dict[int, str]]) -> None:
    fields = EXACT_FIELDS | WORD_FIELDS
    for (table, value), (ours, theirs) in KNOWN_DIFFERENCES.items():
        assert name(table, value) == ours, (table, value)
        assert ws_values[fields[table]].get(value) == theirs, (table, value)


# ---- names tshark shows while dissecting real captures ---------------------------------

PDML_FIELDS = {
    "tls.handshake.ciphersuite": "cipher_suites",
    "tls.handshake.cipherspec": "sslv2_cipher_specs",
    "tls.handshake.extension.type": "extensions",
    "tls.handshake.extensions_supported_group": "groups",
    "tls.handshake.extensions_key_share_group": "groups",
    "tls.handshake.sig_hash_alg": "signature_schemes",
    "tls.handshake.extensions.supported_version": "versions",
}
CAPTURES = {  # capture -> extra tshark arguments (decode-as for non-standard ports)
    "ja4__tls-handshake.pcapng": [],  # browsers: GREASE, ALPS, PQ key shares
    "ndpi__ja3_lots_of_cipher_suites.pcap": [],  # every suite incl. Salsa20 drafts
    "arkime__tls13.pcap": [],  # supported_versions 0x7f12 (draft 18)
    "suricata__tls13_draft28.pcap": [],
    "zeek__ssl-v2.pcap": [],  # SSLv2 3-byte cipher specs
    "lekensteyn__tls-null.pcapng": [],
}
_SHOWNAME = re.compile(r"^[^:]+: (?P<name>.*) \((?:0x[0-9a-fA-F]+|\d+)\)$")


def _pdml_names(exe: str, capture: Path, extra: list[str]) -> list[tuple[str, int, str]]:
    proc = subprocess.run(
        [exe, "-r", str(capture), *extra, "-Y", "tls", "-T", "pdml"],
        capture_output=True,
        check=True,
    )
    seen = []
    for field in ET.fromstring(proc.stdout).iter("field"):
        table = PDML_FIELDS.get(field.get("name", ""))
        if table is None:
            continue
        m = _SHOWNAME.match(field.get("showname", ""))
        assert m, field.get("showname")
        seen.append((table, int(field.get("value", ""), 16), m.group("name")))
    return seen


@pytest.mark.parametrize("capture", sorted(CAPTURES))
def test_names_tshark_shows_in_corpus_captures(capture: str) -> None:
    exe = _tshark_4_0()
    path = CORPUS / capture
    if not path.exists():
        pytest.skip(f"{path} is absent")
    seen = _pdml_names(exe, path, CAPTURES[capture])
    assert seen, "tshark dissected no hello fields"
    wrong = set()
    for table, value, ws_name in seen:
        ours = name(table, value)
        if ours is None:
            if not ws_name.startswith("Unknown"):
                wrong.add((table, hex(value), None, ws_name))
        elif _expected_ws(table, value, ours) != ws_name:
            wrong.add((table, hex(value), ours, ws_name))
    assert sorted(wrong) == []
