"""Every real capture of the shared corpus opens, iterates, and has tshark's frame count."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tlslens.capture.reader import open_capture
from tlslens.capture.types import CaptureItem

CORPUS = Path(__file__).resolve().parents[4] / "shared" / "corpus" / "pcaps"
CAPTURES = sorted(p for p in CORPUS.glob("*.pcap*") if not p.name.endswith(".keylog")) \
    if CORPUS.is_dir() else []


def test_corpus_present_or_skipped() -> None:
    if not CAPTURES:
        pytest.skip(f"no corpus at {CORPUS}")
    assert len(CAPTURES) > 10


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_frame_count_matches_tshark(path: Path) -> None:
    reader = open_capture(path)
    frames = [i for i in reader if isinstance(i, CaptureItem)]
    assert [i.index for i in frames] == list(range(1, len(frames) + 1))
    assert reader.anomalies == []
    assert reader.bytes == path.stat().st_size
    if shutil.which("tshark") is None:
        pytest.skip("tshark is not installed")
    out = subprocess.run(["tshark", "-r", str(path), "-T", "fields", "-e", "frame.number"],
                         capture_output=True, check=True, timeout=120).stdout
    assert len(frames) == len(out.split())
    assert reader.packets == len(frames)
