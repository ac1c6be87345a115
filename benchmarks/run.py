#!/usr/bin/env python3
"""Time tlslens against tshark on the same capture, in the same run.

    run.py CAPTURE [--repeat R] [--json] [--tools tlslens,tshark]
    run.py --scale-check CAPTURE_SMALL CAPTURE_10X [--repeat R] [--json]

Each tool runs as a child process, R times (default 3). Wall time is the best (lowest) of
the R runs: the least disturbed by the rest of the machine. Peak RSS is the highest of the
R runs, read from ``os.wait4`` on that child's pid: the kernel's ``ru_maxrss`` for exactly
that process (and any children it waited for), in KiB. ``getrusage(RUSAGE_CHILDREN)``
cannot be used: it is a running maximum over all children ever reaped, so a small run
after a large one would inherit the large one's peak.

MB is 10**6 bytes of capture file; MiB is 2**20 bytes of memory.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import BinaryIO

TSHARK_FILTER = "tls.handshake.type==1 || tls.handshake.type==2 || tls.handshake.type==11"
TSHARK_FIELDS = ("frame.number", "tcp.stream", "tls.handshake.type", "tls.handshake.ciphersuite",
                 "tls.handshake.extensions_server_name", "tls.handshake.extension.type",
                 "x509sat.uTF8String")


def tshark_cmd(capture: Path) -> list[str]:
    """Handshake fields of every ClientHello, ServerHello and Certificate; -n: no lookups."""
    cmd = ["tshark", "-n", "-r", str(capture), "-o", "tcp.desegment_tcp_streams:TRUE",
           "-T", "fields", "-Y", TSHARK_FILTER]
    for field in TSHARK_FIELDS:
        cmd += ["-e", field]
    return cmd


def tlslens_cmd(capture: Path, base: str) -> list[str]:
    return [*shlex.split(base), "analyze", str(capture), "--format", "json", "-o", os.devnull]


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    peak_rss_kib: int
    exit_code: int
    output_lines: int
    error: str


def run_once(cmd: list[str]) -> Run:
    """Run ``cmd`` with stdout/stderr to temp files (no pipe a child could block on)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        try:
            proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)
        except OSError as exc:
            return Run(0.0, 0, 127, 0, str(exc))
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)  # already reaped
        out.seek(0)
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: out.read(1 << 20), b""))
        err.seek(0)
        tail = err.read()[-2000:].decode(errors="replace").strip()
    return Run(seconds, usage.ru_maxrss, code, lines, tail if code else "")


@dataclass(frozen=True, slots=True)
class Result:
    tool: str
    command: str
    ok: bool
    seconds: float | None
    packets_per_s: float | None
    mb_per_s: float | None
    peak_rss_mib: float | None
    output_lines: int
    error: str


def measure(tool: str, cmd: list[str], repeat: int, packets: int, size: int) -> Result:
    """Best wall time and highest peak RSS of ``repeat`` runs; stops at the first failure."""
    runs: list[Run] = []
    for _ in range(repeat):
        runs.append(run_once(cmd))
        if runs[-1].exit_code != 0:
            bad = runs[-1]
            last = bad.error.splitlines()[-1] if bad.error.strip() else ""
            return Result(tool, shlex.join(cmd), False, None, None, None, None, 0,
                          f"exit {bad.exit_code}: {last}")
    best = min(r.seconds for r in runs)
    return Result(tool, shlex.join(cmd), True, round(best, 3), round(packets / best),
                  round(size / 1e6 / best, 2), round(max(r.peak_rss_kib for r in runs) / 1024, 1),
                  runs[0].output_lines, "")


