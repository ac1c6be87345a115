"""The fast lane (tlslens.flows.lane) changes no result, only the time it takes.

Each case analyses the same capture with the lane on and off and compares the whole JSON
report (every field, anomaly and count), and the fingerprint-only path the same way. The
captures are the repository's fixtures (with and without keys), synthetic streams that
leave the lane's plain case during or after the handshake (retransmission, a changed
retransmission, out-of-order, a hole, a reset, a reused 4-tuple, IPv6), and, when
present, every capture of the shared corpus.
"""

from __future__ import annotations

import io
import random
from pathlib import Path

import pytest

from tests import pcapwriter as pw
from tests.corpus.truth_compare import corpus_captures
from tests.tlsbytes import Seg, frame_of, pcap_of, tcp_segments, tls12, tls13
from tlslens.capture import reader as reader_module
from tlslens.flows.lane import COMPILED, FastLane
from tlslens.flows.table import CLOSED_LINGER_NS
from tlslens.pipeline import Options, RunState, analyze, iter_connections
from tlslens.report.json_report import encode, result_to_dict

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"


def _report(source: bytes | Path, **opts: object) -> str:
    src = io.BytesIO(source) if isinstance(source, bytes) else str(source)
    result = analyze(src, Options(**opts))  # type: ignore[arg-type]
    doc = result_to_dict(result)
    doc["capture"].pop("path", None)
    return encode(doc)


def _fingerprints(source: bytes | Path, **opts: object) -> list[tuple[object, ...]]:
    src = io.BytesIO(source) if isinstance(source, bytes) else str(source)
    result = analyze(src, Options(hellos_only=True, **opts))  # type: ignore[arg-type]
    return [(c.id, str(c.client), str(c.server), c.server_name, c.fingerprints)
            for c in result.connections]


#: The lane off; the Python lane alone; the Python lane with the compiled walk (when it
#: is built, else this is the Python lane again).
WAYS = ({"fast_lane": False}, {"compiled_lane": False}, {})


def assert_same_with_and_without_lane(source: bytes | Path, **opts: object) -> None:
    reports = [_report(source, **opts, **way) for way in WAYS]  # type: ignore[arg-type]
    assert reports[1] == reports[0]
    assert reports[2] == reports[0]
    prints = [_fingerprints(source, **opts, **way) for way in WAYS]  # type: ignore[arg-type]
    assert prints[1] == prints[0]
    assert prints[2] == prints[0]


