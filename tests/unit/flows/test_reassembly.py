"""One direction's TCP reassembly (flows/reassembly.py) on the bytes of a real TLS flight.

The payload is the server's first TLS 1.2 flight recorded between two OpenSSL endpoints
(tests/tlsbytes.py); segments are cut from it the way a capture would show them.
"""

from __future__ import annotations

import random

import pytest

from tests.tlsbytes import tls12
from tlslens.flows import reassembly
from tlslens.flows.reassembly import DirectionReassembler


class Sink:
    """Collects what a reassembler hands out."""

    def __init__(self) -> None:
        self.chunks: list[tuple[int, bytes, int]] = []
        self.gaps: list[tuple[int, int]] = []
        self.anomalies: list[tuple[str, str, int]] = []
        self.r = DirectionReassembler(self.data, self.gap, self.anomaly)

    def data(self, off: int, data: bytes, frame: int, ts: int) -> None:
        self.chunks.append((off, bytes(data), frame))

    def gap(self, off: int, length: int, frame: int, ts: int) -> None:
        self.gaps.append((off, length))

    def anomaly(self, aid: str, detail: str, frame: int) -> None:
        self.anomalies.append((aid, detail, frame))

    @property
    def bytes(self) -> bytes:
        out = b""
        for off, data, _ in self.chunks:
            assert off == len(out), "chunks must be contiguous"
            out += data
        return out

    @property
    def ids(self) -> list[str]:
        return [a for a, _, _ in self.anomalies]


def payload() -> bytes:
    return tls12().stream(1)


def cut(data: bytes, size: int, seq: int) -> list[tuple[int, bytes]]:
    return [((seq + i) & 0xFFFFFFFF, data[i:i + size]) for i in range(0, len(data), size)]


def feed(sink: Sink, segs: list[tuple[int, bytes]], isn: int | None = 999) -> None:
    if isn is not None:
        sink.r.syn(isn)
    for frame, (seq, data) in enumerate(segs, 1):
        sink.r.segment(seq, data, frame, frame)
    sink.r.flush(len(segs), len(segs))


def test_in_order() -> None:
    s = Sink()
    feed(s, cut(payload(), 100, 1000))
    assert s.bytes == payload() and not s.gaps and not s.anomalies


def test_out_of_order_any_permutation() -> None:
    segs = cut(payload(), 97, 1000)
    for seed in range(5):
        random.Random(seed).shuffle(segs)
        s = Sink()
        feed(s, segs)
        assert s.bytes == payload() and not s.gaps and not s.anomalies


def test_duplicates_are_ignored() -> None:
    segs = cut(payload(), 100, 1000)
    s = Sink()
    feed(s, [x for seg in segs for x in (seg, seg)])
    assert s.bytes == payload() and not s.anomalies


def test_partial_overlap_same_bytes_is_silent() -> None:
    data = payload()
    # Retransmissions re-cut at other boundaries: [0,300) [200,700) [650,end)
    segs = [(1000, data[:300]), (1200, data[200:700]), (1650, data[650:])]
    s = Sink()
    feed(s, segs)
    assert s.bytes == data and not s.anomalies


def test_partial_overlap_different_bytes() -> None:
    data = payload()
    forged = bytes(b ^ 0xFF for b in data[200:300])
    segs = [(1000, data[:300]), (1200, forged + data[300:700]), (1700, data[700:])]
    s = Sink()
    feed(s, segs)
    assert s.bytes == data  # the first copy wins
    assert s.ids == ["tcp.overlap_mismatch"]
    assert "100 retransmitted bytes at stream offset 200" in s.anomalies[0][1]


def test_two_buffered_copies_differ() -> None:
    data = payload()
    forged = bytes(b ^ 1 for b in data[500:600])
    segs = [(1500, data[500:600]), (1500, forged), (1000, data[:500]), (1600, data[600:])]
    s = Sink()
    feed(s, segs)
    assert s.bytes == data
    assert s.ids == ["tcp.overlap_mismatch"]
    assert s.anomalies[0][2] == 2  # the frame of the differing copy


def test_overlap_between_buffered_segments_is_compared() -> None:
    data = payload()
    forged = bytes(b ^ 1 for b in data[550:650])
    segs = [(1500, data[500:600]), (1550, forged + data[650:700]), (1000, data[:500]),
            (1700, data[700:])]
    s = Sink()
    feed(s, segs)
    # bytes 550-600 had a first copy (kept); 600-650 exist only in the forged segment
    assert s.bytes == data[:600] + forged[50:] + data[650:]
    assert s.ids == ["tcp.overlap_mismatch"]
    assert "50 retransmitted bytes at stream offset 550" in s.anomalies[0][1]


