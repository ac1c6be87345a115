"""The connection table (flows/table.py) and the whole path to a TlsConnection.

Each case is a real handshake recorded between two OpenSSL endpoints
(tests/tlsbytes.py), cut into TCP segments, then reordered, duplicated, cut short or
re-used the way captures show it; the segments go to the FlowTable directly or, written
as a pcap, through ``tlslens.analyze``.
"""

from __future__ import annotations

import io
import random

from tests import pcapwriter as pw
from tests.tlsbytes import (
    CLIENT_IP,
    CLIENT_PORT,
    SERVER_IP,
    SERVER_PORT,
    Seg,
    pcap_of,
    tcp_segments,
    tls12,
    tls13,
)
from tlslens import analyze
from tlslens.analysis.model import TlsConnection
from tlslens.anomalies import Anomaly
from tlslens.flows.table import Flow, FlowTable
from tlslens.packets.types import TcpSegment


class Consumer:
    """A StreamConsumer that records what the table tells it."""

    def __init__(self) -> None:
        self.data = [bytearray(), bytearray()]
        self.anomalies: list[Anomaly] = []  # the flow's, copied when it ends
        self.gaps: list[tuple[int, int]] = []
        self.resets = 0
        self.roles: list[int] = []

    def on_data(self, side: int, data: bytes, frame: int, ts_ns: int) -> None:
        self.data[side] += data

    def on_gap(self, side: int, length: int, frame: int) -> None:
        self.gaps.append((side, length))

    def on_reset(self) -> None:
        self.resets += 1

    def on_roles(self, client_side: int) -> None:
        self.roles.append(client_side)


def run_table(segs: list[Seg], ports: tuple[int, int] = (CLIENT_PORT, SERVER_PORT)
              ) -> list[tuple[Flow, Consumer]]:
    ended: list[tuple[Flow, Consumer]] = []
    consumers: dict[int, Consumer] = {}

    def factory(flow: Flow) -> Consumer:
        consumers[flow.index] = Consumer()
        return consumers[flow.index]

    def on_end(flow: Flow) -> None:
        consumers[flow.index].anomalies = list(flow.anomalies)  # released after on_end
        ended.append((flow, consumers[flow.index]))

    table = FlowTable(factory, on_end)
    ips = (CLIENT_IP, SERVER_IP)
    for i, s in enumerate(segs, 1):
        table.add(TcpSegment(i, i * 1000, ips[s.side], ips[1 - s.side], ports[s.side],
                             ports[1 - s.side], s.seq, s.ack, s.flags, s.payload))
    table.finish()
    return ended


def conns(segs: list[Seg], ports: tuple[int, int] = (CLIENT_PORT, SERVER_PORT)
          ) -> tuple[TlsConnection, ...]:
    return analyze(io.BytesIO(pcap_of(segs, ports))).connections


def ids(conn: TlsConnection) -> list[str]:
    return [a.id for a in conn.anomalies]


def data_segments(segs: list[Seg]) -> list[int]:
    return [i for i, s in enumerate(segs) if s.payload]


# -- byte streams -------------------------------------------------------------------------
def test_in_order_streams_are_the_recorded_bytes() -> None:
    rec = tls12()
    [(flow, c)] = run_table(tcp_segments(rec.flights, mss=200))
    assert bytes(c.data[0]) == rec.stream(0) and bytes(c.data[1]) == rec.stream(1)
    assert flow.syn_seen and flow.synack_seen and flow.closed and not c.anomalies
    assert c.roles == [0, 0] and flow.endpoints == ((CLIENT_IP, CLIENT_PORT),
                                                    (SERVER_IP, SERVER_PORT))


def test_reordered_within_flights() -> None:
    rec = tls12()
    segs = tcp_segments(rec.flights, mss=150)
    # reverse every run of consecutive data segments of one side (the ACK follows it)
    out: list[Seg] = []
    run: list[Seg] = []
    for s in segs + [Seg(0, 0, 0, 0, b"")]:
        if s.payload and (not run or run[-1].side == s.side):
            run.append(s)
            continue
        out += run[::-1]
        run = [s] if s.payload else []
        if not s.payload and s.flags:
            out.append(s)
    [(_flow, c)] = run_table(out)
    assert bytes(c.data[1]) == rec.stream(1) and not c.anomalies and not c.gaps
    [conn] = conns(out)
    assert conn.state == "complete" and not ids(conn)


