"""A big pcap file is walked through a memory map: the same packets, the same report.

``CaptureReader.mapped`` maps regular uncompressed files of at least ``MAP_MIN`` bytes
(tlslens.capture.pcap.iter_records then walks them in place and gives the pages behind
back as it goes). Here ``MAP_MIN`` is lowered so every fixture and corpus pcap takes
that path, and the whole analysis must equal the chunked reading's, anomalies included;
cut files, a file still growing and the page release are checked on their own.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from tests.corpus.truth_compare import corpus_captures
from tests.pcapwriter import Pcapng, eth, ipv4, tcp, write_pcap, write_pcapng
from tlslens.capture import reader as reader_module
from tlslens.capture.reader import open_capture
from tlslens.pipeline import Options, RunState, iter_connections

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CAPTURES = [p for p in [*sorted(FIXTURES.rglob("*.pcap*")), *corpus_captures()]
            if p.suffix in (".pcap", ".pcapng")]


def _analysis(path: Path, **opts: object) -> tuple[list[object], object, list[object]]:
    run = RunState()
    conns = list(iter_connections(str(path), run, Options(**opts)))  # type: ignore[arg-type]
    return conns, run.summary, [dataclasses.astuple(a) for a in run.anomalies]


def _packets(path: Path) -> list[tuple[object, ...]]:
    with open_capture(str(path)) as r:
        items = [tuple(i) for i in r]
        return [*items, ("bytes", r.bytes, "packets", r.packets, "anomalies",
                         [dataclasses.astuple(a) for a in r.anomalies])]


@pytest.fixture
def map_everything(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reader_module, "MAP_MIN", 0)
    monkeypatch.setattr(reader_module, "MAP_RELEASE", 4096)  # release often


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_mapped_walk_is_the_chunked_walk(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    chunked_items = _packets(path)
    chunked = _analysis(path)
    chunked_fp = _analysis(path, hellos_only=True, fingerprint_rows=True)
    monkeypatch.setattr(reader_module, "MAP_MIN", 0)
    monkeypatch.setattr(reader_module, "MAP_RELEASE", 4096)
    assert _packets(path) == chunked_items
    assert _analysis(path) == chunked
    assert _analysis(path, hellos_only=True, fingerprint_rows=True) == chunked_fp
    assert _analysis(path, compiled_lane=False) == chunked


def _capture(n: int) -> list[tuple[int, bytes]]:
    return [(1_700_000_000_000_000_000 + i * 1000,
             eth(ipv4(tcp(bytes([i % 256]) * (100 + i), seq=1000 + i)))) for i in range(n)]


def _pcapng(packets: list[tuple[int, bytes]]) -> Pcapng:
    cap = Pcapng().section()
    cap.interface(1)
    for ts, data in packets:
        cap.packet(data, ts_ns=ts)
    return cap


def _block_start(data: bytes, fmt: str, k: int) -> int:
    """Offset of packet ``k``'s record (pcap), or of the block ``k + 2`` (pcapng)."""
    if fmt == "pcap":
        pos = 24
        for _ in range(k):
            pos += 16 + int.from_bytes(data[pos + 8:pos + 12], "little")
        return pos
    pos = 0
    for _ in range(k + 2):
        pos += int.from_bytes(data[pos + 4:pos + 8], "little")
    return pos


def test_a_corrupt_block_in_a_mapped_file_stops_the_walk_alike(
        tmp_path: Path, map_everything: None) -> None:
    for fmt in ("pcap", "pcapng"):
        whole = bytearray(write_pcap(None, _capture(40)) if fmt == "pcap"
                          else write_pcapng(None, _pcapng(_capture(40))))
        at = _block_start(bytes(whole), fmt, 20)
        whole[at:at + 16] = b"\xff" * 16  # lengths that cannot be
        path = tmp_path / f"bad.{fmt}"
        path.write_bytes(bytes(whole))
        mapped = _packets(path)
        reader_module.MAP_MIN = 1 << 62
        try:
            chunked = _packets(path)
        finally:
            reader_module.MAP_MIN = 0
        assert mapped[:-1] == chunked[:-1]  # the same packets
        assert mapped[-1][3:] == chunked[-1][3:]  # the same count and anomalies
        assert mapped[-1][1] == len(whole)  # the whole map counts as read
        assert any(a[0] == "capture.bad_block" for a in mapped[-1][5]), fmt
        assert 0 < mapped[-1][3] < 40


