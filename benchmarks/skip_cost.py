#!/usr/bin/env python3
"""What a packet of a connection whose handshake has ended costs, against a bare walk.

    skip_cost.py CAPTURE.pcap [--repeat R]

Issue 9 asks that such a packet cost "little more than skipping its bytes". Two numbers,
per packet, best of R runs:

- bare walk: a plain Python loop over the pcap records that unpacks the record header and
  the Ethernet/IPv4/TCP headers with ``struct`` and does nothing else (the floor for any
  Python reader of the file);
- fast lane: the time tlslens spends in ``FastLane.take`` on the packets it takes of
  connections past their handshake (data and pure ACKs), measured around each call with
  ``perf_counter_ns``; the timer's own cost, measured on an empty call, is subtracted.

Also printed: how many packets the lane took, and the whole analysis for scale.
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


def lane_cost(path: Path) -> tuple[int, int, float, float]:
    """(packets, taken, seconds inside take for taken packets, whole run seconds)."""
    from tlslens.flows.lane import FastLane
    from tlslens.pipeline import iter_connections

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
        for _ in iter_connections(str(path), run):
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
    lane = min((lane_cost(args.capture) for _ in range(args.repeat)), key=lambda r: r[2])
    packets, taken, lane_s, whole = lane
    bare_us = bare[1] / bare[0] * 1e6
    lane_us = lane_s / taken * 1e6 if taken else float("nan")
    print(f"capture: {args.capture} ({packets} packets), best of {args.repeat}")
    print(f"bare walk (records + Ethernet/IPv4/TCP headers): {bare[1]:.2f} s, "
          f"{bare_us:.2f} us/packet")
    print(f"fast lane, connections past their handshake: {taken} packets "
          f"({taken / packets:.0%}), "
          f"{lane_s:.2f} s inside take, {lane_us:.2f} us/packet "
          f"(+ the record loop it shares with the bare walk)")
    print(f"whole analysis (iter_connections, timed take): {whole:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