def test_retransmissions_everywhere() -> None:
    rec = tls13()
    segs = [x for s in tcp_segments(rec.flights, mss=300) for x in ((s, s) if s.payload
                                                                     else (s,))]
    [conn] = conns(segs)
    assert conn.state == "complete" and not ids(conn)
    assert conn.history == "CszyyyyZY"


def test_retransmission_with_different_bytes() -> None:
    rec = tls12()
    segs = tcp_segments(rec.flights, mss=300)
    i = data_segments(segs)[1]  # the first server segment
    bad = segs[i]._replace(payload=bytes(len(segs[i].payload)))
    segs.insert(i + 1, bad)
    [conn] = conns(segs)
    assert "tcp.overlap_mismatch" in ids(conn)
    assert conn.state == "complete"  # the first copy was used


def test_missing_segment_gap_and_resync() -> None:
    """A lost piece of the server's Certificate: tcp.gap, then records resume at the
    next record boundary (tcp.resync) and the rest of the handshake still decodes."""
    rec = tls12()
    segs = tcp_segments(rec.flights, mss=100)
    server = [i for i in data_segments(segs) if segs[i].side == 1]
    del segs[server[3]]  # inside the 881-byte flight: the certificate record
    [conn] = conns(segs)
    assert ids(conn)[:2] == ["tcp.gap", "tcp.resync"]
    gap = conn.anomalies[0]
    assert "100 bytes missing" in gap.detail and gap.direction == "1"
    types = [(m.direction, m.type) for m in conn.messages]
    assert ("server", "certificate") not in types
    assert ("server", "server_key_exchange") in types  # the next record, found again
    assert ("client", "client_key_exchange") in types
    assert conn.state == "complete"


def test_gap_reported_once_when_peer_acks_past_it() -> None:
    rec = tls12()
    segs = tcp_segments(rec.flights, mss=100)
    server = [i for i in data_segments(segs) if segs[i].side == 1]
    del segs[server[2]]
    [(_flow, c)] = run_table(segs)
    assert c.gaps == [(1, 100)]
    assert [a.id for a in c.anomalies] == ["tcp.gap"]
    assert c.anomalies[0].offset == 200


def test_sequence_wraparound_in_both_directions() -> None:
    rec = tls12()
    segs = tcp_segments(rec.flights, isn=(0xFFFFFFFF - 100, 0xFFFFFFFF - 700), mss=120)
    assert any(s.seq < 1000 for s in segs[3:])  # really wrapped
    [(_flow, c)] = run_table(segs)
    assert bytes(c.data[0]) == rec.stream(0) and bytes(c.data[1]) == rec.stream(1)
    [conn] = conns(segs)
    assert conn.state == "complete" and not ids(conn)


# -- roles and mid-stream starts ------------------------------------------------------------
def test_midstream_roles_from_the_client_hello() -> None:
    """No SYN; the server's bare ACK comes first, the client has the lower port: the
    ClientHello decides (not the first packet, not the port)."""
    rec = tls12()
    segs = tcp_segments(rec.flights, syn=False)
    segs.insert(0, Seg(1, 5001, 1001, pw.ACK))
    [conn] = conns(segs, ports=(40000, 50000))
    assert conn.client.port == 40000 and conn.server.port == 50000
    assert not conn.direction_inferred
    assert ids(conn)[0] == "tcp.midstream"
    assert conn.state == "complete"


def test_midstream_roles_from_the_server_hello() -> None:
    rec = tls12()
    segs = tcp_segments(rec.flights[1:], syn=False, isn=(1000 + len(rec.flights[0][1]), 5000))
    [conn] = conns(segs, ports=(40000, 50000))
    assert conn.client.port == 40000  # the ServerHello's receiver
    assert conn.direction_inferred
    assert not conn.client_hellos and conn.server_hellos
    assert ids(conn)[0] == "tcp.midstream"


def test_midstream_roles_from_the_higher_port() -> None:
    rec = tls12()
    late = rec.flights[4:]  # application data and alerts only
    segs = tcp_segments(late, syn=False)
    for ports, client_port in (((40000, 50000), 50000), ((50000, 40000), 50000)):
        [conn] = conns(segs, ports=ports)
        assert conn.direction_inferred and conn.client.port == client_port
        assert not conn.client_hellos and not conn.server_hellos
        assert conn.state == "incomplete"


