"""TLS after a plaintext upgrade, or on an unusual port: found by content, decoded from
where the TLS bytes start.

Our captures (tests/fixtures/starttls, made by scripts/make_starttls_captures.py with
real stacks on loopback) and five corpus ones (skipped when ../shared/corpus is absent;
their SNI, suite and hello frames come from tshark's truth files).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.corpus.truth_compare import CORPUS
from tests.robustness.harness import check_api
from tlslens.capture.reader import open_capture
from tlslens.capture.types import CaptureItem
from tlslens.packets.decoder import PacketDecoder

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "starttls"

#: capture -> (server port, SNI, cipher suite code, TLS version code, plaintext before TLS)
OURS = {
    "smtp-starttls": (2525, "mail.example.test", 0xC02B, 0x0303, True),
    "pop3-stls": (110, "pop.example.test", 0x1302, 0x0304, True),
    "postgres-sslrequest": (5432, "db.example.test", 0xCCA9, 0x0303, True),
    "tls-port-8853": (8853, "dns.example.test", 0x1302, 0x0304, False),
}

CORPUS_STARTTLS = ("zeek__imap-starttls.pcap", "zeek__xmpp-starttls.pcap",
                   "ndpi__ftp-start-tls.pcap", "lekensteyn__ldap-ssl.pcapng",
                   "lekensteyn__mysql-ssl.pcapng")


def first_tls_frame(path: Path, server_port: int) -> tuple[int, int]:
    """(frame of the client's first payload starting with a TLS handshake record header,
    client payload bytes sent before it), found independently of the record layer."""
    decoder = PacketDecoder()
    before = 0
    for item in open_capture(str(path)):
        if not isinstance(item, CaptureItem):
            continue
        seg = decoder.decode(item)
        if seg is None or seg.dport != server_port or not seg.payload:
            continue
        if bytes(seg.payload[:3]) in (b"\x16\x03\x01", b"\x16\x03\x03"):
            return item.index, before
        before += len(seg.payload)
    raise AssertionError(f"{path.name}: no ClientHello")


@pytest.mark.parametrize("name", OURS)
def test_our_starttls_captures(name: str) -> None:
    port, sni, suite, version, upgraded = OURS[name]
    path = FIXTURES / f"{name}.pcap"
    result = check_api(path.read_bytes(), name, text=True)
    assert result is not None
    assert result.stats["tcp_connections"] == 1
    (conn,) = result.connections
    assert conn.server.port == port and not conn.direction_inferred
    assert (conn.server_name, conn.cipher_suite, conn.version) == (sni, suite, version)
    assert conn.state == "complete"
    assert not [a for a in conn.anomalies if a.severity != "info"], conn.anomalies
    frame, plaintext = first_tls_frame(path, port)
    assert (plaintext > 0) == upgraded
    assert conn.messages[0].type == "client_hello" and conn.messages[0].frame == frame
    assert conn.messages[1].type == "server_hello"


@pytest.mark.skipif(not (CORPUS / "pcaps").is_dir(), reason="../shared/corpus is absent")
@pytest.mark.parametrize("capture", CORPUS_STARTTLS)
def test_corpus_starttls_captures(capture: str) -> None:
    path = CORPUS / "pcaps" / capture
    truth = json.loads((CORPUS / "truth" / f"{capture}.json").read_text())
    (stream,) = truth["streams"]
    result = check_api(path.read_bytes(), capture)
    assert result is not None
    (conn,) = result.connections
    assert conn.server.port == int(stream["server"].rsplit(":", 1)[1])
    ch, sh = stream["client_hellos"][0], stream["server_hellos"][0]
    assert conn.server_name == ch["sni"]
    assert conn.cipher_suite == sh["cipher_suite"]
    hello_frames = [(m.type, m.frame) for m in conn.messages[:2]]
    assert hello_frames == [("client_hello", ch["frame"]), ("server_hello", sh["frame"])]
