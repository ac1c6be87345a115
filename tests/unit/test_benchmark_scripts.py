"""Smoke tests of the benchmark scripts (benchmarks/make_capture.py, benchmarks/run.py).

The pure parts (pcap scaling, packet counting, failure reporting) run everywhere on
hand-built captures; the recording test needs root, tcpdump and tshark and skips without.
"""

from __future__ import annotations

import importlib.util
import json
import os
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
         "--large", "1", "--large-size", "200000", "--seed", "3", "--scale", "2"],
        capture_output=True, text=True, check=False, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "mode: " in done.stdout
    streams = subprocess.run(
        ["tshark", "-n", "-r", str(out), "-Y", "tls.handshake.type==1", "-T", "fields",
         "-e", "tcp.stream"], capture_output=True, text=True, check=True).stdout.split()
    assert len(streams) == len(set(streams)) == 2 * 7  # 6 handshakes + 1 large, twice

    timed = subprocess.run(
        [sys.executable, str(BENCH / "run.py"), str(out), "--tools", "tshark", "--repeat", "1",
         "--json"], capture_output=True, text=True, check=False)
    assert timed.returncode == 0, timed.stderr
    tshark = json.loads(timed.stdout)["tools"][0]
    assert tshark["ok"] and tshark["seconds"] > 0 and tshark["peak_rss_mib"] > 1
    assert tshark["output_lines"] >= 2 * 7  # at least one row per ClientHello
