#!/usr/bin/env python3
"""What a packet of a connection whose handshake has ended costs, against a bare walk.

    skip_cost.py CAPTURE.pcap [--repeat R]

Issue 9 asks that such a packet cost "little more than skipping its bytes". Numbers per
packet, best of R runs:

- bare walk: a plain Python loop over the pcap records that unpacks the record header and
  the Ethernet/IPv4/TCP headers with ``struct`` and does nothing else (the floor for any
  Python reader of the file);
- compiled walk (when tlslens.flows._fastscan is built): the time inside its ``scan``
  (pcap) or ``scan_blocks`` (pcapng) calls, less the time in the Python they call
  (``FastLane.deliver``: the session parsing handshake bytes; ``FastLane.synack``; and
  ``FlowTable.close``: the end of a connection whose closing FIN the walk took, with its
  building, judging and rendering), per record it consumed without returning to the
  Python loop.
  That is the record walk itself plus the lane's work, for every such record: packets
  past the handshake, the handshake's plain packets, other shards' packets;
- Python lane (``Options(compiled_lane=False)``): the time in ``FastLane.take`` on the
  packets it takes of connections past their handshake (data and pure ACKs), measured
  around each call with ``perf_counter_ns``, the timer's own cost subtracted; on top of
  the record loop it shares with the bare walk.

Also printed: how many packets each took, and the whole analysis for scale.
"""

from __future__ import annotations

import argparse
import struct
import sys
import time
from pathlib import Path

HEADERS = struct.Struct("!12xHBxH2xHxB2x4s4sHHIIH")


def bare_walk(path: Path) -> tuple[int, float]:
    """Records and Ethernet/IPv4/TCP headers only; (packets, seconds)."""
    t0 = time.perf_counter()
    data = path.read_bytes()
    order = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    rec = struct.Struct(order + "IIII").unpack_from
    unpack = HEADERS.unpack_from
    pos, end, n, tcp = 24, len(data), 0, 0
    while pos + 16 <= end:
        _sec, _frac, incl, _orig = rec(data, pos)
        frame = data[pos + 16:pos + 16 + incl]
        if len(frame) >= 54:
            fields = unpack(frame)
            tcp += fields[4] == 6
        pos += 16 + incl
        n += 1
    return n, time.perf_counter() - t0


def compiled_cost(path: Path) -> tuple[int, int, float, float] | None:
    """(packets, records consumed in C, seconds in C for them, whole run seconds), or
    None when the compiled walk is not built."""
    from tlslens.flows.lane import COMPILED, FastLane
    from tlslens.pipeline import RunState, iter_connections

    if not COMPILED:
        return None
    from tlslens.flows.table import FlowTable

    real_walker, real_deliver = FastLane.walker, FastLane.deliver
    real_synack, real_close = FastLane.synack, FlowTable.close
    # the staticmethods, to put back as they were
    deliver_attr, synack_attr = FastLane.__dict__["deliver"], FastLane.__dict__["synack"]
    clock = time.perf_counter_ns
    spent = [0, 0, 0]  # ns in scan, ns in the Python it calls, records consumed in C

    def deliver(flow: object, side: int, payload: bytes, frame: int, ts_ns: int) -> None:
        a = clock()
        real_deliver(flow, side, payload, frame, ts_ns)  # type: ignore[arg-type]
        spent[1] += clock() - a

    def synack(flow: object, side: int, seq: int) -> None:
        a = clock()
        real_synack(flow, side, seq)  # type: ignore[arg-type]
        spent[1] += clock() - a

    def close(table: FlowTable, flow: object, ts_ns: int) -> None:
        # (the connection's end: building, judging and rendering it, not the walk's work)
        a = clock()
        real_close(table, flow, ts_ns)  # type: ignore[arg-type]
        spent[1] += clock() - a

    class Timed:
        """The compiled walk, timed around each call."""

        def __init__(self, walker: object) -> None:
            self.walker = walker

        def scan(self, buf: bytes, pos: int, idx: int, *args: object) -> tuple[object, ...]:
            a = clock()
            out = self.walker.scan(buf, pos, idx, *args)  # type: ignore[attr-defined]
            spent[0] += clock() - a
            spent[2] += out[1] - idx - (out[3] is not None)
            return out  # type: ignore[no-any-return]

        def scan_blocks(self, buf: bytes, pos: int, idx: int, *args: object
                        ) -> tuple[object, ...]:
            a = clock()
            out = self.walker.scan_blocks(buf, pos, idx, *args)  # type: ignore[attr-defined]
            spent[0] += clock() - a
            spent[2] += out[1] - idx
            return out  # type: ignore[no-any-return]

    def walker(self: FastLane) -> object:
        real = real_walker(self)
        return None if real is None else Timed(real)

    FastLane.walker = walker  # type: ignore[method-assign,assignment]
    FastLane.deliver = staticmethod(deliver)  # type: ignore[method-assign,assignment]
    FastLane.synack = staticmethod(synack)  # type: ignore[method-assign,assignment]
    FlowTable.close = close  # type: ignore[method-assign,assignment]
    try:
        run = RunState()
        t0 = time.perf_counter()
        for _ in iter_connections(str(path), run):
            pass
        whole = time.perf_counter() - t0
    finally:
        FastLane.walker = real_walker  # type: ignore[method-assign]
        FastLane.deliver = deliver_attr  # type: ignore[method-assign]
        FastLane.synack = synack_attr  # type: ignore[method-assign]
        FlowTable.close = real_close  # type: ignore[method-assign]
    packets = run.summary.packets if run.summary else 0
    return packets, spent[2], max(0, spent[0] - spent[1]) / 1e9, whole