@pytest.fixture
def lane_count(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Packets the lane took, in Python ([0], also [1]) or in the compiled walk ([0],
    also [2]); so a case shows it was exercised, not bypassed."""
    taken = [0, 0, 0]
    real_take, real_walker = FastLane.take, FastLane.walker

    def counting(self: FastLane, data: bytes, frame: int, ts_ns: int) -> bool:
        ok = real_take(self, data, frame, ts_ns)
        taken[0] += ok
        taken[1] += ok
        return ok

    class Counted:
        """The compiled walk, counting the packets it consumes without returning them."""

        def __init__(self, walker: object) -> None:
            self.walker = walker

        def _count(self, n: int) -> None:
            taken[0] += n
            taken[2] += n

        def scan(self, buf: bytes, pos: int, idx: int, *args: object) -> tuple[object, ...]:
            out = self.walker.scan(buf, pos, idx, *args)  # type: ignore[attr-defined]
            self._count(out[1] - idx - (out[3] is not None))
            return out  # type: ignore[no-any-return]

        def scan_blocks(self, buf: bytes, pos: int, idx: int, *args: object
                        ) -> tuple[object, ...]:
            out = self.walker.scan_blocks(buf, pos, idx, *args)  # type: ignore[attr-defined]
            self._count(out[1] - idx)
            return out  # type: ignore[no-any-return]

    def counting_walker(self: FastLane) -> object:
        walker = real_walker(self)
        return None if walker is None else Counted(walker)

    monkeypatch.setattr(FastLane, "take", counting)
    monkeypatch.setattr(FastLane, "walker", counting_walker)
    return taken


def _with_app_data(rec_flights: list[tuple[int, bytes]], size: int) -> list[tuple[int, bytes]]:
    """The recorded flights plus ``size`` bytes of application-data records from the server
    (content type 23 framing; the bytes need not decrypt)."""
    rnd = random.Random(size)
    records = b""
    left = size
    while left > 0:
        n = min(left, rnd.choice([100, 1000, 16384]))
        records += b"\x17\x03\x03" + n.to_bytes(2, "big") + rnd.randbytes(n)
        left -= n
    return [*rec_flights, (1, records), (0, b"\x15\x03\x03\x00\x02\x01\x00")]


@pytest.mark.parametrize("name", ["seed/seed.pcap", "seed13/seed13.pcap",
                                  "starttls/smtp-starttls.pcap"])
def test_fixture_captures(name: str) -> None:
    path = FIXTURES / name
    if not path.exists():
        pytest.skip(f"{name} not in this checkout")
    assert_same_with_and_without_lane(path)


@pytest.mark.parametrize("make", [tls12, tls13])
def test_in_order_stream_takes_the_lane_and_counts_the_same(make, lane_count) -> None:  # type: ignore[no-untyped-def]
    segs = tcp_segments(_with_app_data(make().flights, 200_000), mss=1000)
    capture = pcap_of(segs)
    assert_same_with_and_without_lane(capture)
    assert lane_count[0] > 300  # most of the ~200 data segments and their ACKs, twice
    if COMPILED:  # past the handshake, the compiled walk takes them (analyze and fingerprint)
        assert lane_count[2] > 300
    result = analyze(io.BytesIO(capture))
    [conn] = result.connections
    records, nbytes = conn.app_data["server"]
    assert nbytes >= 200_000 and records > 10  # the lane still counted every record


def _lane_counts(variants: dict[str, list[Seg]], lane_count: list[int]
                 ) -> dict[str, list[int]]:
    """Each variant's report must be the same every way; what the lane took for it
    (the lane_count fixture's three counters, as differences)."""
    counts = {}
    for name, variant in variants.items():
        before = list(lane_count)
        assert_same_with_and_without_lane(pcap_of(variant))
        counts[name] = [a - b for a, b in zip(lane_count, before, strict=True)]
    return counts


def _assert_lane_took_the_packet(counts: dict[str, list[int]], taken: str,
                                 before: str) -> None:
    """Variant ``taken`` is ``before`` plus one packet the lane took: 2 more outputs
    (report, fingerprints) on the Python lane and, when built, on the compiled walk."""
    assert counts[taken][1] - counts[before][1] == 2
    if COMPILED:
        assert counts[taken][2] - counts[before][2] == 2


@pytest.mark.parametrize("make", [tls12, tls13])
def test_the_first_fin_takes_the_lane_and_the_closing_one_does_not(
        make, lane_count: list[int]) -> None:  # type: ignore[no-untyped-def]
    """A connection's first FIN (no data) is the lane's, in Python and compiled; the FIN
    that ends it, a FIN with data, and a FIN after a reset go the general way. Every
    variant gives the same report every way."""
    segs = tcp_segments(make().flights)
    fins = [i for i, sg in enumerate(segs) if sg.flags & pw.FIN]
    assert len(fins) == 2
    variants = {
        "no FIN": segs[:fins[0]],
        "first FIN": segs[:fins[1]],
        "both FINs": segs,
        "first FIN with data": [*segs[:fins[0]], segs[fins[0]]._replace(payload=b"\x00")],
    }
    counts = _lane_counts(variants, lane_count)
    # the first FIN is the lane's; the closing FIN adds nothing
    _assert_lane_took_the_packet(counts, "first FIN", "no FIN")
    assert counts["both FINs"] == counts["first FIN"]
    assert counts["first FIN with data"] == counts["no FIN"]


@pytest.mark.parametrize("make", [tls12, tls13])
def test_the_synack_takes_the_lane(make, lane_count: list[int]) -> None:  # type: ignore[no-untyped-def]
    """The SYN/ACK that answers a connection's SYN is the lane's, in Python and compiled
    (FastLane.synack); one with data, FIN or RST, and a second SYN, go the general way.
    Every variant gives the same report every way."""
    segs = tcp_segments(make().flights)
    assert segs[1].flags == pw.SYN | pw.ACK
    variants = {
        "SYN only": segs[:1],
        "SYN, SYN/ACK": segs[:2],
        "SYN/ACK with data": [segs[0], segs[1]._replace(payload=b"\x00")],
        "SYN/ACK with RST": [segs[0], segs[1]._replace(flags=pw.SYN | pw.ACK | pw.RST)],
        "SYN twice, SYN/ACK twice": [segs[0], segs[0], segs[1], segs[1], *segs[2:]],
    }
    counts = _lane_counts(variants, lane_count)
    _assert_lane_took_the_packet(counts, "SYN, SYN/ACK", "SYN only")
    assert counts["SYN/ACK with data"] == counts["SYN only"]
    assert counts["SYN/ACK with RST"] == counts["SYN only"]


def _disturbed(segs: list[Seg], how: str, early: bool = False) -> list[Seg]:
    data_idx = [i for i, s in enumerate(segs) if s.payload and s.side == 1]
    # the server's first flight (the handshake), or well past the handshake
    late = data_idx[0] if early else data_idx[len(data_idx) // 2]
    out = list(segs)
    if how == "retransmit":
        out.insert(late + 3, segs[late])
    elif how == "retransmit_changed":
        s = segs[late]
        out.insert(late + 3, s._replace(payload=b"\x00" + s.payload[1:]))
    elif how == "reorder":
        out[late], out[late + 2] = out[late + 2], out[late]
    elif how == "hole":
        del out[late]
    elif how == "rst":
        s = segs[late]
        out.insert(late + 1, Seg(1, s.seq + len(s.payload), 0, pw.RST))
    return out


@pytest.mark.parametrize("early", [False, True], ids=["after_handshake", "in_handshake"])
@pytest.mark.parametrize("how", ["retransmit", "retransmit_changed", "reorder", "hole", "rst"])
def test_disturbed_stream(how: str, early: bool, lane_count: list[int]) -> None:
    segs = tcp_segments(_with_app_data(tls12().flights, 60_000), mss=1000)
    assert_same_with_and_without_lane(pcap_of(_disturbed(segs, how, early)))
    assert lane_count[0] > (0 if how == "rst" and early else 20)  # a reset ends it early


def test_reused_four_tuple_after_the_first_connection_ends() -> None:
    first = tcp_segments(_with_app_data(tls12().flights, 20_000), mss=1000)
    second = tcp_segments(_with_app_data(tls13().flights, 20_000), mss=1000,
                          isn=(70_000, 90_000))
    capture = pcap_of(first + second)
    assert_same_with_and_without_lane(capture)
    assert len(analyze(io.BytesIO(capture)).connections) == 2


@pytest.mark.parametrize("make", [tls12, tls13])
def test_the_closing_fin_of_a_mapped_file_is_the_compiled_walks(
        make, lane_count: list[int], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Through a file's memory map the compiled walk takes the FIN that ends a
    connection too (FlowTable.close ends it); after a reset, or with data, that FIN
    still goes the general way. The Python lane leaves it to the general path. Every
    variant gives the same report every way."""
    monkeypatch.setattr(reader_module, "MAP_MIN", 0)
    segs = tcp_segments(make().flights)
    rst = Seg(0, segs[-2].seq, segs[-1].seq, pw.RST | pw.ACK)
    variants = {
        "first FIN": segs[:-1],
        "both FINs": segs,
        "reset, both FINs": [*segs[:-2], rst, *segs[-2:]],
        "closing FIN with data": [*segs[:-1], segs[-1]._replace(payload=b"\x00")],
    }
    counts = {}
    for name, variant in variants.items():
        path = tmp_path / f"{len(counts)}.pcap"
        path.write_bytes(pcap_of(variant))
        before = list(lane_count)
        assert_same_with_and_without_lane(path)
        counts[name] = [a - b for a, b in zip(lane_count, before, strict=True)]
    assert counts["both FINs"][1] == counts["first FIN"][1]  # not the Python lane's
    if COMPILED:
        assert counts["both FINs"][2] - counts["first FIN"][2] == 2
    # with data: the general path (the report, the fingerprints, compiled or not)
    assert counts["closing FIN with data"][2] == counts["first FIN"][2]


def test_a_stream_hands_out_a_closed_connection_before_reading_on() -> None:
    """On a stream (a live capture) the FIN that ends a connection goes the general way,
    compiled walk or not, so the connection comes out before another byte is read: the
    next packet may be long in coming."""
    segs = tcp_segments(tls13().flights)
    head = pcap_of(segs)
    later = pcap_of(tcp_segments(tls12().flights), (41_000, 443))[24:]  # (no file header)

    class LivePipe(io.BytesIO):
        """Gives what has come so far; reading past it means waiting for the network."""

        def read1(self, n: int = -1, /) -> bytes:
            left = len(head) - self.tell()
            if left <= 0:
                raise AssertionError("read on before handing out the closed connection")
            return super().read1(min(n, left) if n >= 0 else left)

        def read(self, n: int | None = -1, /) -> bytes:
            return self.read1(-1 if n is None else n)

    for way in WAYS:
        source = LivePipe(head + later)
        it = iter_connections(source, RunState(), Options(**way))  # type: ignore[arg-type]
        assert next(it).server_name is not None


@pytest.mark.parametrize("make", [tls12, tls13])
def test_an_ended_connections_strays_take_the_lane_and_a_new_syn_does_not(
        make, lane_count: list[int]) -> None:  # type: ignore[no-untyped-def]
    """Once both FINs are in, the connection lingers: its last ACK, a retransmission, a
    reset or a SYN/ACK are dropped on the lane (in Python and compiled), as the
    connection table drops them; a SYN on the same 4-tuple goes the general way and
    opens a new connection. Every variant gives the same report every way."""
    segs = tcp_segments(make().flights)
    client_fin, server_fin = segs[-2], segs[-1]
    assert client_fin.flags & pw.FIN and server_fin.flags & pw.FIN
    last_ack = Seg(0, client_fin.seq + 1, server_fin.seq + 1, pw.ACK)
    data = next(sg for sg in segs if sg.payload)
    variants = {
        "closed": segs,
        "closed, last ACK": [*segs, last_ack],
        "closed, strays": [*segs, last_ack, data, data._replace(flags=pw.RST),
                           segs[1]],
        "closed, new SYN": [*segs, Seg(0, 900_000, 0, pw.SYN)],
    }
    counts = _lane_counts(variants, lane_count)
    _assert_lane_took_the_packet(counts, "closed, last ACK", "closed")
    assert counts["closed, strays"][1] - counts["closed"][1] == 4 * 2
    if COMPILED:
        assert counts["closed, strays"][2] - counts["closed"][2] == 4 * 2
    assert counts["closed, new SYN"] == counts["closed"]
    for name, tcp in (("closed, strays", 1), ("closed, new SYN", 2)):
        stats = analyze(io.BytesIO(pcap_of(variants[name]))).stats
        assert stats["tcp_connections"] == tcp, name


def test_a_stray_after_the_linger_goes_the_general_way(lane_count: list[int]) -> None:
    """When the table forgets an ended connection (CLOSED_LINGER_NS after it closed, at
    the next sweep), the lane forgets it too: a later stray on its 4-tuple is a new,
    midstream connection, as without the lane."""
    segs = tcp_segments(tls13().flights)
    frames = [(pw.BASE_TS_NS + i * 1_000_000, frame_of(sg)) for i, sg in enumerate(segs)]
    later = frames[-1][0] + CLOSED_LINGER_NS + 1_000_000_000
    other = Seg(0, 7_000, 0, pw.SYN)  # another connection's packet: the sweep is due
    stray = Seg(0, segs[-2].seq + 1, segs[-1].seq + 1, pw.ACK)
    capture = pw.pcap_bytes([*frames, (later, frame_of(other, (41_000, 443))),
                             (later + 1, frame_of(stray))])
    assert_same_with_and_without_lane(capture)
    assert analyze(io.BytesIO(capture)).stats["tcp_connections"] == 3
    assert lane_count[0] > 0


def test_ipv6_connection(lane_count: list[int]) -> None:
    segs = tcp_segments(_with_app_data(tls13().flights, 30_000), mss=1000)
    ips = ("2001:db8::1", "2001:db8::2")
    frames = [pw.eth(ethertype=0x86DD, payload=pw.ipv6(pw.tcp(s.payload, (40000, 443)[s.side], (443, 40000)[s.side],
                                    s.seq, s.ack, s.flags), ips[s.side], ips[1 - s.side]))
              for s in segs]
    capture = pw.pcap_bytes(frames)
    assert_same_with_and_without_lane(capture)
    [conn] = analyze(io.BytesIO(capture)).connections
    assert conn.app_data["server"][1] >= 30_000
    assert lane_count[0] > 40
    if COMPILED:
        assert lane_count[2] > 40


def test_decryption_gets_every_byte_through_the_lane(lane_count: list[int]) -> None:
    """With keys every record is decrypted: the lane hands the session every byte, and
    the report (decryption results included) is the one the general path gives."""
    seed = FIXTURES / "seed" / "seed.pcap"
    keys = (str(FIXTURES / "seed" / "seed.keylog"),)
    assert_same_with_and_without_lane(seed, keylogs=keys)
    assert lane_count[0] > 0
    [conn] = analyze(str(seed), Options(keylogs=keys)).connections
    assert conn.decryption is not None and conn.decryption["status"] == "decrypted"


CORPUS = corpus_captures()


@pytest.mark.skipif(not CORPUS, reason="../shared/corpus not present")
@pytest.mark.parametrize("capture", CORPUS, ids=[p.name for p in CORPUS])
def test_corpus_capture(capture: Path) -> None:
    assert_same_with_and_without_lane(capture)


@pytest.mark.parametrize("seed", range(24))
def test_damaged_capture_gives_the_same_report_every_way(seed: int) -> None:
    """Flipped bytes anywhere (record headers, IP and TCP headers, TLS record headers in
    the skipped part): the compiled walk, the Python lane and the general path still
    agree, and nothing raises."""
    rnd = random.Random(seed)
    segs = tcp_segments(_with_app_data((tls12, tls13)[seed % 2]().flights, 40_000), mss=1400)
    capture = bytearray(pcap_of(segs))
    for _ in range(rnd.choice([1, 3, 10])):
        # mostly past the handshake, where the compiled walk works
        at = rnd.randrange(len(capture) // 3, len(capture))
        capture[at] = rnd.randrange(256)
    assert_same_with_and_without_lane(bytes(capture))


def _pcapng_of(segs: list[Seg], *, byteorder: str = "<", tsresol: int | None = None,
               tsoffset: int | None = None, extra: str = "") -> bytes:
    """The segments as Enhanced Packet Blocks of one Ethernet interface; ``extra`` adds a
    raw-IP interface whose packets interleave, a second section, or simple packets."""
    png = pw.Pcapng(byteorder)
    eth0 = png.interface(1, tsresol=tsresol, tsoffset=tsoffset)
    raw = png.interface(101) if extra == "raw_ip" else None
    base = 1_700_000_000 * 10**9
    half = len(segs) // 2
    for i, s in enumerate(segs):
        if extra == "section" and i == half:
            png.section(">" if byteorder == "<" else "<")
            eth0 = png.interface(1, tsresol=tsresol, tsoffset=tsoffset)
        ts = base + i * 1_000_000
        if extra == "simple" and i % 7 == 3:
            png.simple_packet(frame_of(s))
            continue
        png.packet(frame_of(s), iface=eth0, ts_ns=ts)
        if raw is not None and i % 5 == 0:
            png.packet(pw.ipv4(pw.tcp(b"x" * 20, 5555, 80, 1 + i, 1, pw.ACK)), iface=raw,
                       ts_ns=ts)
    return png.to_bytes()


@pytest.mark.parametrize("byteorder", ["<", ">"])
@pytest.mark.parametrize("tsresol,tsoffset,extra", [
    (None, None, ""), (9, None, ""), (0x94, None, ""), (6, 3600, ""), (None, -7200, ""),
    (None, -(2**40), ""), (None, None, "raw_ip"), (None, None, "section"),
    (None, None, "simple")], ids=["us", "ns", "2^-20", "offset", "negative-offset",
                                   "far-offset", "raw-ip-interface", "two-sections", "simple"])
def test_pcapng_every_way(byteorder: str, tsresol: int | None, tsoffset: int | None,
                          extra: str, lane_count: list[int]) -> None:
    """pcapng: the compiled walk takes the Enhanced Packet Blocks of Ethernet interfaces
    (any byte order, time unit or offset that fits 64 bits) and leaves the rest (other
    link types, simple packets, section changes, an offset of 2^40 s) to Python; the
    report is the same every way."""
    segs = tcp_segments(_with_app_data(tls13().flights, 60_000), mss=1200)
    capture = _pcapng_of(segs, byteorder=byteorder, tsresol=tsresol, tsoffset=tsoffset,
                         extra=extra)
    assert_same_with_and_without_lane(capture)
    [conn] = analyze(io.BytesIO(capture)).connections
    assert conn.app_data["server"][1] >= 60_000
    if COMPILED and tsoffset != -(2**40):
        assert lane_count[2] > 40
    elif COMPILED:
        assert lane_count[2] == 0  # a time offset beyond 62 bits: Python computes it


def test_pcapng_times_beyond_64_bits() -> None:
    """A pcapng time after 2262 (valid up to 9999) does not fit the compiled walk's 64
    bits: a first packet with such a time sets the connection table's sweep clock to it,
    and the packets after it, whatever their time, are judged by Python. Same report
    every way, no error."""
    segs = tcp_segments(_with_app_data(tls12().flights, 20_000), mss=1200)
    png = pw.Pcapng()
    eth0 = png.interface(1, tsresol=9)
    late = 300 * 365 * 86_400 * 10**9  # the year 2270: beyond 2^63 ns
    for i, s in enumerate(segs):
        png.packet(frame_of(s), iface=eth0, ts_ns=late + i if i < 2 else 10**18 + i)
    assert_same_with_and_without_lane(png.to_bytes())


@pytest.mark.parametrize("compiled", [False, True])
def test_an_error_in_the_session_comes_out_as_itself(compiled: bool,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """A bug in the code the lane hands bytes to (here: the session's on_data, raising
    past the handshake) reaches the caller as that exception, whether the Python lane or
    the compiled walk made the call, and the walk's own state stays consistent (it
    writes its working copies back before the error leaves)."""
    from tlslens.pipeline import iter_connections
    from tlslens.tls.session import TlsSession

    real = TlsSession.on_data
    calls = [0]

    def failing(self: TlsSession, side: int, data: bytes, frame: int, ts_ns: int) -> None:
        calls[0] += 1
        if calls[0] == 12:
            raise RuntimeError("planted")
        real(self, side, data, frame, ts_ns)

    monkeypatch.setattr(TlsSession, "on_data", failing)
    records = b"".join(b"\x15\x03\x03\x00\x02" + b"\x01\x00" for _ in range(40))  # alerts
    segs = tcp_segments([*tls12().flights, (1, records)], mss=20)
    with pytest.raises(RuntimeError, match="planted"):
        list(iter_connections(io.BytesIO(pcap_of(segs)), options=Options(compiled_lane=compiled)))


@pytest.mark.skipif(not COMPILED, reason="the compiled walk is not built")
@pytest.mark.parametrize("n", [2, 3])
def test_the_compiled_walk_shards_as_the_pipeline_does(n: int) -> None:
    """The compiled walk drops another shard's packets by the same hash as the pipeline's
    shard test (tlslens.pipeline._shard_index), IPv4 and IPv6; this shard's unknown
    packets come back for the general path."""
    from tlslens.flows._fastscan import Scanner
    from tlslens.flows.table import FlowTable
    from tlslens.pipeline import _shard_index

    tuples, buf = _syn_frames(300, n)
    table = FlowTable(lambda flow: None, lambda flow: None)
    for k in range(n):
        back = _scanned_back(Scanner({}, table, object, print, print, 1 << 30, 1 << 62, k, n),
                             buf)
        assert back == [i for i, t in enumerate(tuples) if _shard_index(*t, n) == k]


def _syn_frames(count: int, seed: int) -> tuple[list[tuple[str, int, str, int]], bytes]:
    """``count`` SYNs of random IPv4 and IPv6 4-tuples, as a pcap."""
    import ipaddress

    rng = random.Random(seed)
    tuples, frames = [], []
    for i in range(count):
        if i % 2:
            src, dst = (str(ipaddress.IPv4Address(rng.getrandbits(32))) for _ in range(2))
        else:
            src, dst = (str(ipaddress.IPv6Address(rng.getrandbits(128))) for _ in range(2))
        tuples.append((src, rng.randrange(1, 65536), dst, rng.randrange(1, 65536)))
    for src, sport, dst, dport in tuples:
        ip = pw.ipv6 if ":" in src else pw.ipv4
        frames.append(pw.eth(ip(pw.tcp(b"", sport, dport, flags=pw.SYN), src=src, dst=dst),
                             0x86DD if ":" in src else 0x0800))
    return tuples, pw.pcap_bytes([(pw.BASE_TS_NS + i, f) for i, f in enumerate(frames)])


def _scanned_back(scanner, buf: bytes) -> list[int]:  # type: ignore[no-untyped-def]
    """Indexes of the frames the compiled walk hands back (this worker's, unknown)."""
    pos, idx, ts, back = 24, 0, pw.BASE_TS_NS, []
    while True:
        pos, idx, ts, data, _orig = scanner.scan(buf, pos, idx, ts, True, False, 16)
        if data is None:
            return back
        back.append(idx - 1)


@pytest.mark.skipif(not COMPILED, reason="the compiled walk is not built")
def test_the_compiled_walk_takes_a_claim_and_keeps_it() -> None:
    """With a claim table, the first worker to meet a 4-tuple's slot takes it; a later
    worker drops its packets; the Python test (tlslens.flows.lane.claim, by the same
    hash of either direction) agrees with the walk."""
    import mmap

    from tlslens.flows._fastscan import Scanner
    from tlslens.flows.lane import claim
    from tlslens.flows.table import FlowTable
    from tlslens.pipeline import _endpoints_crc

    tuples, buf = _syn_frames(200, 7)
    table = FlowTable(lambda flow: None, lambda flow: None)
    claims = mmap.mmap(-1, 1 << 16)
    # worker 1 takes a third of them first, from Python, some in the reverse direction
    taken = {i for i in range(0, 200, 3)}
    for i in sorted(taken):
        src, sport, dst, dport = tuples[i]
        crc = (_endpoints_crc(src, sport, dst, dport) if i % 2 else
               _endpoints_crc(dst, dport, src, sport))
        assert claim(claims, crc, 1) is True
    first = Scanner({}, table, object, print, print, 1 << 30, 1 << 62, 0, 2, claims)
    slots = {_endpoints_crc(*t) & 0xFFFF for t in tuples}
    assert len(slots) == 200  # no two share a slot, so the split below is exact
    assert _scanned_back(first, buf) == [i for i in range(200) if i not in taken]
    again = Scanner({}, table, object, print, print, 1 << 30, 1 << 62, 0, 2, claims)
    assert _scanned_back(again, buf) == [i for i in range(200) if i not in taken]
    second = Scanner({}, table, object, print, print, 1 << 30, 1 << 62, 1, 2, claims)
    assert _scanned_back(second, buf) == sorted(taken)
    for i, t in enumerate(tuples):
        assert claim(claims, _endpoints_crc(*t), 0) is (i not in taken)
        assert claim(claims, _endpoints_crc(*t), 1) is (i in taken)


@pytest.mark.skipif(not COMPILED, reason="the compiled walk is not built")
def test_a_claim_table_must_fit() -> None:
    """A table whose size is not a power of two, a worker number a byte cannot hold, or
    memory that cannot be written: a clear error, never a write out of bounds."""
    import mmap

    from tlslens.flows._fastscan import Scanner
    from tlslens.flows.lane import claim
    from tlslens.flows.table import FlowTable

    table = FlowTable(lambda flow: None, lambda flow: None)
    with pytest.raises(ValueError, match="power of two"):
        claim(mmap.mmap(-1, 1000), 5, 0)
    with pytest.raises(ValueError, match="0..254"):
        claim(mmap.mmap(-1, 1024), 5, 255)
    with pytest.raises((TypeError, BufferError)):
        claim(bytes(1024), 5, 0)
    with pytest.raises(ValueError, match="power of two"):
        Scanner({}, table, object, print, print, 1, 1, 0, 2, bytearray(3))
    assert claim(bytearray(1), 0xFFFFFFFF, 254) is True  # one slot: every crc is slot 0
    assert claim(bytearray(1), 5, 0) is True


@pytest.mark.skipif(not COMPILED, reason="the compiled walk is not built")
def test_the_compiled_walk_takes_a_callable_close_or_none() -> None:
    from tlslens.flows._fastscan import Scanner
    from tlslens.flows.table import FlowTable

    table = FlowTable(lambda flow: None, lambda flow: None)
    with pytest.raises(TypeError, match="close must be callable"):
        Scanner({}, table, object, print, print, 1, 1, close=5)
    for close in (None, table.close):  # None: the closing FIN is always Python's
        scanner = Scanner({}, table, object, print, print, 1, 1, close=close)
        assert scanner.scan(pw.pcap_bytes([]), 24, 0, 0, True, False, 16, True) == \
            (24, 0, 0, None, 0)
