"""open_capture: sources (path, file, pipe, stdin), gzip, format errors, truncation, fuzz."""

from __future__ import annotations

import gzip
import io
import itertools
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.pcapwriter import Pcapng, eth, ipv4, pcap_bytes, stream, tcp, write_pcap
from tlslens.capture.reader import CaptureFormatError, open_capture
from tlslens.capture.types import CaptureItem

FRAMES = [eth(ipv4(tcp(bytes([n]) * n))) for n in (1, 40, 7)]
PCAP = pcap_bytes(FRAMES)


def pcapng_blocks() -> list[bytes]:
    png = Pcapng()
    png.interface(1)
    for f in FRAMES:
        png.packet(f)
    png.secrets(b"CLIENT_RANDOM a b\n")
    return png.blocks


PCAPNG = b"".join(pcapng_blocks())
#: offsets where a cut leaves only whole records or blocks (no anomaly is possible there)
PCAP_BOUNDARIES = set(itertools.accumulate([24] + [16 + len(f) for f in FRAMES]))
PCAPNG_BOUNDARIES = set(itertools.accumulate(len(b) for b in pcapng_blocks()))


# -- sources ------------------------------------------------------------------------------
def test_path_str_and_pathlib(tmp_path: Path) -> None:
    path = tmp_path / "a.pcap"
    write_pcap(path, FRAMES)
    for source in (path, str(path)):
        reader = open_capture(source)
        assert [i.data for i in reader] == FRAMES
        assert reader.name == str(path)


def test_reader_closes_the_file_it_opened(tmp_path: Path) -> None:
    path = tmp_path / "a.pcap"
    write_pcap(path, FRAMES)
    with open_capture(path) as reader:
        stream_ = reader._stream
        next(iter(reader))
    assert stream_.closed


def test_caller_stream_is_not_closed() -> None:
    buf = stream(PCAP)
    assert len(list(open_capture(buf))) == 3
    assert not buf.closed


def test_gzip_pcap_and_pcapng(tmp_path: Path) -> None:
    for raw in (PCAP, PCAPNG):
        path = tmp_path / "c.gz"
        path.write_bytes(gzip.compress(raw))
        reader = open_capture(path)
        got = list(reader)
        assert [i.data for i in got if isinstance(i, CaptureItem)] == FRAMES
        assert reader.info.compressed is True
        assert reader.bytes == len(raw)  # counted after gunzip


def test_multi_member_gzip() -> None:
    half = len(PCAP) // 2
    data = gzip.compress(PCAP[:half]) + gzip.compress(PCAP[half:])
    assert [i.data for i in open_capture(stream(data))] == FRAMES


def test_corrupt_gzip_stream_is_an_anomaly() -> None:
    data = bytearray(gzip.compress(PCAP * 1, compresslevel=0))
    data[-20] ^= 0xFF  # inside the stored data: the CRC check at the end fails
    reader = open_capture(stream(bytes(data)))
    list(reader)
    assert [a.id for a in reader.anomalies] == ["capture.gzip_error"]


def test_non_seekable_pipe_yields_packets_before_the_writer_finishes() -> None:
    r, w = os.pipe()
    with os.fdopen(r, "rb") as rf, os.fdopen(w, "wb", buffering=0) as wf:
        wf.write(PCAP[:24 + 16 + len(FRAMES[0])])  # header and first packet only
        reader = open_capture(rf)
        it = iter(reader)
        assert next(it).data == FRAMES[0]  # does not wait for more data or EOF
        writer = threading.Thread(target=lambda: (wf.write(PCAP[24 + 16 + len(FRAMES[0]):]),
                                                  wf.close()))
        writer.start()
        rest = [i.data for i in it]
        writer.join()
    assert rest == FRAMES[1:]
    assert reader.anomalies == []


def test_subprocess_stdout_as_source() -> None:
    code = "import sys; sys.stdout.buffer.write(bytes.fromhex(sys.argv[1]))"
    proc = subprocess.Popen([sys.executable, "-c", code, gzip.compress(PCAPNG).hex()],
                            stdout=subprocess.PIPE)
    assert proc.stdout is not None
    reader = open_capture(proc.stdout)
    got = [i for i in reader if isinstance(i, CaptureItem)]
    proc.wait()
    assert [i.data for i in got] == FRAMES and reader.info.compressed


