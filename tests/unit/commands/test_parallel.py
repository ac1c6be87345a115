"""`tlslens analyze --jobs N` writes the same report, byte for byte, as one process."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from tlslens.cli import main
from tlslens.parallel import parallel_possible

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT.parent / "shared" / "corpus" / "pcaps"
CAPTURES = [ROOT / "tests" / "fixtures" / "seed" / "seed.pcap",
            ROOT / "tests" / "fixtures" / "seed13" / "seed13.pcap"]
CAPTURES += [CORPUS / name for name in ("ja4__tls-handshake.pcapng",
                                        "lekensteyn__ssl3-dump.pcapng",
                                        "zeek__google-duplicate.pcap",
                                        "ja4__tls3.pcapng") if (CORPUS / name).exists()]


def _run(*args: str) -> str:
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(["analyze", *args, "-q"]) == 0
    return buf.getvalue()


@pytest.mark.skipif(not parallel_possible(str(CAPTURES[0]), 2), reason="no fork here")
@pytest.mark.parametrize("fmt", ["json", "ndjson", "text"])
@pytest.mark.parametrize("capture", [c for c in CAPTURES if c.exists()],
                         ids=lambda p: p.name)
def test_jobs_give_the_same_report(capture: Path, fmt: str) -> None:
    args = [str(capture), "--format", fmt, "--color", "never"]
    assert _run(*args, "--jobs", "2") == _run(*args, "--jobs", "1")


def test_jobs_on_stdin_or_bad_input_fall_back_or_fail_cleanly(tmp_path: Path) -> None:
    assert not parallel_possible("-", 2)
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"not a capture at all")
    assert main(["analyze", str(bad), "--jobs", "2", "-q"]) == 2


@pytest.mark.skipif(not parallel_possible(str(CAPTURES[0]), 2), reason="no fork here")
@pytest.mark.parametrize("capture", [c for c in CAPTURES if c.exists()],
                         ids=lambda p: p.name)
def test_fingerprint_jobs_give_the_same_rows(capture: Path) -> None:
    buf1, buf2 = io.StringIO(), io.StringIO()
    with redirect_stdout(buf1):
        assert main(["fingerprint", str(capture), "--format", "csv"]) == 0
    with redirect_stdout(buf2):
        assert main(["fingerprint", str(capture), "--format", "csv", "--jobs", "2"]) == 0
    assert buf1.getvalue() == buf2.getvalue()


def test_default_jobs_follow_the_file_size(tmp_path: Path) -> None:
    from tlslens.commands import AUTO_JOBS_MIN_BYTES, auto_jobs

    small = CAPTURES[0]
    assert small.stat().st_size < AUTO_JOBS_MIN_BYTES and auto_jobs(str(small)) == 1
    assert auto_jobs("-") == 1 and auto_jobs(str(tmp_path / "missing.pcap")) == 1
    big = tmp_path / "big.pcap"
    with big.open("wb") as f:  # sparse: the size is what counts
        f.truncate(AUTO_JOBS_MIN_BYTES)
    import os

    assert auto_jobs(str(big)) == (os.cpu_count() or 1)