def test_a_map_is_offered_once_and_only_for_big_regular_files(tmp_path: Path) -> None:
    path = tmp_path / "small.pcap"
    write_pcap(path, _capture(3))
    with open_capture(str(path)) as r:
        assert r.mapped() is None  # under MAP_MIN
    with open(path, "rb") as f, open_capture(f) as r:
        assert r.mapped() is None  # not opened by the reader


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_mapped_files_end_cut_inside_a_header_and_a_packet(tmp_path: Path, fmt: str,
                                                           map_everything: None) -> None:
    whole = (write_pcap(None, _capture(40)) if fmt == "pcap"
             else write_pcapng(None, _pcapng(_capture(40))))
    for cut in (len(whole) - 5, len(whole) - 60, len(whole) - 2000, 24 + 7):
        path = tmp_path / f"cut{cut}.{fmt}"
        path.write_bytes(whole[:cut])
        mapped = _packets(path)
        reader_module.MAP_MIN = 1 << 62  # the chunked reading, for the reference
        try:
            assert mapped == _packets(path)
        finally:
            reader_module.MAP_MIN = 0
        assert mapped[-1][1] == cut  # every byte counted as read


def test_a_file_growing_after_the_map_is_read_on(tmp_path: Path,
                                                 map_everything: None) -> None:
    packets = _capture(30)
    path = tmp_path / "growing.pcap"
    whole = write_pcap(None, packets)
    first = write_pcap(None, packets[:10])
    path.write_bytes(first)
    with open_capture(str(path)) as r:
        it = iter(r)
        got = [next(it)]  # the map is made now: 10 packets long
        with open(path, "ab") as f:
            f.write(whole[len(first):])
        got += list(it)
        assert len(got) == 30 and r.bytes == len(whole)
        assert [bytes(i.data) for i in got] == [p for _, p in packets]


def test_pages_behind_are_given_back_and_counted(tmp_path: Path, map_everything: None) -> None:
    path = tmp_path / "big.pcap"
    write_pcap(path, _capture(200))
    with open_capture(str(path)) as r:
        mapping = r.mapped()
        assert mapping is not None
        released = r.release_mapped(mapping, 0, 10_000)
        assert released == 10_000 - 10_000 % 4096 and r.bytes >= 10_000
        assert r.release_mapped(mapping, released, 100) == released  # never backwards
        mapping.close()


@pytest.mark.parametrize("fmt", ["pcap", "pcapng"])
def test_one_long_connection_gives_its_pages_back_as_the_walk_goes(
        fmt: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled walk takes every packet of a long in-order connection; it still goes
    through the map a window at a time, so the pages behind are given back all along
    (a 320 MB capture of one connection peaked at 347 MB before, all of it the map)."""
    from tests.tlsbytes import frame_of, tcp_segments, tls13

    data = b"".join(b"\x17\x03\x03\x3e\x80" + bytes(16_000) for _ in range(40))
    segs = tcp_segments([*tls13().flights, (1, data)], mss=1400)
    frames = [frame_of(s) for s in segs]
    path = tmp_path / f"long.{fmt}"
    timed = [(1_700_000_000_000_000_000 + i * 1000, f) for i, f in enumerate(frames)]
    if fmt == "pcap":
        write_pcap(path, timed)
    else:
        write_pcapng(path, _pcapng(timed))
    monkeypatch.setattr(reader_module, "MAP_MIN", 0)
    monkeypatch.setattr(reader_module, "MAP_RELEASE", 4096)
    monkeypatch.setattr(reader_module, "SCAN_WINDOW", 16_384)
    released: list[int] = []
    real = reader_module.CaptureReader.release_mapped

    def release(self: Any, mapping: Any, done: int, pos: int) -> int:
        released.append(pos)
        return real(self, mapping, done, pos)

    monkeypatch.setattr(reader_module.CaptureReader, "release_mapped", release)
    conns = list(iter_connections(str(path), RunState(), Options()))
    assert len(conns) == 1 and conns[0].app_data["server"][1] >= len(data)
    size = path.stat().st_size
    assert len(released) > size // 32_768
    assert max(b - a for a, b in zip([0, *released], released)) < 16_384 + 4096 + 1600