def test_dash_reads_stdin() -> None:
    code = ("from tlslens.capture.reader import open_capture\n"
            "r = open_capture('-')\n"
            "print(sum(1 for _ in r), r.info.format, r.name)\n")
    out = subprocess.run([sys.executable, "-c", code], input=PCAP, capture_output=True,
                         check=True)
    assert out.stdout.split() == [b"3", b"pcap", b"-"]


class Endless(io.RawIOBase):
    """An endless capture: a pcap header, then the same packet forever; counts reads."""

    def __init__(self) -> None:
        self.pending = PCAP[:24]
        self.record = PCAP[24:24 + 16 + len(FRAMES[0])]
        self.largest_read = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: bytearray) -> int:  # type: ignore[override]
        self.largest_read = max(self.largest_read, len(b))
        while len(self.pending) < len(b):
            self.pending += self.record * 1000
        n = len(b)
        b[:n] = self.pending[:n]
        self.pending = self.pending[n:]
        return n


def test_streaming_never_reads_the_whole_input() -> None:
    src = Endless()
    reader = open_capture(src)  # type: ignore[arg-type]
    first = list(itertools.islice(reader, 50_000))
    assert len(first) == 50_000 and first[-1].index == 50_000
    assert src.largest_read <= 1 << 20
    consumed = 24 + 50_000 * len(src.record)
    assert reader.bytes <= consumed + (1 << 20)  # at most one chunk read ahead


# -- not a capture -------------------------------------------------------------------------
@pytest.mark.parametrize(("data", "words"), [
    (b"", "empty"),
    (b"GET / HTTP/1.1\r\n\r\n", "not a pcap"),
    (PCAP[:10], "cut short"),
    (PCAPNG[:8] + b"\x00\x00\x00\x00" + PCAPNG[12:], "byte-order"),
    (PCAPNG[:12] + b"\x02\x00" + PCAPNG[14:], "version 2"),
    (PCAPNG[:4] + b"\x0d\x00\x00\x00" + PCAPNG[8:], "impossible length"),
    (gzip.compress(b""), "empty"),
    (gzip.compress(b"hello world"), "not a pcap"),
    (b"\x1f\x8b\x08\x00garbage-garbage-garbage", "gzip"),
])
def test_not_a_capture_raises_capture_format_error(data: bytes, words: str) -> None:
    with pytest.raises(CaptureFormatError) as exc:
        open_capture(stream(data))
    assert words in str(exc.value)
    assert "\n" not in str(exc.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CaptureFormatError, match="cannot open"):
        open_capture(tmp_path / "nope.pcap")


# -- truncation at every byte ----------------------------------------------------------------
def _check_prefix(data: bytes, full: int, allowed: set[str], clean: bool) -> None:
    try:
        reader = open_capture(stream(data))
    except CaptureFormatError:
        return
    got = [i for i in reader if isinstance(i, CaptureItem)]
    assert len(got) <= full
    ids = {a.id for a in reader.anomalies}
    assert ids <= allowed
    if not clean:
        assert ids, f"a capture cut at byte {len(data)} must say so"


@pytest.mark.parametrize("name", ["pcap", "pcapng"])
def test_truncation_at_every_byte(name: str) -> None:
    data, boundaries = (PCAP, PCAP_BOUNDARIES) if name == "pcap" else (
        PCAPNG, PCAPNG_BOUNDARIES)
    for n in range(len(data)):
        _check_prefix(data[:n], 3, {"capture.truncated"}, clean=n in boundaries)
    reader = open_capture(stream(data[:-1]))
    list(reader)
    assert [a.id for a in reader.anomalies] == ["capture.truncated"]


def test_truncation_of_gzip_at_every_byte() -> None:
    data = gzip.compress(PCAPNG)
    for n in range(len(data)):
        _check_prefix(data[:n], 3, {"capture.truncated", "capture.gzip_error"}, clean=False)


# -- fuzz ----------------------------------------------------------------------------------
@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=600), st.sampled_from(["pcap", "pcapng", "pcap-nanos-be"]))
def test_random_bytes_after_a_valid_header_never_raise(tail: bytes, kind: str) -> None:
    if kind == "pcap":
        head = PCAP[:24]
    elif kind == "pcap-nanos-be":
        head = pcap_bytes([], nanos=True, byteorder=">")
    else:
        png = Pcapng()
        png.interface(1)
        head = png.to_bytes()
    reader = open_capture(stream(head + tail))
    for item in reader:
        assert isinstance(item.index, int)
    assert reader.packets >= 0
