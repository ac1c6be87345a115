"""Hostile wire strings: what a peer writes must never drive the reader's terminal.

A real TLS 1.2 handshake (OpenSSL on both ends, through memory BIOs) whose server
certificate, built here with ``cryptography``, carries terminal escapes, C1 controls,
bidi overrides and rich markup in its subject and subjectAltName; the SNI and ALPN the
client sent are swapped on the wire for equally long hostile values (placeholders of the
same length, so every length field stays right; the server echoes the ALPN, which is
swapped too). Then: the text report, colour on and off, holds none of the raw sequences
and shows them escaped; the JSON report carries each exact value, JSON-escaped.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import ssl
from functools import cache
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.robustness.harness import check_api
from tests.tlsbytes import pcap_of, tcp_segments
from tlslens.report.json_report import dumps
from tlslens.report.text import write_text

ESC_CLEAR = "\x1b[2J"
OSC8_LINK = "\x1b]8;;http://evil.test/\x07"
BIDI = "\u202e"  # RIGHT-TO-LEFT OVERRIDE
C1_CSI = "\u009b"  # the one-byte CSI of C1
MARKUP = "[bold red]"
LINK_MARKUP = "[link=http://evil.test/]"

SNI = f"a{ESC_CLEAR}{OSC8_LINK}b{BIDI}gnp.exe{C1_CSI}31m{MARKUP}{LINK_MARKUP}.test"
ALPN = f"h2{ESC_CLEAR}\x07{BIDI}{MARKUP}"
CN = f"cn{ESC_CLEAR}{OSC8_LINK}{BIDI}txt.exe"  # at most 64 characters (X.520 ub-common-name)
ORG = f"org{C1_CSI}2J{MARKUP}{LINK_MARKUP}"
SAN = f"san{ESC_CLEAR}\x07{MARKUP}.test"  # a dNSName is IA5: ASCII controls only

#: Raw sequences that must never reach the terminal (rich's own SGR colour codes may).
RAW = (ESC_CLEAR, "\x1b]", "\x07", BIDI, C1_CSI, "\x9b")
#: How the report shows them instead (report/safe.py).
ESCAPED = ("\\x1b[2J", "\\x1b]8;;http://evil.test/\\x07", "\\u{202e}", "\\x9b")


def _placeholder(text: str, fill: str) -> str:
    """As many bytes as ``text`` in UTF-8, in DNS labels short enough for the IDNA codec."""
    return "".join("." if i % 40 == 39 else fill for i in range(len(text.encode())))


def _certificate(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CN),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORG)])
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(4242)
            .not_valid_before(start).not_valid_after(start + dt.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(SAN)]), critical=False)
            .sign(key, hashes.SHA256()))
    (tmp / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return tmp / "cert.pem", tmp / "key.pem"


def _handshake(cert: Path, key: Path, sni: str, alpn: str) -> list[tuple[int, bytes]]:
    """A TLS 1.2 handshake through memory BIOs: the flights, side 0 the client."""
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    server.set_alpn_protocols([alpn])
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    client.set_alpn_protocols([alpn])
    cin, cout, sin, sout = (ssl.MemoryBIO() for _ in range(4))
    cl = client.wrap_bio(cin, cout, server_hostname=sni)
    sv = server.wrap_bio(sin, sout, server_side=True)
    flights: list[tuple[int, bytes]] = []
    done = [False, False]
    for _ in range(10):
        for i, (obj, out, dest) in enumerate(((cl, cout, sin), (sv, sout, cin))):
            if not done[i]:
                try:
                    obj.do_handshake()
                    done[i] = True
                except ssl.SSLWantReadError:
                    pass
            data = out.read()
            if data:
                flights.append((i, data))
                dest.write(data)
    assert all(done) and cl.selected_alpn_protocol() == alpn
    return flights


@cache
def hostile_capture(tmp: Path) -> bytes:
    cert, key = _certificate(tmp)
    sni_ph, alpn_ph = _placeholder(SNI, "s"), _placeholder(ALPN, "p")
    swapped = []
    for side, data in _handshake(cert, key, sni_ph, alpn_ph):
        if side == 0:
            assert data.count(sni_ph.encode()) <= 1
            data = data.replace(sni_ph.encode(), SNI.encode())
        data = data.replace(alpn_ph.encode(), ALPN.encode())
        swapped.append((side, data))
    assert SNI.encode() in swapped[0][1] and any(ALPN.encode() in d for s, d in swapped if s)
    return pcap_of(tcp_segments(swapped))


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    res = check_api(hostile_capture(tmp_path_factory.mktemp("hostile")), "hostile strings",
                    text=True)
    assert res is not None and len(res.connections) == 1
    return res


@pytest.mark.parametrize("color", [False, True], ids=["plain", "colour"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_text_report_shows_hostile_strings_escaped(result, color: bool, lang: str) -> None:  # type: ignore[no-untyped-def]
    out = io.StringIO()
    write_text(result, out, lang=lang, color=color)
    text = out.getvalue()
    for raw in RAW:
        assert raw not in text, f"raw {raw!r} reached the text report"
    if not color:
        assert "\x1b" not in text
    for shown in ESCAPED:
        assert shown in text, f"{shown} missing"
    # rich markup is shown as the characters it is, not obeyed
    assert MARKUP in text and LINK_MARKUP in text
    assert "san\\x1b[2J\\x07[bold red].test" in text  # the SAN as it is, escaped
    assert "h2\\x1b[2J\\x07\\u{202e}[bold red]" in text  # the ALPN


def test_json_report_keeps_exact_values(result) -> None:  # type: ignore[no-untyped-def]
    raw = dumps(result.to_dict())
    for ch in ("\x1b", "\x07", C1_CSI, BIDI):
        assert ch not in raw  # escaped as \\uXXXX: safe to print, same value once parsed
    assert "\\u009b" in raw and "\\u202e" in raw
    doc = json.loads(raw)
    conn = doc["connections"][0]
    assert conn["server_name"] == SNI
    assert conn["alpn"] == ALPN
    assert conn["client_hellos"][0]["alpn"] == [ALPN]
    cert = conn["certificates"][0]
    rfc4514 = f"O={ORG},CN={CN.replace(';', chr(92) + ';')}"  # RFC 4514 escapes ';'
    assert cert["subject"] == cert["issuer"] == rfc4514
    san = [e for e in cert["extensions"] if e["name"] == "subjectAltName"]
    assert san[0]["value"] == [{"type": "dNSName", "value": SAN}]
