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


def test_worker_pipes_are_widened_where_the_system_allows() -> None:
    """A worker's batch (some 400 KB of NDJSON) fits the pipe: fewer stalls and wake-ups
    (tlslens.parallel._widen); elsewhere the default pipe stays and nothing fails."""
    import multiprocessing as mp

    from tlslens.parallel import PIPE_SIZE, _widen

    fcntl = pytest.importorskip("fcntl")
    recv, send = mp.get_context("fork").Pipe(duplex=False)
    try:
        _widen(recv)
        size = fcntl.fcntl(recv.fileno(), getattr(fcntl, "F_GETPIPE_SZ", 1032))
        limit_file = Path("/proc/sys/fs/pipe-max-size")
        if not limit_file.exists() or int(limit_file.read_text()) < PIPE_SIZE:
            pytest.skip("this system does not allow pipes of PIPE_SIZE")
        assert size >= PIPE_SIZE
        send.send_bytes(b"x" * (PIPE_SIZE // 2))  # no reader yet: must not block
        assert len(recv.recv_bytes()) == PIPE_SIZE // 2
    finally:
        recv.close()
        send.close()
    _widen(recv)  # a closed connection: ignored
