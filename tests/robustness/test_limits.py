"""Resource limits: hostile streams cost bounded memory and time, and say so.

Each limit is a module constant (configurable by assignment), and hitting it leaves a
named anomaly: ``tls.hs.too_long`` (a handshake message longer than
``handshake.MAX_HANDSHAKE_LENGTH``), ``limit.reached`` (more than
``session.MAX_MESSAGES`` messages, or more than ``anomalies.MAX_ANOMALIES`` anomalies, on
one connection), ``tcp.buffer_limit`` (more than ``reassembly.MAX_BUFFERED`` bytes or
``reassembly.MAX_PENDING_SEGMENTS`` segments out of order). Memory follows open
connections, not the file: a capture ten times longer peaks at the same memory.
"""

from __future__ import annotations

import gc
import io
import random
import time
import tracemalloc
from collections.abc import Callable

import pytest

import tlslens.capture.reader as capture_reader
from tests import pcapwriter as pw
from tests.robustness.harness import check_api, time_limit
from tests.tlsbytes import Seg, frame_of, pcap_of, tcp_segments, tls12
from tlslens.analysis.model import AnalysisResult
from tlslens.anomalies import MAX_ANOMALIES
from tlslens.flows import reassembly
from tlslens.pipeline import iter_connections
from tlslens.tls.session import MAX_MESSAGES


def record(ctype: int, body: bytes) -> bytes:
    return bytes([ctype, 3, 3]) + len(body).to_bytes(2, "big") + body


def client_stream_capture(stream: bytes, mss: int = 1460) -> bytes:
    """A TCP connection in which the client sends ``stream``; the server only ACKs."""
    return pcap_of(tcp_segments([(0, stream)], mss=mss))


def measured(data: bytes, what: str, seconds: float = 20) -> tuple[AnalysisResult, int, float]:
    """(result, peak traced bytes, seconds) of analysing ``data`` (held before tracing)."""
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with time_limit(seconds, what):
            result = check_api(data, what)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert result is not None
    return result, peak, time.perf_counter() - start


def ids(result: AnalysisResult) -> set[str]:
    return {a.id for c in result.connections for a in c.anomalies}


def test_client_hello_claiming_16_mb() -> None:
    """A ClientHello header claiming 0xffffff bytes, then 12 MB of handshake records: the
    claim is refused at once, nothing is buffered for it (the peak is the reader's 1 MiB
    chunks, far below the stream)."""
    head = record(22, b"\x01\xff\xff\xff" + bytes(16000))
    stream = head + record(22, bytes(16000)) * 768
    result, peak, _ = measured(client_stream_capture(stream, mss=16384), "16 MB claim")
    assert "tls.hs.too_long" in ids(result)
    assert peak < 6 * 1024 * 1024


def test_client_hello_just_under_the_limit_of_zeros() -> None:
    """Regression: a 1 MiB - 1 ClientHello of zero bytes, then 3 MB more of zeros, was
    parsed as four million empty hello_requests, each with an anomaly (78 s, 630 MB).
    Now the connection stops parsing handshakes after MAX_MESSAGES messages."""
    stream = b"".join(record(22, (b"\x01\x0f\xff\xff" if i == 0 else b"") + bytes(16000))
                      for i in range(256))
    result = check_api(client_stream_capture(stream, mss=16384), "1 MiB of zeros")
    assert result is not None
    conn = result.connections[0]
    assert "limit.reached" in ids(result)
    assert len(conn.messages) <= MAX_MESSAGES + 1
    assert len(conn.anomalies) <= MAX_ANOMALIES + 1


@pytest.mark.parametrize("kind", ["alert", "change_cipher_spec", "hello_request",
                                  "handshake_byte", "application_data"])
def test_100000_tiny_records(kind: str) -> None:
    """100,000 records of one or two bytes each after a real ClientHello: what is kept
    per connection stays under its limit (memory is traced in the tests above: tracing
    100,000 records' allocations would take longer than analysing them, 0.2 s)."""
    hello = record(22, tls12().message(1, "client"))
    tiny: dict[str, Callable[[int], bytes]] = {
        "alert": lambda i: record(21, b"\x01\x00"),
        "change_cipher_spec": lambda i: record(20, b"\x01"),
        "hello_request": lambda i: record(22, b"\x00\x00\x00\x00"),
        "handshake_byte": lambda i: record(22, b"\x00"),  # one message, one byte a record
        "application_data": lambda i: record(23, bytes([i & 0xFF])),
    }
    stream = hello + b"".join(tiny[kind](i) for i in range(100_000))
    result = check_api(client_stream_capture(stream), f"100k {kind} records")
    assert result is not None
    (conn,) = result.connections
    assert len(conn.messages) <= MAX_MESSAGES + 1
    assert len(conn.alerts) <= MAX_MESSAGES
    assert len(conn.anomalies) <= MAX_ANOMALIES + 1
    if kind in ("alert", "change_cipher_spec", "hello_request"):
        assert "limit.reached" in ids(result)
    if kind == "application_data":
        assert conn.app_data["client"] == (100_000, 100_000)


