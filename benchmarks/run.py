#!/usr/bin/env python3
"""Time tlslens against tshark and ssldump on the same capture, in the same run.

    run.py CAPTURE [--repeat R] [--json] [--tools tlslens,fingerprint,tshark,ssldump]
    run.py --scale-check CAPTURE_SMALL CAPTURE_BIG [--repeat R] [--json]

Tools (``--tools``; default: all four, ssldump skipped when it is not installed;
``--analyze-jobs N`` adds ``tlslens-jN``, the full analysis with ``--jobs N``, also
compared with tshark; ``--fingerprint-jobs N`` adds ``fingerprint-jN``, compared with
ssldump; the plain ``tlslens`` and ``fingerprint`` rows are one process, ``--jobs 1``):
``tlslens`` is the full analysis (``tlslens analyze --format ndjson``), ``fingerprint``
is ``tlslens fingerprint`` (hello fields and fingerprints only), ``tshark`` pulls the
handshake fields with ``-T fields``, ``ssldump`` prints every record and the hello
fields with their JA3/JA3S (the work ``tlslens fingerprint`` does). Pairs compared:
tlslens/tshark and fingerprint/ssldump.

Each tool runs as a child process, R times (default 3), round-robin (tool A, B, C, D,
then A again) so a burst of other load on the machine hits every tool alike. Wall time
is the best (lowest) of the R runs: the least disturbed by the rest of the machine; CPU
time is the user+sys time of that same run. Both and the peak RSS are read from
``os.wait4`` on that child's pid: the kernel's rusage for exactly that process (and any
children it waited for). Peak RSS is the highest of the R runs. ``getrusage(
RUSAGE_CHILDREN)`` cannot be used: it is a running maximum over all children ever
reaped, so a small run after a large one would inherit the large one's peak.

MB is 10**6 bytes of capture file; MiB is 2**20 bytes of memory.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
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


def tlslens_cmd(capture: Path, base: str, jobs: int = 1) -> list[str]:
    """The full analysis, streamed as NDJSON (one connection per line); ``jobs`` > 1 runs
    it over that many worker processes (``analyze --jobs``)."""
    return [*shlex.split(base), "analyze", str(capture), "--format", "ndjson", "-q",
            "--jobs", str(jobs), "-o", os.devnull]


def fingerprint_cmd(capture: Path, base: str, jobs: int = 1) -> list[str]:
    """Hello fields and fingerprints only, in the default (text) format. ``--jobs`` is
    always given: without it both commands use every core on files over 64 MiB."""
    return [*shlex.split(base), "fingerprint", str(capture), "--jobs", str(jobs),
            "-o", os.devnull]


def ssldump_cmd(capture: Path) -> list[str]:
    """-n: no name lookups. Without -A/-N/-x ssldump prints one line per record and, for
    the hellos, version, suites, extensions, SNI and the JA3/JA3S strings and hashes:
    the fields ``tlslens fingerprint`` gives. -N (certificate ASN.1) is left out: the
    fingerprint command does not parse certificates either."""
    return ["ssldump", "-n", "-r", str(capture)]


TOOLS = ("tlslens", "fingerprint", "tshark", "ssldump")
PAIRS = (("tlslens", "tshark"), ("fingerprint", "ssldump"))


def commands_for(capture: Path, base: str) -> dict[str, list[str]]:
    return {"tlslens": tlslens_cmd(capture, base), "fingerprint": fingerprint_cmd(capture, base),
            "tshark": tshark_cmd(capture), "ssldump": ssldump_cmd(capture)}


@dataclass(frozen=True, slots=True)
class Run:
    seconds: float
    cpu_seconds: float  # user + sys of the child
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
            return Run(0.0, 0.0, 0, 127, 0, str(exc))
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = code = os.waitstatus_to_exitcode(status)  # already reaped
        out.seek(0)
        lines = sum(chunk.count(b"\n") for chunk in iter(lambda: out.read(1 << 20), b""))
        err.seek(0)
        tail = err.read()[-2000:].decode(errors="replace").strip()
    cpu = usage.ru_utime + usage.ru_stime
    return Run(seconds, cpu, usage.ru_maxrss, code, lines, tail if code else "")


@dataclass(frozen=True, slots=True)
class Result:
    tool: str
    command: str
    ok: bool
    seconds: float | None
    cpu_seconds: float | None
    packets_per_s: float | None
    mb_per_s: float | None
    peak_rss_mib: float | None
    output_lines: int
    error: str


def summarize(tool: str, cmd: list[str], runs: list[Run], packets: int, size: int) -> Result:
    """Best wall time (and that run's CPU time), highest peak RSS; a failed run fails all."""
    bad = next((r for r in runs if r.exit_code != 0), None)
    if bad is not None or not runs:
        code = bad.exit_code if bad else 0
        last = bad.error.splitlines()[-1] if bad and bad.error.strip() else ""
        return Result(tool, shlex.join(cmd), False, None, None, None, None, None, 0,
                      f"exit {code}: {last}")
    best = min(runs, key=lambda r: r.seconds)
    return Result(tool, shlex.join(cmd), True, round(best.seconds, 3),
                  round(best.cpu_seconds, 3), round(packets / best.seconds),
                  round(size / 1e6 / best.seconds, 2),
                  round(max(r.peak_rss_kib for r in runs) / 1024, 1), runs[0].output_lines, "")


def measure_all(commands: dict[str, list[str]], repeat: int, packets: int,
                size: int) -> list[Result]:
    """``repeat`` rounds of one run per tool; a tool that failed is not run again."""
    runs: dict[str, list[Run]] = {tool: [] for tool in commands}
    for _ in range(repeat):
        for tool, cmd in commands.items():
            if all(r.exit_code == 0 for r in runs[tool]):
                runs[tool].append(run_once(cmd))
    return [summarize(t, commands[t], runs[t], packets, size) for t in commands]


def measure(tool: str, cmd: list[str], repeat: int, packets: int, size: int) -> Result:
    """One tool alone (see ``measure_all``)."""
    return measure_all({tool: cmd}, repeat, packets, size)[0]


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


def ratios(results: list[Result]) -> dict[str, dict[str, float | None]]:
    """``"a/b"`` -> wall, CPU and RSS ratios for each pair in PAIRS that both ran."""
    by_tool = {r.tool: r for r in results}
    out: dict[str, dict[str, float | None]] = {}
    jobs = [(r.tool, "tshark") for r in results if r.tool.startswith("tlslens-j")]
    jobs += [(r.tool, "ssldump") for r in results if r.tool.startswith("fingerprint-j")]
    for a_name, b_name in (*PAIRS, *jobs):
        if a_name in by_tool and b_name in by_tool:
            a, b = by_tool[a_name], by_tool[b_name]
            out[f"{a_name}/{b_name}"] = {
                "seconds": _ratio(a.seconds, b.seconds),
                "cpu_seconds": _ratio(a.cpu_seconds, b.cpu_seconds),
                "peak_rss": _ratio(a.peak_rss_mib, b.peak_rss_mib)}
    return out


def source_state() -> str:
    """The commit of the repository's ``src/`` and whether it differs from it ("abc1234",
    "abc1234+changes"), or "unknown" outside a git checkout: a timing is only worth
    keeping with the code it timed."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--", "src"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+changes" if dirty else "")


def compile_package() -> None:
    """Write the bytecode of the tlslens this Python imports, as ``pip install`` does.

    An editable install under ``PYTHONDONTWRITEBYTECODE`` (set on some machines, this one
    included) would otherwise compile every module from source in every run: 0.15 s of
    start-up that no installed copy pays. compileall writes the files regardless."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("tlslens")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            compileall.compile_dir(folder, quiet=1)


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _print_table(results: list[Result]) -> None:
    print(f"{'tool':<14} {'wall s':>8} {'CPU s':>8} {'packets/s':>10} {'MB/s':>7} "
          f"{'peak RSS MiB':>12}")
    for r in results:
        print(f"{r.tool:<14} {_fmt(r.seconds, '8.2f')} {_fmt(r.cpu_seconds, '8.2f')} "
              f"{_fmt(r.packets_per_s, '10,.0f')} {_fmt(r.mb_per_s, '7.1f')} "
              f"{_fmt(r.peak_rss_mib, '12.1f')}" + ("" if r.ok else f"  FAILED {r.error}"))


def compare(args: argparse.Namespace) -> int:
    capture: Path = args.capture
    packets, size = count_packets(capture), capture.stat().st_size
    every = commands_for(capture, args.tlslens)
    commands = {t: every[t] for t in args.tool_list}
    if args.analyze_jobs is not None:
        commands[f"tlslens-j{args.analyze_jobs}"] = tlslens_cmd(capture, args.tlslens,
                                                               args.analyze_jobs)
    if args.fingerprint_jobs is not None:
        commands[f"fingerprint-j{args.fingerprint_jobs}"] = fingerprint_cmd(
            capture, args.tlslens, args.fingerprint_jobs)
    code_before = source_state()
    compile_package()
    load_before = _load()
    results = measure_all(commands, args.repeat, packets, size)
    load_after = _load()
    code = source_state() if source_state() == code_before else "changed during the run"
    pairs = ratios(results)
    if args.json:
        print(json.dumps({"capture": str(capture), "bytes": size, "packets": packets,
                          "repeat": args.repeat, "skipped": args.skipped, "tlslens_source": code,
                          "load_before": load_before, "load_after": load_after,
                          "tools": [asdict(r) for r in results], "ratios": pairs}, indent=2))
    else:
        print(f"capture: {capture} ({size / 1e6:.1f} MB, {packets} packets), "
              f"best of {args.repeat}; load average {load_before} before, {load_after} after; "
              f"tlslens source: {code}")
        _print_table(results)
        for name in args.skipped:
            print(f"{name:<12} skipped: not installed")
        for pair, r in pairs.items():
            print(f"{pair} (lower is better): wall {_fmt(r['seconds'], '.3f')}, "
                  f"CPU {_fmt(r['cpu_seconds'], '.3f')}, peak RSS {_fmt(r['peak_rss'], '.3f')}")
    return 0 if all(r.ok for r in results) else 1


def scale_check(args: argparse.Namespace) -> int:
    """Peak RSS of the tlslens tools (of --tools) on a capture and a larger one: flat is ~1."""
    small, big = args.scale_check
    tools = [t for t in args.tool_list if t in ("tlslens", "fingerprint")] or ["tlslens"]
    rows = []
    for path in (small, big):
        every = commands_for(path, args.tlslens)
        for result in measure_all({t: every[t] for t in tools}, args.repeat,
                                  count_packets(path), path.stat().st_size):
            rows.append((path, path.stat().st_size, result))
    size_ratio = round(big.stat().st_size / small.stat().st_size, 2)
    rss = {t: _ratio(*[r.peak_rss_mib for p, _, r in sorted(
        ((p, s, r) for p, s, r in rows if r.tool == t), key=lambda x: x[0] != big)])
        for t in tools}
    if args.json:
        print(json.dumps({"runs": [{"capture": str(p), "bytes": s, **asdict(r)}
                                   for p, s, r in rows], "load_after": _load(),
                          "size_ratio": size_ratio, "peak_rss_ratio": rss}, indent=2))
    else:
        for path, size, r in rows:
            print(f"{r.tool:<14} {path} ({size / 1e6:.1f} MB): peak RSS "
                  f"{_fmt(r.peak_rss_mib, '.1f')} MiB, {_fmt(r.seconds, '.2f')} s wall, "
                  f"{_fmt(r.cpu_seconds, '.2f')} s CPU" + ("" if r.ok else f"  FAILED {r.error}"))
        print(f"size ratio {size_ratio}; peak RSS ratio big/small "
              + ", ".join(f"{t} {_fmt(v, '.2f')}" for t, v in rss.items())
              + " (flat memory: near 1)")
    return 0 if all(r.ok for _, _, r in rows) else 1


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("capture", type=Path, nargs="?", help="pcap/pcapng to time both tools on")
    p.add_argument("--repeat", type=int, default=3, help="runs per tool; best time is kept")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--tools", default="all",
                   help=f"comma-separated subset of {','.join(TOOLS)}; 'all' skips missing "
                   "ssldump/tshark")
    p.add_argument("--tlslens", default=shlex.join([sys.executable, "-m", "tlslens.cli"]),
                   help="command that runs the tlslens CLI (default: this Python's "
                   "'-m tlslens.cli'; a version manager's 'tlslens' shim, such as pyenv's, "
                   "would add its own start-up, about 0.1 s, to every run)")
    p.add_argument("--analyze-jobs", type=int, default=None, metavar="N",
                   help="also time the full analysis with --jobs N (0: one per core)")
    p.add_argument("--fingerprint-jobs", type=int, default=None, metavar="N",
                   help="also time tlslens fingerprint with --jobs N (0: one per core), "
                   "compared with ssldump")
    p.add_argument("--scale-check", nargs=2, type=Path, metavar=("SMALL", "BIG"),
                   help="compare tlslens peak RSS on a capture and a larger one")
    args = p.parse_args(argv)
    if (args.capture is None) == (args.scale_check is None):
        p.error("give either CAPTURE or --scale-check SMALL BIG")
    if args.repeat < 1:
        p.error("--repeat must be at least 1")
    wanted = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = set(wanted) - {*TOOLS, "all"}
    if unknown:
        p.error(f"unknown tools: {', '.join(sorted(unknown))}")
    args.skipped = []
    if "all" in wanted:  # every tool; the external ones only when installed
        args.skipped = [t for t in ("tshark", "ssldump") if shutil.which(t) is None]
        wanted = [t for t in TOOLS if t not in args.skipped]
    args.tool_list = list(dict.fromkeys(wanted))
    for path in [args.capture] if args.capture else args.scale_check:
        if not path.is_file():
            p.error(f"no such capture: {path}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return scale_check(args) if args.scale_check else compare(args)


if __name__ == "__main__":
    sys.exit(main())
