"""Every anomaly id in the catalogue is raised by real input, or says why it cannot be yet.

Each trigger builds a capture (tests/pcapwriter.py around real TLS bytes from
tests/tlsbytes.py, cut or bent the way a broken capture is) and runs it through
``tlslens.analyze``, so the id is checked where users see it: in the result. Adding an
id to ``tlslens.anomalies.CATALOGUE`` without a trigger here (or a reason in
UNTRIGGERABLE) fails ``test_every_id_has_a_trigger_or_a_reason``.
"""

from __future__ import annotations

import gzip
import io
import re
import struct
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import pcapwriter as pw
from tests.tlsbytes import Seg, pcap_of, pki, tcp_segments, tls12
from tlslens import analyze
from tlslens.anomalies import CATALOGUE, Anomaly
from tlslens.pipeline import Options

SRC = Path(__file__).resolve().parents[2] / "src" / "tlslens"

#: Ids no input can raise through the layers that exist now, and why.
UNTRIGGERABLE: dict[str, str] = {
    "capture.empty": "an empty input is not a capture: open_capture raises "
                     "CaptureFormatError (exit 2), never an anomaly",
    "capture.unknown_format": "input that is no capture raises CaptureFormatError "
                              "(exit 2), never an anomaly",
    # Decryption ids need key material and recorded captures: their triggers live with
    # the crypto tests (tests/unit/crypto), which assert each id on real bytes.
    "keylog.bad_line": "triggered in tests/unit/crypto/test_crypto_keylog.py and "
                       "test_crypto_captures.py (a junk key log line)",
    "keylog.bad_rsa_key": "triggered in tests/unit/crypto/test_crypto_keylog.py",
    "keylog.unsupported_secrets": "triggered in tests/unit/crypto/test_crypto_keylog.py "
                                  "(a DSB of an unknown secrets type)",
    "decrypt.wrong_key": "triggered in tests/unit/crypto/test_crypto_captures.py "
                         "(a key log with a wrong secret)",
    "decrypt.record_failed": "triggered in tests/unit/crypto/test_crypto_captures.py",
    "decrypt.finished_mismatch": "triggered in tests/unit/crypto/test_crypto_captures.py",
    "decrypt.bad_premaster": "triggered in tests/unit/crypto/test_crypto_captures.py "
                             "(--rsa-key that does not match)",
    "batch.not_a_capture": "an error row of the batch runner (tlslens.batch, issue 9), "
                           "written per input file outside analyze()",
    "batch.worker_lost": "an error row of the batch runner (tlslens.batch, issue 9) when a "
                         "worker process dies; outside analyze()",
}


# -- helpers --------------------------------------------------------------------------------
def ids_of(capture: bytes, options: Options | None = None) -> set[str]:
    res = analyze(io.BytesIO(capture), options)
    found = {a.id for a in res.anomalies}
    for conn in res.connections:
        found |= {a.id for a in conn.anomalies}
    return found


def conv(client: bytes, server: bytes, **kw: object) -> set[str]:
    """A TCP connection (SYN ... FIN) carrying these two byte streams."""
    flights = [(s, d) for s, d in ((0, client), (1, server)) if d]
    return ids_of(pcap_of(tcp_segments(flights, **kw)))  # type: ignore[arg-type]


def frames(*data: bytes, linktype: int = 1) -> bytes:
    return pw.pcap_bytes(list(data), linktype)


def tcp_frame(payload: bytes = b"", **kw: object) -> bytes:
    return pw.eth(pw.ipv4(pw.tcp(payload, **kw)))  # type: ignore[arg-type]


def rec(ctype: int, body: bytes, version: int = 0x0303) -> bytes:
    return bytes([ctype]) + version.to_bytes(2, "big") + len(body).to_bytes(2, "big") + body


def hs(msg_type: int, body: bytes) -> bytes:
    return bytes([msg_type]) + len(body).to_bytes(3, "big") + body


def client_stream() -> bytes:
    return tls12().stream(0)


def server_hello_record() -> bytes:
    return rec(22, tls12().message(2))


