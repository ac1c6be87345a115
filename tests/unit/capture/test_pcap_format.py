"""Classic pcap: byte orders, time units, the Kuznetzov variant, truncation, bad lengths."""

from __future__ import annotations

import struct

import pytest

from tests.pcapwriter import BASE_TS_NS, eth, ipv4, pcap_bytes, stream, tcp
from tlslens.capture.reader import open_capture
from tlslens.capture.types import CaptureInfo, CaptureItem

FRAMES = [eth(ipv4(tcp(b"x" * n))) for n in (0, 5, 300)]
TIMES = [BASE_TS_NS + 123_456_789, BASE_TS_NS + 2_000_000_001, BASE_TS_NS + 3_000_000_999]


def items(data: bytes) -> tuple[list[CaptureItem], object]:
    reader = open_capture(stream(data))
    return list(reader), reader  # type: ignore[return-value]


@pytest.mark.parametrize("byteorder", ["<", ">"])
@pytest.mark.parametrize("nanos", [False, True])
def test_byte_orders_and_time_units(byteorder: str, nanos: bool) -> None:
    data = pcap_bytes(list(zip(TIMES, FRAMES, strict=True)), nanos=nanos, byteorder=byteorder)
    got, reader = items(data)
    assert [i.data for i in got] == FRAMES
    expected_ts = TIMES if nanos else [t // 1000 * 1000 for t in TIMES]
    assert [i.ts_ns for i in got] == expected_ts
    assert [i.index for i in got] == [1, 2, 3]
    assert all(i.linktype == 1 and i.interface == 0 for i in got)
    assert reader.info == CaptureInfo("pcap", False)
    assert reader.packets == 3
    assert reader.bytes == len(data)
    assert reader.link_types == [1]
    assert reader.first_ts_ns == expected_ts[0]
    assert reader.last_ts_ns == expected_ts[-1]
    assert reader.anomalies == []


def test_kuznetzov_variant_has_longer_record_headers() -> None:
    got, reader = items(pcap_bytes(FRAMES, kuznetzov=True))
    assert [i.data for i in got] == FRAMES
    assert reader.anomalies == []


def test_orig_len_and_linktype_fcs_bits() -> None:
    data = bytearray(pcap_bytes([(BASE_TS_NS, FRAMES[2][:60], 1500)], linktype=113))
    data[20:24] = struct.pack("<I", 0x1000_0000 | 113)  # FCS-length bits above the type
    got, reader = items(bytes(data))
    assert got[0].orig_len == 1500 and len(got[0].data) == 60
    assert got[0].linktype == 113 and reader.link_types == [113]


def test_header_only_file_has_no_packets() -> None:
    got, reader = items(pcap_bytes([]))
    assert got == [] and reader.packets == 0 and reader.first_ts_ns is None


def test_truncated_record_is_reported_and_earlier_packets_kept() -> None:
    data = pcap_bytes(FRAMES)
    got, reader = items(data[:-10])
    assert len(got) == 2
    assert [a.id for a in reader.anomalies] == ["capture.truncated"]
    assert reader.anomalies[0].frame == 3


def test_impossible_record_length_stops_reading() -> None:
    data = bytearray(pcap_bytes(FRAMES))
    second = 24 + 16 + len(FRAMES[0])
    data[second + 8:second + 12] = struct.pack("<I", 0x7FFF_FFFF)
    got, reader = items(bytes(data))
    assert len(got) == 1
    assert [a.id for a in reader.anomalies] == ["capture.bad_block"]


def test_large_packet_spanning_several_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    from tlslens.capture import reader as reader_module

    monkeypatch.setattr(reader_module, "CHUNK_SIZE", 4096)
    big = eth(ipv4(tcp(bytes(range(256)) * 200)))  # ~51 KB, 12 chunks
    frames = [FRAMES[0], big, FRAMES[1]] * 3
    got, reader = items(pcap_bytes(frames))
    assert [i.data for i in got] == frames
    assert reader.anomalies == []
