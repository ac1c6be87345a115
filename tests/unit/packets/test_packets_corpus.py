"""On every real capture, the decoder finds TCP in exactly the frames tshark does.

Ports, sequence numbers and payload lengths must agree too (tshark: relative sequence
numbers off, so both print the raw values). Skips without the corpus or tshark.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tlslens.capture.reader import open_capture
from tlslens.capture.types import CaptureItem
from tlslens.packets.decoder import PacketDecoder

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "corpus" / "pcaps"
CAPTURES = sorted(p for p in CORPUS.glob("*.pcap*") if not p.name.endswith(".keylog")) \
    if CORPUS.is_dir() else []


def tshark_tcp(path: Path) -> dict[int, tuple[int, int, int, int]]:
    fields = ["frame.number", "tcp.srcport", "tcp.dstport", "tcp.seq_raw", "tcp.len"]
    cmd = ["tshark", "-n", "-r", str(path), "-Y", "tcp", "-T", "fields"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120).stdout
    rows = {}
    for line in out.splitlines():
        frame, sport, dport, seq, length = line.split("\t")
        rows[int(frame)] = (int(sport), int(dport), int(seq), int(length))
    return rows


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_tcp_frames_match_tshark(path: Path) -> None:
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed")
    expected = tshark_tcp(path)
    dec = PacketDecoder()
    got = {}
    for it in open_capture(path):
        if isinstance(it, CaptureItem):
            seg = dec.decode(it)
            if seg is not None:
                got[seg.frame] = (seg.sport, seg.dport, seg.seq, len(seg.payload))
    dec.finish()
    assert sorted(got) == sorted(expected)
    flagged = {a.frame for a in dec.anomalies}
    for frame, row in expected.items():
        if frame in flagged:  # a cut packet: tshark counts the bytes the IP header claims
            assert got[frame][:3] == row[:3]
        else:
            assert got[frame] == row, f"frame {frame}"