def client_hello_with_extensions(exts: bytes) -> bytes:
    """The recorded TLS 1.2 ClientHello with its extensions block replaced."""
    raw = tls12().message(1)
    body = raw[4:]
    p = 34
    p += 1 + body[p]
    p += 2 + int.from_bytes(body[p:p + 2], "big")
    p += 1 + body[p]
    new = body[:p] + len(exts).to_bytes(2, "big") + exts
    return rec(22, hs(1, new))


def ext(code: int, data: bytes) -> bytes:
    return code.to_bytes(2, "big") + len(data).to_bytes(2, "big") + data


def with_certificate(der: bytes) -> set[str]:
    cert = hs(11, (len(der) + 3).to_bytes(3, "big") + len(der).to_bytes(3, "big") + der)
    return conv(client_stream()[:5 + len(tls12().message(1))],
                server_hello_record() + rec(22, cert))


def compressed_cert(alg: int, payload: bytes, declared: int) -> set[str]:
    body = alg.to_bytes(2, "big") + declared.to_bytes(3, "big") + \
        len(payload).to_bytes(3, "big") + payload
    first = client_stream()[:5 + len(tls12().message(1))]
    return conv(first, server_hello_record() + rec(22, hs(25, body)))


def dropped_segment() -> set[str]:
    segs = tcp_segments(tls12().flights, mss=100)
    server = [i for i, s in enumerate(segs) if s.side == 1 and s.payload]
    del segs[server[3]]
    return ids_of(pcap_of(segs))


def forged_retransmission() -> set[str]:
    segs = tcp_segments(tls12().flights, mss=300)
    i = next(i for i, s in enumerate(segs) if s.side == 1 and s.payload)
    segs.insert(i + 1, segs[i]._replace(payload=bytes(len(segs[i].payload))))
    return ids_of(pcap_of(segs))


def buffer_limit() -> set[str]:
    segs = tcp_segments(tls12().flights[:1], fin=False)
    chunk = (tls12().stream(1) * 2)[:1400]
    for k in range(3100):
        segs.append(Seg(1, (5001 + 1400 * (k + 1)) & 0xFFFFFFFF, 1001, pw.ACK, chunk))
    return ids_of(pcap_of(segs))


def after_hello(junk: bytes) -> set[str]:
    return conv(client_stream()[:5 + len(tls12().message(1))] + junk, b"")


def fragments_overlap() -> set[str]:
    seg = pw.tcp(b"A" * 64)
    a = pw.ipv4(seg[:48], mf=True, ident=7, proto=6)
    b = pw.ipv4(b"Z" * 40, mf=True, ident=7, frag_offset=40, proto=6)
    c = pw.ipv4(seg[48:], ident=7, frag_offset=48, proto=6)
    return ids_of(frames(pw.eth(a), pw.eth(b), pw.eth(c)))


def many_fragments() -> set[str]:
    return ids_of(frames(*(pw.eth(pw.ipv4(b"x" * 16, mf=True, ident=i))
                           for i in range(1100))))


def bad_timestamp() -> set[str]:
    png = pw.Pcapng()
    png.interface(tsoffset=-(10 ** 6))
    png.packet(tcp_frame(b"x"), ts_ns=-(10 ** 12))
    return ids_of(png.to_bytes())


def field_error() -> set[str]:
    leaf = pki().leaf_der
    return with_certificate(leaf.replace(b"server.test", b"\xffserver.tst", 1))


def ocsp_garbage() -> set[str]:
    status = hs(22, bytes([1]) + (5).to_bytes(3, "big") + b"\x30\x03\x0a\x01\x09")
    first = client_stream()[:5 + len(tls12().message(1))]
    return conv(first, server_hello_record() + rec(22, status))


def too_many_messages() -> set[str]:
    body = bytes([0, 0, 0, 0]) * 4096
    return conv(client_stream()[:5 + len(tls12().message(1))],
                server_hello_record() + rec(22, body) * 3)


def callback_bug() -> set[str]:
    def boom(conn: object) -> None:
        raise RuntimeError("a display bug")

    return ids_of(pcap_of(tcp_segments(tls12().flights)), Options(on_handshake=boom))


def gzip_corrupt() -> set[str]:
    """A good pcap, gzipped, with its CRC-32 trailer damaged."""
    data = bytearray(gzip.compress(frames(*(tcp_frame(bytes([i]) * 100) for i in range(20))),
                                   mtime=0))
    data[-8] ^= 0xFF
    return ids_of(bytes(data))