def count_packets(path: Path) -> int:
    """Packets in a pcap or pcapng file, walking record/block headers only."""
    with path.open("rb") as f:
        head = f.read(24)
        if head[:4] == b"\x0a\x0d\x0d\x0a":
            return _count_pcapng(f, head)
        order = "<" if head[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
        count = 0
        while len(hdr := f.read(16)) == 16:
            f.seek(struct.unpack_from(order + "I", hdr, 8)[0], 1)
            count += 1
        return count


def _count_pcapng(f: BinaryIO, head: bytes) -> int:
    order = "<" if head[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
    f.seek(0)
    count = 0
    while len(hdr := f.read(8)) == 8:
        kind, length = struct.unpack(order + "II", hdr)
        if length < 12:
            break
        count += kind in (2, 3, 6)  # obsolete packet, simple packet, enhanced packet
        if kind == 0x0A0D0D0A:  # a new section may change the byte order
            magic = f.read(4)
            order = "<" if magic == b"\x4d\x3c\x2b\x1a" else ">"
            f.seek(length - 12, 1)
        else:
            f.seek(length - 8, 1)
    return count


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def _fmt(value: float | None, spec: str) -> str:
    """Format like ``spec``; "n/a" padded to the same width when there is no value."""
    width = int(spec.split(".")[0].rstrip(",") or 0)
    return "n/a".rjust(width) if value is None else format(value, spec)


def compare(args: argparse.Namespace) -> int:
    capture: Path = args.capture
    packets, size = count_packets(capture), capture.stat().st_size
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    commands = {"tlslens": tlslens_cmd(capture, args.tlslens), "tshark": tshark_cmd(capture)}
    results = [measure(t, commands[t], args.repeat, packets, size) for t in tools]
    by_tool = {r.tool: r for r in results}
    ratio = None
    if "tlslens" in by_tool and "tshark" in by_tool:
        a, b = by_tool["tlslens"], by_tool["tshark"]
        ratio = {"seconds": _ratio(a.seconds, b.seconds),
                 "peak_rss": _ratio(a.peak_rss_mib, b.peak_rss_mib)}
    if args.json:
        print(json.dumps({"capture": str(capture), "bytes": size, "packets": packets,
                          "repeat": args.repeat, "tools": [asdict(r) for r in results],
                          "ratio_tlslens_over_tshark": ratio}, indent=2))
    else:
        print(f"capture: {capture} ({size / 1e6:.1f} MB, {packets} packets), "
              f"best of {args.repeat}")
        print(f"{'tool':<8} {'seconds':>8} {'packets/s':>10} {'MB/s':>7} {'peak RSS MiB':>12}")
        for r in results:
            print(f"{r.tool:<8} {_fmt(r.seconds, '8.2f')} {_fmt(r.packets_per_s, '10,.0f')} "
                  f"{_fmt(r.mb_per_s, '7.1f')} {_fmt(r.peak_rss_mib, '12.1f')}"
                  + ("" if r.ok else f"  FAILED {r.error}"))
        if ratio is not None:
            print(f"tlslens/tshark (lower is better): time {_fmt(ratio['seconds'], '.2f')}, "
                  f"peak RSS {_fmt(ratio['peak_rss'], '.2f')}")
    return 0 if all(r.ok for r in results) else 1


def scale_check(args: argparse.Namespace) -> int:
    """Peak RSS of tlslens on a capture and on one ten times larger: flat is ratio ~1."""
    small, big = args.scale_check
    rows = []
    for path in (small, big):
        result = measure("tlslens", tlslens_cmd(path, args.tlslens), args.repeat,
                         count_packets(path), path.stat().st_size)
        rows.append((path, path.stat().st_size, result))
    rss = _ratio(rows[1][2].peak_rss_mib, rows[0][2].peak_rss_mib)
    size_ratio = round(rows[1][1] / rows[0][1], 2)
    if args.json:
        print(json.dumps({"runs": [{"capture": str(p), "bytes": s, **asdict(r)}
                                   for p, s, r in rows],
                          "size_ratio": size_ratio, "peak_rss_ratio": rss}, indent=2))
    else:
        for path, size, r in rows:
            print(f"{path} ({size / 1e6:.1f} MB): peak RSS {_fmt(r.peak_rss_mib, '.1f')} MiB, "
                  f"{_fmt(r.seconds, '.2f')} s" + ("" if r.ok else f"  FAILED {r.error}"))
        print(f"size ratio {size_ratio}, peak RSS ratio {_fmt(rss, '.2f')} "
              "(flat memory: near 1)")
    return 0 if all(r.ok for _, _, r in rows) else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("capture", type=Path, nargs="?", help="pcap/pcapng to time both tools on")
    p.add_argument("--repeat", type=int, default=3, help="runs per tool; best time is kept")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--tools", default="tlslens,tshark", help="comma-separated subset")
    p.add_argument("--tlslens", default="tlslens", help="command that runs the tlslens CLI")
    p.add_argument("--scale-check", nargs=2, type=Path, metavar=("SMALL", "BIG"),
                   help="compare tlslens peak RSS on a capture and a larger one")
    args = p.parse_args(argv)
    if (args.capture is None) == (args.scale_check is None):
        p.error("give either CAPTURE or --scale-check SMALL BIG")
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    unknown = set(args.tools.split(",")) - {"tlslens", "tshark", ""}
    if unknown:
        p.error(f"unknown tools: {', '.join(sorted(unknown))}")
    for path in [args.capture] if args.capture else args.scale_check:
        if not path.is_file():
            p.error(f"no such capture: {path}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return scale_check(args) if args.scale_check else compare(args)


if __name__ == "__main__":
    sys.exit(main())