def test_a_million_out_of_order_segments() -> None:
    """A million one-byte segments in random order into one direction: the buffer never
    holds more than MAX_PENDING_SEGMENTS, the limit is named, the time is linear."""
    anomalies: list[str] = []
    delivered = [0]
    r = reassembly.DirectionReassembler(lambda o, d, f, t: delivered.__setitem__(
        0, delivered[0] + len(d)), lambda o, n, f, t: None, lambda i, d, f: anomalies.append(i))
    r.syn(999)
    order = list(range(1_000_000))
    random.Random(7).shuffle(order)
    most = 0
    with time_limit(20, "a million segments"):
        for i, k in enumerate(order):
            r.segment(1000 + k, b"x", i, 0)
            if not i % 997:
                most = max(most, len(r.pending))
        r.flush(len(order), 0)
    assert most <= reassembly.MAX_PENDING_SEGMENTS
    assert "tcp.buffer_limit" in anomalies
    assert not r.pending and 0 < delivered[0] <= 1_000_000


def test_out_of_order_flood_through_the_pipeline() -> None:
    """30,000 one-byte segments of a record stream, sent last byte first."""
    stream = record(22, tls12().message(1, "client")) + record(23, bytes(16)) * 1200
    segs = tcp_segments([(0, stream)], mss=1)
    data_segs = [s for s in segs if s.payload]
    assert len(data_segs) > 2 * reassembly.MAX_PENDING_SEGMENTS
    head = segs[:3]
    reordered = head + data_segs[::-1] + [s for s in segs[3:] if not s.payload]
    result, peak, _ = measured(pcap_of(reordered), "reversed segments")
    assert "tcp.buffer_limit" in ids(result)
    assert peak < 24 * 1024 * 1024


def _connections_capture(n: int) -> bytes:
    """``n`` real TLS 1.2 connections one after another, 5 s apart (capture time)."""
    segs: list[Seg] = tcp_segments(tls12().flights)
    return pw.pcap_bytes(
        (pw.BASE_TS_NS + i * 5_000_000_000 + j * 1000, frame_of(s, (10000 + i, 443)))
        for i in range(n) for j, s in enumerate(segs))


def live_memory_while_streaming(data: bytes, every: int = 20) -> tuple[int, int]:
    """(connections, most live traced bytes) while streaming ``data``; measured after a
    full collection every ``every`` connections, which also empties CPython's free lists
    (they hold freed tuples and dicts: bounded, but they would blur the comparison)."""
    gc.collect()
    tracemalloc.start()
    most = count = 0
    try:
        for _ in iter_connections(io.BytesIO(data)):
            count += 1
            if count % every == 0:
                gc.collect()
                most = max(most, tracemalloc.get_traced_memory()[0])
    finally:
        tracemalloc.stop()
    return count, most


def test_memory_is_flat_on_a_capture_ten_times_longer(monkeypatch: pytest.MonkeyPatch) -> None:
    """Live memory while streaming 40 and 400 connections (read in 64 KiB chunks, so the
    read buffer is the same for both) differs by less than 60% (the entries of ended
    connections linger up to two sweeps, 240 s of capture time: a few dozen flows in
    both runs; without the fix the ratio was 3.5 and grew with the file). Regression: ended
    connections lingering in the flow table kept their sessions and reassemblers (a
    reference cycle), and only a sweep every 50,000 segments dropped them."""
    monkeypatch.setattr(capture_reader, "CHUNK_SIZE", 1 << 16)
    small, large = _connections_capture(40), _connections_capture(400)
    with time_limit(60, "memory"):
        live_memory_while_streaming(small)  # imports and caches settle first
        (n1, m1), (n2, m2) = live_memory_while_streaming(small), live_memory_while_streaming(large)
    assert (n1, n2) == (40, 400)
    assert m2 < m1 * 1.6, (m1, m2)
