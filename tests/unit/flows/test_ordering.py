"""Connections are reported in first-packet order even when they end out of order, and a
connection whose report waits for an earlier one keeps everything (its TCP anomalies)."""

from __future__ import annotations

import io
from pathlib import Path

import tlslens
from tests.pcapwriter import eth, ipv4, tcp, write_pcap
from tlslens.capture.reader import open_capture
from tlslens.packets.decoder import PacketDecoder

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seed" / "seed.pcap"
SYN, ACK, FIN = 0x02, 0x10, 0x01


def _seed_streams() -> tuple[bytes, bytes]:
    dec = PacketDecoder()
    client, server = bytearray(), bytearray()
    for item in open_capture(SEED):
        seg = dec.decode(item)  # type: ignore[arg-type]
        if seg is not None and seg.payload:
            (client if seg.dport == 443 else server).extend(seg.payload)
    return bytes(client), bytes(server)


def test_late_ending_first_connection_does_not_lose_later_anomalies(tmp_path: Path) -> None:
    client, server = _seed_streams()
    a = ("10.0.0.1", 40000)
    b = ("10.0.0.1", 40001)
    srv = ("10.0.0.2", 443)

    def pkt(src: tuple[str, int], dst: tuple[str, int], payload: bytes = b"",
            seq: int = 0, ack: int = 0, flags: int = ACK) -> bytes:
        return eth(ipv4(tcp(payload, sport=src[1], dport=dst[1], seq=seq, ack=ack,
                            flags=flags), src=src[0], dst=dst[0]))

    hello_end = 5 + int.from_bytes(client[3:5], "big")
    pkts = [
        # A: the first connection, a TLS ClientHello, then silence until the very end.
        pkt(a, srv, seq=99, flags=SYN),
        pkt(srv, a, seq=499, ack=100, flags=SYN | ACK),
        pkt(a, srv, client[:hello_end], seq=100, ack=500),
        # B: the whole seed exchange, with 10 server bytes never captured, then closed.
        pkt(b, srv, seq=999, flags=SYN),
        pkt(srv, b, seq=4999, ack=1000, flags=SYN | ACK),
        pkt(b, srv, client, seq=1000, ack=5000),
        pkt(srv, b, server[:1000], seq=5000, ack=1000 + len(client)),
        pkt(srv, b, server[1010:], seq=6010, ack=1000 + len(client)),
        pkt(b, srv, seq=1000 + len(client), ack=5000 + len(server), flags=FIN | ACK),
        pkt(srv, b, seq=5000 + len(server), ack=1001 + len(client), flags=FIN | ACK),
        # A ends last.
        pkt(a, srv, seq=100 + hello_end, ack=500, flags=FIN | ACK),
        pkt(srv, a, seq=500, ack=101 + hello_end, flags=FIN | ACK),
    ]
    path = tmp_path / "order.pcap"
    buf = io.BytesIO()
    write_pcap(buf, pkts)
    path.write_bytes(buf.getvalue())
    conns = tlslens.analyze(str(path)).connections
    assert [c.client.port for c in conns] == [40000, 40001]
    assert [c.id for c in conns] == [0, 1]
    assert "tcp.gap" in {x.id for x in conns[1].anomalies}