def test_missing_segment_is_a_gap_at_flush() -> None:
    data = payload()
    segs = [x for x in cut(data, 100, 1000) if x[0] != 1300]
    s = Sink()
    feed(s, segs)
    assert s.gaps == [(300, 100)]
    got = b"".join(d for _, d, _ in s.chunks)
    assert got == data[:300] + data[400:]


def test_peer_ack_past_the_hole_declares_it_lost() -> None:
    data = payload()
    s = Sink()
    s.r.syn(999)
    s.r.segment(1000, data[:100], 1, 1)
    s.r.segment(1200, data[200:300], 2, 2)
    s.r.acked(1150, 3, 3)  # inside the hole: wait until the ack reaches buffered data
    assert not s.gaps
    s.r.acked(1250, 4, 4)  # the peer has bytes we never saw
    assert s.gaps == [(100, 100)]
    assert b"".join(d for _, d, _ in s.chunks) == data[:100] + data[200:300]


def test_ack_before_the_hole_changes_nothing() -> None:
    s = Sink()
    s.r.syn(999)
    s.r.segment(1000, b"a" * 100, 1, 1)
    s.r.segment(1200, b"c" * 100, 2, 2)
    s.r.acked(1100, 3, 3)
    assert not s.gaps and s.r.pending


@pytest.mark.parametrize("isn", [0xFFFFFFFF - 300, 0xFFFFFFFF, 0xFFFFFFFE - 1459])
def test_sequence_wraparound(isn: int) -> None:
    data = payload() * 3
    segs = cut(data, 100, (isn + 1) & 0xFFFFFFFF)
    random.Random(1).shuffle(segs)
    s = Sink()
    feed(s, segs, isn=isn)
    assert s.bytes == data and not s.gaps and not s.anomalies


def test_stream_longer_than_4_gib_of_sequence_space() -> None:
    """Offsets are 64-bit: a stream that wraps the 32-bit space twice keeps counting."""
    s = Sink()
    s.r.compare = False
    s.r.syn(0xFFFFFF00)
    block = b"x" * 65536
    seq = 0xFFFFFF01
    total = 0
    for frame in range(1, 2 * 65536 + 200):  # 2^33 + bytes in 64 KiB steps
        s.r.segment(seq, block, frame, 0)
        seq = (seq + len(block)) & 0xFFFFFFFF
        total += len(block)
        s.chunks.clear()  # keep memory flat
    assert s.r.next == total > 1 << 33
    assert not s.gaps and not s.anomalies


def test_midstream_start_without_syn() -> None:
    data = payload()
    s = Sink()
    feed(s, cut(data, 100, 123456), isn=None)
    assert s.bytes == data


def test_midstream_first_segment_late_then_earlier_retransmission() -> None:
    """Without a SYN the first segment seen is offset 0; an older copy is a retransmission."""
    data = payload()
    s = Sink()
    s.r.segment(5100, data[100:200], 1, 1)
    s.r.segment(5000, data[:200], 2, 2)
    s.r.segment(5200, data[200:300], 3, 3)
    assert b"".join(d for _, d, _ in s.chunks) == data[100:300]
    assert not s.anomalies


def test_syn_then_far_away_data_restarts_the_stream() -> None:
    """Several SYN/ACKs with different ISNs: data far from the SYN's ISN re-anchors."""
    data = payload()
    s = Sink()
    feed(s, cut(data, 100, 777_000_000), isn=5000)
    assert s.bytes == data and not s.gaps


def test_second_syn_before_data_moves_the_isn() -> None:
    data = payload()
    s = Sink()
    s.r.syn(1_000_000)
    s.r.syn(2000)
    for frame, (seq, d) in enumerate(cut(data, 100, 2001), 1):
        s.r.segment(seq, d, frame, 0)
    assert s.bytes == data


def test_buffer_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Past MAX_BUFFERED out-of-order bytes the hole is declared lost (real 4 MiB here)."""
    assert reassembly.MAX_BUFFERED == 4 * 1024 * 1024
    s = Sink()
    s.r.syn(999)
    chunk = bytes(range(256)) * 4
    seq = 1000 + 1024  # the first KiB never arrives
    frames = 0
    while not s.gaps:
        frames += 1
        s.r.segment(seq & 0xFFFFFFFF, chunk, frames, 0)
        seq += len(chunk)
        assert frames < 5000
    assert s.ids == ["tcp.buffer_limit"]
    assert s.gaps == [(0, 1024)]
    assert sum(len(d) for _, d, _ in s.chunks) == frames * 1024
    assert not s.r.pending and s.r.pending_bytes == 0


def test_retained_bytes_are_bounded() -> None:
    s = Sink()
    s.r.syn(0)
    for i in range(100):
        s.r.segment(1 + i * 1000, bytes([i]) * 1000, i, 0)
    assert len(s.r.retained) == reassembly.RETAIN
    # a retransmission older than what is retained cannot be compared: silently ignored
    s.r.segment(1, b"\xff" * 1000, 101, 0)
    assert not s.anomalies