def test_only_the_syn_ack_seen() -> None:
    """The capture missed the SYN: the SYN/ACK's receiver is the client."""
    rec = tls12()
    segs = tcp_segments(rec.flights)[1:]
    [(flow, _)] = run_table(segs)
    assert flow.endpoints[0] == (CLIENT_IP, CLIENT_PORT)
    [conn] = conns(segs)
    assert conn.client.port == CLIENT_PORT and not conn.direction_inferred
    assert "tcp.midstream" not in ids(conn) and conn.state == "complete"


# -- connection boundaries ------------------------------------------------------------------
def test_reused_four_tuple_after_fin_and_after_rst() -> None:
    rec = tls12()
    first = tcp_segments(rec.flights, isn=(1000, 5000))
    second = tcp_segments(rec.flights, isn=(90000, 70000))
    third = tcp_segments(rec.flights, isn=(400000, 300000), fin=False)
    reset = [Seg(0, 400001 + len(rec.stream(0)), 0, pw.RST)]
    fourth = tcp_segments(tls13().flights, isn=(800000, 600000))
    out = conns(first + second + third + reset + fourth)
    assert [c.state for c in out] == ["complete"] * 4
    assert [c.version for c in out] == [0x0303, 0x0303, 0x0303, 0x0304]
    assert all(not ids(c) for c in out)


def test_new_syn_with_other_isn_on_open_connection_is_a_new_connection() -> None:
    rec = tls12()
    half = tcp_segments(rec.flights[:2], isn=(1000, 5000), fin=False)
    full = tcp_segments(rec.flights, isn=(123456, 654321))
    out = conns(half + full)
    assert [c.state for c in out] == ["incomplete", "complete"]


def test_syn_retransmission_is_the_same_connection() -> None:
    rec = tls12()
    segs = tcp_segments(rec.flights)
    segs.insert(1, segs[0])
    [conn] = conns(segs)
    assert conn.state == "complete" and not ids(conn)


def test_several_syn_acks_with_different_isns() -> None:
    """A middlebox answers first with a bogus ISN, then the server: the data decides."""
    rec = tls12()
    segs = tcp_segments(rec.flights, isn=(1000, 5000))
    bogus = Seg(1, 3_000_000_000, 1001, pw.SYN | pw.ACK)
    for where in (1, 2):  # before and after the real SYN/ACK
        s = list(segs)
        s.insert(where, bogus)
        [conn] = conns(s)
        assert conn.state == "complete" and not ids(conn), where


def test_data_on_the_syn() -> None:
    """TCP Fast Open style: the ClientHello rides on the SYN."""
    rec = tls12()
    segs = tcp_segments(rec.flights[1:], isn=(1000 + len(rec.flights[0][1]), 5000))
    segs[0] = Seg(0, 1000, 0, pw.SYN, rec.flights[0][1])
    segs[1] = segs[1]._replace(ack=1001 + len(rec.flights[0][1]))
    [conn] = conns(segs)
    assert conn.state == "complete" and conn.client_hellos[0].frame == 1


def test_reset_before_the_handshake_completes() -> None:
    rec = tls12()
    segs = tcp_segments(rec.flights[:2], fin=False)
    segs.append(Seg(0, 1001 + len(rec.flights[0][1]), 0, pw.RST))
    [(flow, c)] = run_table(segs)
    assert c.resets == 1 and flow.rst and flow.closed
    [conn] = conns(segs)
    assert conn.state == "failed"
    assert "reset" in conn.verdict.summary or conn.verdict.level == "failed"


def test_reset_for_an_unknown_connection_is_ignored() -> None:
    assert run_table([Seg(0, 1, 0, pw.RST)]) == []


def test_stray_segments_after_close_do_not_reopen() -> None:
    rec = tls12()
    segs = tcp_segments(rec.flights)
    segs.append(Seg(1, 1, 1, pw.ACK, b"late"))
    [(_flow, c)] = run_table(segs)
    assert bytes(c.data[1]) == rec.stream(1)