def unexpected() -> set[str]:
    # the SYN's sender (the client) answers with a ServerHello
    return conv(server_hello_record(), b"")


def sslv2_malformed() -> set[str]:
    body = bytes([1, 0, 2, 0, 200, 0, 0, 0, 16]) + bytes(20)
    return conv(bytes([0x80, len(body)]) + body, b"")


def _nested_ipip(depth: int) -> bytes:
    """A TCP segment wrapped in ``depth`` IPv4-in-IPv4 headers."""
    packet = pw.ipv4(pw.tcp(b"x"))
    for _ in range(depth):
        packet = pw.ipv4(packet, proto=4)
    return packet


TRIGGERS: dict[str, Callable[[], set[str]]] = {
    "capture.truncated": lambda: ids_of(frames(tcp_frame(b"hello"))[:-3]),
    "capture.bad_block": lambda: ids_of(pw.Pcapng().to_bytes() + struct.pack("<III", 6, 8, 8)),
    "capture.unknown_block": lambda: ids_of(pw.Pcapng().raw_block(0x0BADB10C, b"abcd")
                                            .to_bytes()),
    "capture.bad_interface": lambda: ids_of(_with_interface(3)),
    "capture.gzip_error": gzip_corrupt,
    "capture.snaplen_cut": lambda: ids_of(pw.pcap_bytes([(pw.BASE_TS_NS,
                                                          tcp_frame(bytes(100))[:30], 154)])),
    "capture.bad_timestamp": bad_timestamp,
    "link.unsupported": lambda: ids_of(frames(b"\x00" * 40, linktype=147)),
    "link.truncated": lambda: ids_of(frames(b"\x02\x00\x00\x00")),
    "ip.truncated": lambda: ids_of(frames(pw.eth(pw.ipv4(pw.tcp(b"x"))[:15]))),
    "ip.bad_header": lambda: ids_of(frames(pw.eth(pw.ipv4(pw.tcp(b"x"), version=5)))),
    "ip.fragment_overlap": fragments_overlap,
    "ip.fragment_incomplete": lambda: ids_of(frames(pw.eth(pw.ipv4(b"x" * 16, mf=True)))),
    "ip.too_many_fragments": many_fragments,
    "tunnel.truncated": lambda: ids_of(frames(pw.eth(pw.ipv4(b"\x00\x00", proto=47)))),
    # IP-in-IP nested past the decoder's depth limit (a crafted packet could nest forever).
    "tunnel.too_deep": lambda: ids_of(frames(pw.eth(_nested_ipip(20)))),
    "tcp.bad_header": lambda: ids_of(frames(pw.eth(pw.ipv4(pw.tcp(b"x", data_offset=2))))),
    "tcp.gap": dropped_segment,
    "tcp.resync": dropped_segment,
    "tcp.overlap_mismatch": forged_retransmission,
    "tcp.midstream": lambda: ids_of(pcap_of(tcp_segments(tls12().flights, syn=False))),
    "tcp.buffer_limit": buffer_limit,
    "tls.record.bad_length": lambda: after_hello(bytes([23, 3, 3, 0x50, 0]) + bytes(40)),
    "tls.record.bad_type": lambda: after_hello(bytes([99, 3, 3, 0, 20]) + bytes(40)),
    "tls.record.bad_version": lambda: after_hello(bytes([23, 3, 9, 0, 20]) + bytes(40)),
    "tls.record.truncated": lambda: conv(client_stream()[:-10], b""),
    "tls.record.empty": lambda: after_hello(bytes([22, 3, 3, 0, 0]) + bytes(40)),
    "tls.not_tls": lambda: after_hello(b"HTTP/1.1 200 OK\r\n" * 3),
    "tls.alert.bad_length": lambda: conv(client_stream()[:5 + len(tls12().message(1))],
                                         server_hello_record() + rec(21, b"\x02")),
    "tls.ccs.bad": lambda: conv(client_stream()[:5 + len(tls12().message(1))],
                                server_hello_record() + rec(20, b"\x01\x01")),
    "tls.hs.truncated": lambda: conv(rec(22, tls12().message(1)[:60]), b""),
    "tls.hs.too_long": lambda: conv(rec(22, bytes([1, 0x7F, 0xFF, 0xFF])), b""),
    "tls.hs.malformed": lambda: conv(rec(22, hs(1, b"\x03\x03" + bytes(10))), b""),
    "tls.hs.trailing_bytes": lambda: conv(rec(22, hs(14, b"\x00")), b""),
    "tls.hs.unknown_type": lambda: conv(rec(22, hs(1, tls12().message(1)[4:]) + hs(99, b"")),
                                        b""),
    "tls.hs.unexpected": unexpected,
    "tls.hs.duplicate_hello": lambda: conv(rec(22, tls12().message(1)) * 2, b""),
    "tls.ext.malformed": lambda: conv(client_hello_with_extensions(ext(10, b"\x00\x03\x00\x1d\x00")),
                                      b""),
    "tls.ext.duplicate": lambda: conv(client_hello_with_extensions(
        ext(23, b"") + ext(23, b"")), b""),
    "tls.ext.trailing_bytes": lambda: conv(client_hello_with_extensions(
        ext(10, b"\x00\x02\x00\x1d\xff")), b""),
    "tls.sslv2.malformed": sslv2_malformed,
    "tls.decompress.failed": lambda: compressed_cert(1, b"not zlib at all", 100),
    "tls.decompress.unsupported": lambda: compressed_cert(0x4242, b"x", 1),
    "x509.unparseable": lambda: with_certificate(b"\x30\x03\x02\x01\x01"),
    "x509.field_error": field_error,
    "ocsp.unparseable": ocsp_garbage,
    "limit.reached": too_many_messages,
    "internal.error": callback_bug,
}


