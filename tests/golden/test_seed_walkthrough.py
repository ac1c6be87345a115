"""The seed fixture's text report shows every item of the seed article's walkthrough.

../shared/seed/README.md lists what the article walks through, message by message; each
item must appear in tlslens's report of tests/fixtures/seed/seed.pcap with the right value
(and the things the article got wrong must be said right).
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

import tlslens
from tlslens.report.text import TextReport, make_console

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed" / "seed.pcap"


@pytest.fixture(scope="module")
def report() -> str:
    result = tlslens.analyze(str(SEED))
    buf = io.StringIO()
    console = make_console(buf, False)
    for line in TextReport("en").result_lines(result):
        console.print(line)
    return buf.getvalue()


def section(report: str, title: str) -> str:
    """The detail block of the first message titled ``title`` (up to the next one)."""
    m = re.search(rf"^\s+\d+\. {re.escape(title)}  \(.*?(?=^\s+\d+\. [A-Z])", report,
                  re.DOTALL | re.MULTILINE)
    assert m, f"no detail section for {title}"
    return m.group(0)


def test_ladder_has_the_ten_steps_in_order(report: str) -> None:
    ladder = report.split("Handshake ladder")[1].split("History")[0]
    # the eSIM profile names the roles (issue 7): LPA and SM-DP+
    steps = re.findall(r"(LPA ──▶ SM-DP\+|LPA ◀── SM-DP\+)  (\w[\w ()]*?)  \[", ladder)
    expected = [("LPA ──▶ SM-DP+", "ClientHello"), ("LPA ◀── SM-DP+", "ServerHello"),
                ("LPA ◀── SM-DP+", "Certificate"), ("LPA ◀── SM-DP+", "ServerKeyExchange"),
                ("LPA ◀── SM-DP+", "ServerHelloDone"),
                ("LPA ──▶ SM-DP+", "ClientKeyExchange"),
                ("LPA ──▶ SM-DP+", "ChangeCipherSpec"),
                ("LPA ──▶ SM-DP+", "Encrypted handshake message (Finished)"),
                ("LPA ◀── SM-DP+", "ChangeCipherSpec"),
                ("LPA ◀── SM-DP+", "Encrypted handshake message (Finished)")]
    assert steps[:10] == expected


def test_client_hello(report: str) -> None:
    ch = section(report, "ClientHello")
    assert "Record content type: handshake (22)" in ch
    assert "TLS 1.2 (0x0303)" in ch
    assert re.search(r"Random: [0-9a-f]{64}", ch)
    assert "gmt_unix_time" in ch and "random bytes" in ch  # the random is not a time
    assert "Session ID: length 0" in ch
    assert "Cipher suites offered (14)" in ch
    suites = re.findall(r"^\s+(TLS_\w+) \(0x[0-9a-f]{4}\)$", ch, re.MULTILINE)
    assert suites[0] == "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"
    assert {"TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"} \
        <= set(suites)
    assert "server_name (0x0000)" in ch and "rakuten.prod.ondemandconnectivity.com" in ch
    assert re.search(r"signature_algorithms \(0x000d\): ecdsa_secp256r1_sha256", ch)
    assert re.search(r"application_layer_protocol_negotiation \(0x0010\): http/1.1", ch)
    assert re.search(r"supported_groups \(0x000a\): x25519 \(0x001d\), secp256r1 \(0x0017\), "
                     r"secp384r1 \(0x0018\)", ch)


def test_server_hello(report: str) -> None:
    sh = section(report, "ServerHello")
    assert "TLS 1.2 (0x0303)" in sh
    assert re.search(r"Session ID: length 32: [0-9a-f]{64}", sh)
    assert "NEW session" in sh and "not a resumption" in sh  # the article misread this
    assert "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 (0xc02c)" in sh
    assert "key exchange ECDHE, authentication ECDSA" in sh and "AES_256_GCM" in sh
    assert "renegotiation_info (0xff01)" in sh
    assert re.search(r"ec_point_formats \(0x000b\): uncompressed \(0x00\), "
                     r"ansiX962_compressed_prime \(0x01\), ansiX962_compressed_char2 \(0x02\)", sh)
    assert "application_layer_protocol_negotiation (0x0010): http/1.1" in sh
    assert "DOWNGRD" not in sh and "downgrade" not in sh


def test_certificate_chain(report: str) -> None:
    cert = section(report, "Certificate")
    assert "Certificate chain (3)" in cert
    assert "CN=rakuten.prod.ondemandconnectivity.com" in cert
    inter = cert.split("[1] ")[1].split("[2] ")[0]
    assert "Subject: CN=GEMALTO SA" in inter
    assert "Issuer: CN=GSM Association - RSP2 Root CI1" in inter
    assert "2022-08-24" in inter and "EXPIRED at the capture time" in inter
    root = cert.split("[2] ")[1]
    assert "2052-02-21" in root and "self-signed" in root
    for ext in ("certificatePolicies", "cRLDistributionPoints", "extKeyUsage", "keyUsage",
                "subjectAltName", "subjectKeyIdentifier", "authorityKeyIdentifier"):
        assert ext in cert, ext
    assert "serverAuth" in cert and "clientAuth" in cert
    assert "digitalSignature" in cert and "keyCertSign" in cert and "cRLSign" in cert
    assert "registeredID" in cert and "dNSName" in cert


def test_key_exchange_and_the_rest(report: str) -> None:
    ske = section(report, "ServerKeyExchange")
    assert "named_curve (3)" in ske
    assert "x25519 (0x001d)" in ske
    assert "Public key: 32 bytes" in ske
    assert "ecdsa_secp256r1_sha256 (0x0403)" in ske
    cke = section(report, "ClientKeyExchange")
    assert "32 bytes" in cke
    assert "ServerHelloDone" in report
    assert report.count("ChangeCipherSpec  (") == 2


def test_conclusion_notices_what_the_article_missed(report: str) -> None:
    assert "cert-expired" in report
    assert re.search(r"Verdict: \w+", report)