def test_many_connections_end_in_first_packet_order() -> None:
    recs = [tls12(), tls13()]
    streams = []
    for i in range(6):
        rec = recs[i % 2]
        s = tcp_segments(rec.flights, isn=(1000 * i, 7000 * i))
        streams.append([(x, 40000 + i) for x in s])
    # interleave the connections packet by packet
    merged: list[tuple[Seg, int]] = []
    rng = random.Random(7)
    while any(streams):
        k = rng.choice([j for j, s in enumerate(streams) if s])
        merged.append(streams[k].pop(0))
    frames = [pw.eth(pw.ipv4(pw.tcp(s.payload, *((p, 443) if s.side == 0 else (443, p)),
                                    s.seq, s.ack, s.flags),
                             *((CLIENT_IP, SERVER_IP) if s.side == 0 else
                               (SERVER_IP, CLIENT_IP)))) for s, p in merged]
    out = analyze(io.BytesIO(pw.pcap_bytes(frames))).connections
    assert [c.id for c in out] == list(range(6))
    first_seen = [p for i, (s, p) in enumerate(merged) if p not in
                  {q for _, q in merged[:i]}]
    assert [c.client.port for c in out] == first_seen
    assert [c.version for c in out] == [0x0303 if p % 2 == 0 else 0x0304 for p in first_seen]
    assert all(c.state == "complete" and not ids(c) for c in out)


def test_buffer_limit_through_the_table() -> None:
    """A lost segment followed by more than 4 MiB of unacknowledged server data."""
    rec = tls12()
    segs = tcp_segments(rec.flights[:1], fin=False)
    chunk = (rec.stream(1) * 2)[:1400]
    seq = 5001 + 1400  # the first 1400 server bytes are lost
    for _ in range(3100):
        segs.append(Seg(1, seq & 0xFFFFFFFF, 1001, pw.ACK, chunk))
        seq += 1400
    [(_flow, c)] = run_table(segs)
    assert [a.id for a in c.anomalies] == ["tcp.buffer_limit", "tcp.gap"]
    assert c.gaps == [(1, 1400)]
    assert len(c.data[1]) == 3100 * 1400


def test_a_closed_connection_lingers_as_an_ended_entry_only() -> None:
    """After its FINs a connection's entries hold a small Ended (stray packets swallowed,
    a new SYN on the 4-tuple starts a new connection, swept after CLOSED_LINGER_NS); the
    Flow itself is no longer the table's (flows.table.Ended)."""
    import gc

    from tlslens.flows import table as table_module
    from tlslens.flows.table import Ended

    ended: list[int] = []
    consumers: dict[int, Consumer] = {}

    def factory(flow: Flow) -> Consumer:
        consumers[flow.index] = Consumer()
        return consumers[flow.index]

    table = FlowTable(factory, lambda flow: ended.append(flow.index))
    ips = (CLIENT_IP, SERVER_IP)

    def feed(segs: list[Seg], start_ns: int) -> None:
        for i, s in enumerate(segs, 1):
            table.add(TcpSegment(i, start_ns + i * 1000, ips[s.side], ips[1 - s.side],
                                 (CLIENT_PORT, SERVER_PORT)[s.side],
                                 (CLIENT_PORT, SERVER_PORT)[1 - s.side], s.seq, s.ack,
                                 s.flags, s.payload))

    def flows_alive() -> int:
        gc.collect()
        return sum(1 for o in gc.get_objects() if type(o) is Flow)

    before = flows_alive()
    rec = tls12()
    feed(tcp_segments(rec.flights), 0)
    assert ended == [0]
    entries = list(table.flows.values()) + [v for v, _ in table._lookup.values()]
    assert entries and all(isinstance(e, Ended) for e in entries)
    assert flows_alive() == before  # nothing keeps the Flow
    feed([Seg(1, 1, 1, pw.ACK, b"late")], 10**9)  # a stray: swallowed
    assert len(consumers) == 1 and bytes(consumers[0].data[1]) == rec.stream(1)
    # a new connection on the same 4-tuple, then its close; the first entry is gone
    feed(tcp_segments(rec.flights, isn=(5000, 9000)), 2 * 10**9)
    assert ended == [0, 1] and bytes(consumers[1].data[1]) == rec.stream(1)
    assert [e.index for e in table.flows.values()] == [1]
    table.tick(2 * 10**9 + table_module.CLOSED_LINGER_NS + 10**9)  # time to sweep
    assert not table.flows and not table._lookup