def _with_interface(iface: int) -> bytes:
    png = pw.Pcapng()
    png.interface()
    png.packet(tcp_frame(b"x"), iface=iface)
    return png.to_bytes()


# -- tests ----------------------------------------------------------------------------------
def test_every_id_has_a_trigger_or_a_reason() -> None:
    missing = set(CATALOGUE) - set(TRIGGERS) - set(UNTRIGGERABLE)
    assert not missing, f"anomaly ids without a trigger test or a listed reason: {missing}"
    assert not set(TRIGGERS) & set(UNTRIGGERABLE)
    assert set(TRIGGERS) | set(UNTRIGGERABLE) <= set(CATALOGUE), "stale entries"


@pytest.mark.parametrize("aid", sorted(TRIGGERS))
def test_trigger(aid: str) -> None:
    assert aid in TRIGGERS[aid]()


def test_every_id_raised_in_the_source_is_catalogued() -> None:
    """A literal id passed to Anomaly(...), PacketError(...) or .anomaly(...) anywhere
    in src/tlslens must be in the catalogue (else it has no severity or doc)."""
    pattern = re.compile(r"""(?:Anomaly|PacketError|\.anomaly|_report)\(\s*(?:[a-z_.]+,\s*)?"""
                         r"""["']([a-z0-9_]+\.[a-z0-9_.]+)["']""")
    used: dict[str, str] = {}
    for path in SRC.rglob("*.py"):
        for aid in pattern.findall(path.read_text()):
            used.setdefault(aid, str(path.relative_to(SRC)))
    assert len(used) > 30
    unknown = {aid: where for aid, where in used.items() if aid not in CATALOGUE}
    assert not unknown, f"ids used but not in CATALOGUE: {unknown}"


def test_severity_and_dict_shape() -> None:
    a = Anomaly("tcp.gap", "10 bytes missing", 7)
    assert a.severity == "warning"
    assert a.to_dict() == {"id": "tcp.gap", "severity": "warning", "detail": "10 bytes missing",
                           "frame": 7}
    assert all(sev in ("info", "warning", "error") and text and not text.endswith(".")
               for sev, text in CATALOGUE.values())


def test_docs_table_is_current() -> None:
    """docs/anomalies.md is generated from the catalogue (scripts/gen_anomaly_docs.py)."""
    import importlib.util

    script = SRC.parents[1] / "scripts" / "gen_anomaly_docs.py"
    spec = importlib.util.spec_from_file_location("gen_anomaly_docs", script)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    doc = SRC.parents[1] / "docs" / "anomalies.md"
    assert doc.read_text() == mod.render(), "run: python scripts/gen_anomaly_docs.py"
