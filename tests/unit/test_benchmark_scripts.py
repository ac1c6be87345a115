"""Smoke tests of the benchmark scripts (benchmarks/make_capture.py, benchmarks/run.py,
benchmarks/skip_cost.py, benchmarks/instructions.py).

The pure parts (connection mix, presets, pcap scaling, packet counting, rusage of a real
child, failure reporting) run everywhere; the recording test needs root, tcpdump and
tshark and skips without; its ssldump part runs only when ssldump is installed; the
instruction count needs valgrind and skips without.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import os
import random
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "benchmarks"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


make_capture = _load("make_capture")
run = _load("run")
skip_cost = _load("skip_cost")
instructions = _load("instructions")


def _frame(sport: int, dport: int, payload: bytes) -> bytes:
    """Ethernet + IPv4 (no options) + TCP (20 bytes) carrying ``payload``."""
    ip = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 40 + len(payload), 1, 0, 64, 6, 0,
                     bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
    tcp = struct.pack(">HHIIBBHHH", sport, dport, 1, 0, 0x50, 0x18, 65535, 0, 0)
    return b"\x00" * 12 + b"\x08\x00" + ip + tcp + payload


def _write_pcap(path: Path, frames: list[tuple[int, int, bytes]]) -> None:
    """Little-endian microsecond pcap, Ethernet; frames are (seconds, usec, bytes)."""
    with path.open("wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for sec, usec, data in frames:
            f.write(struct.pack("<IIII", sec, usec, len(data), len(data)) + data)


def _read_pcap(path: Path) -> list[tuple[int, bytes]]:
    """(time in usec, bytes) per record."""
    data = path.read_bytes()
    out, pos = [], 24
    while pos < len(data):
        sec, usec, incl, _ = struct.unpack_from("<IIII", data, pos)
        out.append((sec * 1_000_000 + usec, data[pos + 16:pos + 16 + incl]))
        pos += 16 + incl
    return out


@pytest.fixture
def tiny_pcap(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.pcap"
    _write_pcap(path, [
        (100, 0, _frame(50000, 443, b"\x16\x03\x01hello")),
        (100, 500, _frame(443, 50000, b"\x16\x03\x03world")),
        (101, 0, _frame(50001, 443, b"\x17\x03\x03data")),
    ])
    return path


def test_scale_pcap_gives_each_copy_its_own_client_ports_and_time(
        tiny_pcap: Path, tmp_path: Path) -> None:
    out = tmp_path / "x3.pcap"
    assert make_capture.scale_pcap(tiny_pcap, out, 3, 443) == 9
    original, scaled = _read_pcap(tiny_pcap), _read_pcap(out)
    assert out.read_bytes()[:24] == tiny_pcap.read_bytes()[:24]
    assert len(scaled) == 9
    span = 1_000_000 + 1_000_000  # first-to-last packet plus the one-second gap
    tuples = set()
    for i, (t, data) in enumerate(scaled):
        copy, (t0, data0) = divmod(i, 3)[0], original[i % 3]
        assert t == t0 + copy * span
        sport, dport = struct.unpack_from(">HH", data, 34)
        server_first = data0[34:36] == (443).to_bytes(2, "big")
        assert (sport if server_first else dport) == 443
        client = dport if server_first else sport
        tuples.add((copy, client))
        # only the client port differs from the original bytes
        at = 36 if server_first else 34
        assert data[:at] + data[at + 2:] == data0[:at] + data0[at + 2:]
    # two client ports per copy, none reused across copies
    assert len({client for _, client in tuples}) == 6


def test_plan_jobs_draws_mtls_and_transfers_in_their_shares() -> None:
    jobs = make_capture.plan_jobs(random.Random(4), 6000, 5, 1 << 20, mtls_share=0.2,
                                  transfer_share=0.1, transfer_size=100_000)
    large = [j for j in jobs if j.size == 1 << 20]
    small = [j for j in jobs if j.size != 1 << 20]
    assert len(large) == 5 and not any(j.mtls for j in large)
    mtls = sum(j.mtls for j in small) / len(small)
    transfers = sum(j.size == 100_000 for j in small) / len(small)
    assert 0.17 < mtls < 0.23 and 0.08 < transfers < 0.12
    assert all(200 <= j.size <= 4000 for j in small if j.size != 100_000)
    # handshakes count resumed ones: the plan adds up to exactly what was asked
    assert sum(1 + j.resume for j in small) == 6000


def test_plan_jobs_without_shares_keeps_the_seeds_old_mix() -> None:
    """A share of 0 draws nothing: the seed-1 mix of the recorded 3000-handshake capture."""
    jobs = make_capture.plan_jobs(random.Random(1), 3000, 10, 5 << 20)
    assert not any(j.mtls for j in jobs)
    assert all(200 <= j.size <= 4000 or j.size == 5 << 20 for j in jobs)
    resumed = sum(j.resume for j in jobs)
    assert len(jobs) + resumed == 3010
    assert resumed == 422  # as benchmarks/README.md reports for that capture


def test_preset_issue9_meets_the_issue_and_flags_override_it() -> None:
    args = make_capture.parse_args(["--preset", "issue9", "--out", "x.pcap"])
    assert args.handshakes >= 20000 and args.mtls_share > 0 and args.large > 0
    assert args.transfer_size == 100_000 and args.transfer_share > 0
    args = make_capture.parse_args(["--preset", "issue9", "--out", "x.pcap",
                                    "--handshakes", "50", "--mtls-share", "0"])
    assert args.handshakes == 50 and args.mtls_share == 0
    assert args.transfer_size == 100_000  # the rest of the preset stays
    with pytest.raises(SystemExit):
        make_capture.parse_args(["--out", "x.pcap", "--mtls-share", "1.5"])


def test_run_once_reads_cpu_time_and_peak_rss_of_the_child() -> None:
    burn = ("import time\nb = bytearray(96 << 20)\nt = time.process_time()\n"
            "while time.process_time() - t < 0.3: pass\n")
    result = run.run_once([sys.executable, "-c", burn])
    assert result.exit_code == 0
    assert result.peak_rss_kib >= 96 << 10  # the child's own peak, in KiB
    assert 0.3 <= result.cpu_seconds <= result.seconds + 0.05


def test_summarize_keeps_the_fastest_runs_cpu_and_the_highest_rss() -> None:
    runs = [run.Run(2.0, 1.5, 1000, 0, 4, ""), run.Run(1.0, 0.9, 3072, 0, 4, ""),
            run.Run(3.0, 0.5, 2048, 0, 4, "")]
    result = run.summarize("tlslens", ["x"], runs, packets=100, size=10_000_000)
    assert (result.seconds, result.cpu_seconds, result.peak_rss_mib) == (1.0, 0.9, 3.0)
    assert result.packets_per_s == 100 and result.mb_per_s == 10.0
    other = run.summarize("tshark", ["y"], [run.Run(4.0, 2.0, 6144, 0, 1, "")], 100, 1)
    failed = run.summarize("ssldump", ["z"], [run.Run(0.1, 0.1, 1, 1, 0, "boom\nbad")], 100, 1)
    assert not failed.ok and failed.error == "exit 1: bad"
    pairs = run.ratios([result, other, failed, dataclasses.replace(result, tool="fingerprint"),
                        dataclasses.replace(result, tool="tlslens-j2", seconds=0.5),
                        dataclasses.replace(result, tool="fingerprint-j2", seconds=0.5)])
    assert pairs["tlslens-j2/tshark"]["seconds"] == 0.125
    assert pairs["fingerprint-j2/ssldump"]["seconds"] is None  # ssldump failed
    assert pairs["tlslens/tshark"] == {"seconds": 0.25, "cpu_seconds": 0.45, "peak_rss": 0.5}
    assert pairs["fingerprint/ssldump"]["seconds"] is None  # ssldump failed: no ratio


def test_jobs_rows_are_added_only_when_asked_and_the_plain_rows_use_one_process(
        tiny_pcap: Path) -> None:
    # Without --jobs both commands would use every core on a big file: always explicit.
    assert run.tlslens_cmd(tiny_pcap, "tlslens")[-4:] == ["--jobs", "1", "-o", os.devnull]
    assert run.fingerprint_cmd(tiny_pcap, "tlslens")[-4:] == ["--jobs", "1", "-o", os.devnull]
    assert run.tlslens_cmd(tiny_pcap, "python -m tlslens", 2)[:5] == [
        "python", "-m", "tlslens", "analyze", str(tiny_pcap)]
    assert run.tlslens_cmd(tiny_pcap, "tlslens", 2)[-4:] == ["--jobs", "2", "-o", os.devnull]
    assert run.fingerprint_cmd(tiny_pcap, "tlslens", 2)[-4:] == ["--jobs", "2", "-o",
                                                                 os.devnull]
    args = run.parse_args([str(tiny_pcap)])
    assert args.analyze_jobs is None and args.fingerprint_jobs is None
    assert run.parse_args([str(tiny_pcap), "--analyze-jobs", "0"]).analyze_jobs == 0
    assert run.parse_args([str(tiny_pcap), "--fingerprint-jobs", "2"]).fingerprint_jobs == 2


def test_tools_all_skips_external_tools_that_are_not_installed(
        tiny_pcap: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty folder: no tshark, no ssldump
    args = run.parse_args([str(tiny_pcap)])
    assert args.skipped == ["tshark", "ssldump"]
    assert args.tool_list == ["tlslens", "fingerprint"]
    assert run.parse_args([str(tiny_pcap), "--tools", "ssldump"]).tool_list == ["ssldump"]


def test_scale_pcap_refuses_pcapng(tmp_path: Path) -> None:
    path = tmp_path / "x.pcapng"
    path.write_bytes(b"\x0a\x0d\x0d\x0a" + b"\x00" * 40)
    with pytest.raises(ValueError, match="pcapng"):
        make_capture.scale_pcap(path, tmp_path / "out.pcap", 2, 443)


def test_count_packets_reads_pcap_and_pcapng(tiny_pcap: Path, tmp_path: Path) -> None:
    assert run.count_packets(tiny_pcap) == 3
    ng = tmp_path / "two.pcapng"
    shb = struct.pack("<IIIHHq", 0x0A0D0D0A, 28, 0x1A2B3C4D, 1, 0, -1) + struct.pack("<I", 28)
    idb = struct.pack("<IIHHI", 1, 20, 1, 0, 65535) + struct.pack("<I", 20)
    pkt = _frame(1, 2, b"")
    epb = (struct.pack("<IIIIIII", 6, 28 + len(pkt) + 2 + 4, 0, 0, 0, len(pkt), len(pkt))
           + pkt + b"\x00\x00" + struct.pack("<I", 28 + len(pkt) + 2 + 4))
    ng.write_bytes(shb + idb + epb + epb)
    assert run.count_packets(ng) == 2


def test_run_reports_a_failing_tool_and_exits_nonzero(tiny_pcap: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), str(tiny_pcap), "--tools", "tlslens",
         "--tlslens", "false", "--repeat", "1", "--json"],
        capture_output=True, text=True, check=False)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert report["packets"] == 3
    # the timed code is named: this checkout's commit ("unknown" outside a git checkout)
    head = subprocess.run(["git", "-C", str(BENCH.parent), "rev-parse", "--short", "HEAD"],
                          capture_output=True, text=True, check=False).stdout.strip() \
        if shutil.which("git") else ""
    assert report["tlslens_source"].split("+")[0] == (head or "unknown")
    assert report["tools"][0]["ok"] is False
    assert report["tools"][0]["error"].startswith("exit 1")


needs_capture_tools = pytest.mark.skipif(
    not (shutil.which("tcpdump") and shutil.which("tshark") and os.geteuid() == 0),
    reason="recording needs root, tcpdump and tshark")


@needs_capture_tools
def test_make_capture_records_handshakes_tshark_reads(tmp_path: Path) -> None:
    out = tmp_path / "small.pcap"
    done = subprocess.run(
        [sys.executable, str(BENCH / "make_capture.py"), "--out", str(out), "--handshakes", "6",
         "--large", "1", "--large-size", "200000", "--seed", "3", "--scale", "2",
         "--mtls-share", "0.5", "--transfer-share", "0.5", "--transfer-size", "30000"],
        capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "mode: " in done.stdout
    rows = subprocess.run(
        ["tshark", "-n", "-r", str(out), "-Y", "tls.handshake.type==1", "-T", "fields",
         "-e", "tcp.stream", "-e", "ip.dst"], capture_output=True, text=True,
        check=True).stdout.splitlines()
    by_stream = dict(row.split("\t") for row in rows)  # a HelloRetryRequest's 2nd hello
    assert len(by_stream) == 2 * 7  # 6 handshakes + 1 large, twice
    # the mutual-TLS connections went to their own address, as planned for this seed
    plan = make_capture.plan_jobs(random.Random(3), 6, 1, 200000, 0.5, 0.5, 30000)
    mtls = sum(1 + j.resume for j in plan if j.mtls)
    assert 0 < mtls < 7
    assert list(by_stream.values()).count(make_capture.MTLS_ADDR) == 2 * mtls

    timed = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), str(out), "--repeat", "1", "--json",
         "--analyze-jobs", "2"],
        capture_output=True, text=True, check=False, timeout=120)
    assert timed.returncode == 0, timed.stdout + timed.stderr
    report = json.loads(timed.stdout)
    tools = {t["tool"]: t for t in report["tools"]}
    expected = {"tlslens", "fingerprint", "tshark", "tlslens-j2"} | (
        {"ssldump"} if shutil.which("ssldump") else set())
    assert set(tools) == expected
    assert all(t["ok"] and t["seconds"] > 0 and t["cpu_seconds"] > 0 and t["peak_rss_mib"] > 1
               for t in tools.values())
    assert tools["tshark"]["output_lines"] >= 2 * 7  # at least one row per ClientHello
    assert "--format ndjson" in tools["tlslens"]["command"]  # the full analysis, streamed
    assert report["ratios"]["tlslens/tshark"]["seconds"] > 0
    if "ssldump" in tools:
        assert tools["ssldump"]["output_lines"] > 2 * 7  # a line per record at least
        assert report["ratios"]["fingerprint/ssldump"]["cpu_seconds"] > 0


def test_skip_cost_measures_the_compiled_walk_and_the_python_lane(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """skip_cost.py on a real TLS 1.2 stream with 100 KB of application data after the
    handshake: both lanes are measured on the packets they take, and the whole
    analysis is the same either way (the patched functions are put back)."""
    from tests.tlsbytes import pcap_of, tcp_segments, tls12
    from tlslens.flows.lane import COMPILED, FastLane

    records = b"".join(b"\x17\x03\x03\x10\x00" + bytes(4096) for _ in range(25))
    capture = tmp_path / "stream.pcap"
    capture.write_bytes(pcap_of(tcp_segments([*tls12().flights, (1, records)], mss=1400)))
    before = dict(FastLane.__dict__)
    assert skip_cost.main([str(capture), "--repeat", "2"]) == 0
    assert dict(FastLane.__dict__) == before
    out = capsys.readouterr().out
    lane_line = next(line for line in out.splitlines() if line.startswith("fast lane"))
    assert int(lane_line.split(": ")[1].split()[0]) >= 70  # the ~74 data segments + ACKs
    compiled_line = next(line for line in out.splitlines()
                         if line.startswith("compiled walk"))
    if COMPILED:
        assert int(compiled_line.split(": ")[1].split()[0]) >= 70
    else:
        assert "not built" in compiled_line


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_instruction_counts_repeat_and_tell_the_modes_apart() -> None:
    seed = Path(__file__).resolve().parents[1] / "fixtures" / "seed" / "seed.pcap"
    first, conns = instructions.count(seed, "rows")
    second, _ = instructions.count(seed, "rows")
    full, _ = instructions.count(seed, "analyze")
    assert conns == 1
    assert abs(first - second) < first * 0.005  # the point of counting: it repeats
    assert full > first  # the full analysis does more than the fingerprint rows
    command, lines = instructions.count(seed, "fingerprint", cli=True)
    assert lines == 1  # its one connection, counted in the command's output
    assert command > first  # the command line adds start-up and output


def test_parent_cpu_splits_the_parent_from_its_workers(tmp_path: Path) -> None:
    """parent_cpu.py runs the command itself (its output as tlslens writes it) and names
    the parent's CPU and the workers' apart; with --jobs 1 there are no workers."""
    seed = Path(__file__).resolve().parents[1] / "fixtures" / "seed" / "seed.pcap"
    script = str(BENCH / "parent_cpu.py")
    outputs = []
    for jobs in ("2", "1"):
        out = tmp_path / f"jobs{jobs}.ndjson"
        done = subprocess.run([sys.executable, script, "analyze", str(seed), "--format",
                               "ndjson", "--jobs", jobs, "-q", "-o", str(out)],
                              capture_output=True, text=True, check=True)
        line = done.stderr.strip().splitlines()[-1]
        assert line.startswith("wall ") and "parent CPU" in line, line
        workers = float(line.rsplit("workers CPU ", 1)[1].split()[0])
        assert (workers > 0) == (jobs == "2"), line
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] and outputs[0].count(b"\n") == 1
