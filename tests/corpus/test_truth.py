"""Field agreement with tshark on every TCP connection of every corpus capture.

For each capture in ../shared/corpus/pcaps, the ClientHello and ServerHello fields,
the server certificates (sha256, subject, issuer, serial, validity), the server key
exchange (curve, signature scheme) and the plaintext alerts are compared with
``truth/<capture>.json`` (tshark 4.0.17). Where tshark is wrong or incomplete, the case
is listed in EXCEPTIONS with the reason (and, where the corpus has one, the peer tool
whose expected output decides). A listed exception that stops occurring fails the test,
so the list stays true.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import tlslens
from tests.corpus.truth_compare import CORPUS, compare_capture, corpus_captures
from tlslens.report.schema import validate_report

CAPTURES = corpus_captures()

#: (capture, regex on the difference line) -> why tshark's truth is not the reference.
EXCEPTIONS: dict[tuple[str, str], str] = {
    ("*", r"client_hello\[\d+\]\.psk_key_exchange_modes: ours \[[\d, ]+\] != tshark \[\]"):
        "the truth generator reads psk_key_exchange_modes from a field name tshark 4.0 "
        "does not have (tls.handshake.extensions.psk.ke_mode): it is [] in every truth "
        "file, even where the extension is present; ours is read from the wire bytes",
    ("ja4__tls-sni.pcapng", r"1 client hellos != tshark 2"):
        "the second 'ClientHello' is a TCP retransmission of the same segment (same "
        "sequence number, same random): tshark dissects the retransmission again, tlslens "
        "reassembles the stream and sees one ClientHello (FoxIO ja4 reports one)",
    ("lekensteyn__sslv2.pcapng", r"server_hello\[0\]\.session_id"):
        "SSLv2 ServerHello: the JSON contract puts the SSLv2 connection id in session_id; "
        "tshark's PDML does not export it",
    ("zeek__ssl-v2.pcap", r"server_hello\[0\]\.session_id"):
        "SSLv2 ServerHello: connection id in session_id (contract), not exported by tshark",
    ("arkime__tls13.pcap", r"server_hello\[0\]\.key_share_group: ours 29 != tshark None"):
        "TLS 1.3 draft 18 sends key_share as extension 40; tshark 4.0 decodes it in the "
        "ClientHello but not in the ServerHello (it shows only 'key_share_old')",
    ("zeek__tls-13draft19-early-data.pcap",
     r"server_hello\[0\]\.key_share_group: ours 29 != tshark None"):
        "TLS 1.3 draft 19: key_share is extension 40, which tshark 4.0 leaves undecoded in "
        "the ServerHello",
    ("ndpi__tls_multiple_synack_different_seq.pcapng", r"1 server hellos != tshark 0"):
        "several SYN/ACKs with different ISNs: tshark never reassembles the server flight "
        "(MANIFEST: its truth is incomplete); nDPI sees the ServerHello and certificate, "
        "checked against nDPI's expected output in test_peer_decides_synack_case",
    ("ja4__chrome-cloudflare-quic-with-secrets.pcapng", r"ours has 2 certificates, tshark none"):
        "the pcapng's Decryption Secrets Block decrypts the TLS 1.3 flight; its certificate "
        "is a brotli compressed_certificate (RFC 8879) that tshark 4.0 lists (type 25) but "
        "does not decompress; tlslens does, and the CertificateVerify checks with its key "
        "(tests/corpus/test_decryption.py)",
    ("ndpi__tls_multiple_synack_different_seq.pcapng", r"ours has 4 certificates, tshark none"):
        "same capture: the certificates tshark misses (nDPI's expected output decides)",
}


@cache
def report_of(name: str) -> dict[str, Any]:
    return tlslens.analyze(str(CORPUS / "pcaps" / name)).to_dict()


def _excused(capture: str, line: str) -> tuple[str, str] | None:
    for (cap, pattern) in EXCEPTIONS:
        if cap in ("*", capture) and re.search(pattern, line):
            return cap, pattern
    return None


pytestmark = pytest.mark.skipif(not CAPTURES, reason="../shared/corpus is absent")


@pytest.mark.parametrize("capture", CAPTURES, ids=[c.name for c in CAPTURES])
def test_fields_agree_with_tshark(capture: Path) -> None:
    report = report_of(capture.name)
    unexplained = []
    for line in compare_capture(capture, report):
        if _excused(capture.name, line) is None:
            unexplained.append(line)
    assert not unexplained, "\n".join(unexplained)


def test_every_listed_exception_still_occurs() -> None:
    used: set[tuple[str, str]] = set()
    for capture in CAPTURES:
        for line in compare_capture(capture, report_of(capture.name)):
            hit = _excused(capture.name, line)
            if hit:
                used.add(hit)
    assert set(EXCEPTIONS) - used == set(), "exceptions no longer needed"


@pytest.mark.parametrize("capture", CAPTURES, ids=[c.name for c in CAPTURES])
def test_report_matches_schema(capture: Path) -> None:
    validate_report(report_of(capture.name))


def test_peer_decides_synack_case() -> None:
    """nDPI's expected output for the capture whose tshark truth is incomplete."""
    name = "ndpi__tls_multiple_synack_different_seq.pcapng"
    peer = json.loads((CORPUS / "peer_expected" / f"{name}.json").read_text())
    text = json.dumps(peer)
    conn = report_of(name)["connections"][0]
    assert conn["server_hellos"], "the server flight must be decoded"
    leaf = conn["certificates"][0]
    # nDPI prints the leaf's SHA-1 as colon-separated upper-case hex.
    sha1 = ":".join(leaf["sha1"][i:i + 2] for i in range(0, 40, 2)).upper()
    assert sha1 in text