def lane_cost(path: Path) -> tuple[int, int, float, float]:
    """(packets, taken, seconds inside take for taken packets, whole run seconds), with
    the compiled walk off (the Python lane takes the packets)."""
    from tlslens.flows.lane import FastLane
    from tlslens.pipeline import Options, iter_connections

    real = FastLane.take
    clock = time.perf_counter_ns
    spent = [0, 0]  # ns, taken

    def noop(self: FastLane, data: bytes, frame: int, ts_ns: int) -> bool:
        return False

    # the timer's own cost around one call
    fake = object.__new__(FastLane)
    t0 = clock()
    for _ in range(200_000):
        a = clock()
        noop(fake, b"", 0, 0)
        _ = clock() - a
    overhead = (clock() - t0) / 200_000

    def timed(self: FastLane, data: bytes, frame: int, ts_ns: int) -> bool:
        # Only packets of connections past their handshake count (the lane also takes
        # the plain packets of handshakes, whose bytes the session parses in full).
        key = data[26:38] if data[12:14] == b"\x08\x00" else data[22:58]
        hit = self.entries.get(key)
        past = hit is not None and hit[0] is not None and (
            hit[2] or getattr(hit[0].consumer, "handshake_done", False))
        a = clock()
        ok = real(self, data, frame, ts_ns)
        if ok and past:
            spent[0] += clock() - a
            spent[1] += 1
        return ok

    FastLane.take = timed  # type: ignore[method-assign]
    try:
        from tlslens.pipeline import RunState

        run = RunState()
        t0 = time.perf_counter()
        for _ in iter_connections(str(path), run, Options(compiled_lane=False)):
            pass
        whole = time.perf_counter() - t0
    finally:
        FastLane.take = real  # type: ignore[method-assign]
    packets = run.summary.packets if run.summary else 0
    lane_s = max(0.0, spent[0] - spent[1] * overhead) / 1e9
    return packets, spent[1], lane_s, whole


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("capture", type=Path)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args(argv)
    if not args.capture.is_file():
        p.error(f"{args.capture}: no such file")
    bare = min((bare_walk(args.capture) for _ in range(args.repeat)), key=lambda r: r[1])
    compiled = [compiled_cost(args.capture) for _ in range(args.repeat)]
    lane = min((lane_cost(args.capture) for _ in range(args.repeat)), key=lambda r: r[2])
    packets, taken, lane_s, whole = lane
    bare_us = bare[1] / bare[0] * 1e6
    lane_us = lane_s / taken * 1e6 if taken else float("nan")
    print(f"capture: {args.capture} ({packets} packets), best of {args.repeat}")
    print(f"bare walk (records + Ethernet/IPv4/TCP headers): {bare[1]:.2f} s, "
          f"{bare_us:.2f} us/packet")
    best = min((c for c in compiled if c is not None), key=lambda r: r[2], default=None)
    if best is None:
        print("compiled walk: not built (pure Python install)")
    else:
        n, in_c, c_s, c_whole = best
        print(f"compiled walk: {in_c} records ({in_c / n:.0%}) consumed in C, {c_s:.2f} s, "
              f"{c_s / in_c * 1e6 if in_c else float('nan'):.2f} us/record, the walk "
              f"included; whole analysis {c_whole:.2f} s")
    print(f"fast lane, connections past their handshake: {taken} packets "
          f"({taken / packets:.0%}), "
          f"{lane_s:.2f} s inside take, {lane_us:.2f} us/packet "
          f"(+ the record loop it shares with the bare walk)")
    print(f"whole analysis with the Python lane (timed take): {whole:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
