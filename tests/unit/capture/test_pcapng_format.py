"""pcapng: sections, byte orders, interfaces, timestamps, packet and secrets blocks."""

from __future__ import annotations

import struct

import pytest

from tests.pcapwriter import BASE_TS_NS, Pcapng, eth, ipv4, ipv6, null, stream, tcp
from tlslens.capture.reader import CaptureReader, open_capture
from tlslens.capture.types import CaptureInfo, CaptureItem, SecretsItem

F1 = eth(ipv4(tcp(b"hello")))
F2 = null(ipv6(tcp(b"world")))
TS = BASE_TS_NS + 987_654_321


def read(png: Pcapng | bytes) -> tuple[list[CaptureItem | SecretsItem], CaptureReader]:
    data = png.to_bytes() if isinstance(png, Pcapng) else png
    reader = open_capture(stream(data))
    return list(reader), reader


@pytest.mark.parametrize("byteorder", ["<", ">"])
def test_epb_on_two_interfaces(byteorder: str) -> None:
    png = Pcapng(byteorder)
    a = png.interface(1)
    b = png.interface(0, tsresol=9)
    png.packet(F1, iface=a, ts_ns=TS).packet(F2, iface=b, ts_ns=TS + 1)
    got, reader = read(png)
    assert [(i.index, i.interface, i.linktype, i.data) for i in got] == [
        (1, 0, 1, F1), (2, 1, 0, F2)]
    assert [i.ts_ns for i in got] == [TS // 1000 * 1000, TS + 1]
    assert reader.info == CaptureInfo("pcapng", False)
    assert reader.link_types == [0, 1]
    assert reader.packets == 2 and reader.anomalies == []


@pytest.mark.parametrize(("tsresol", "expected"), [
    (6, TS // 1000 * 1000), (9, TS), (3, TS // 1_000_000 * 1_000_000),
    (0x80 | 30, None),  # 2^-30 s units: within one unit of TS
])
def test_if_tsresol(tsresol: int, expected: int | None) -> None:
    png = Pcapng()
    png.interface(1, tsresol=tsresol)
    png.packet(F1, ts_ns=TS)
    (item,), _ = read(png)
    assert isinstance(item, CaptureItem)
    if expected is None:
        assert abs(item.ts_ns - TS) <= 1
    else:
        assert item.ts_ns == expected


def test_if_tsoffset_is_added() -> None:
    png = Pcapng()
    png.interface(1, tsoffset=1_000_000)
    png.packet(F1, ts_ns=TS)
    (item,), _ = read(png)
    assert item.ts_ns == TS // 1000 * 1000  # the writer subtracted it, the reader adds it


def test_sections_switch_byte_order_and_reset_interfaces() -> None:
    png = Pcapng("<")
    png.interface(1)
    png.packet(F1)
    png.section(">")
    png.interface(0)
    png.packet(F2)
    got, reader = read(png)
    assert [(i.index, i.linktype, i.data) for i in got] == [(1, 1, F1), (2, 0, F2)]
    assert reader.link_types == [0, 1] and reader.anomalies == []


def test_simple_packet_block_uses_interface_zero_snaplen() -> None:
    png = Pcapng()
    png.interface(1, snaplen=20)
    png.simple_packet(F1)
    png.interface(0)  # a second interface does not matter to SPBs
    png.simple_packet(F1[:12], orig_len=1000)
    got, reader = read(png)
    assert [(i.linktype, i.data, i.orig_len, i.interface) for i in got] == [
        (1, F1[:20], len(F1), 0), (1, F1[:12], 1000, 0)]
    assert reader.anomalies == []


def test_obsolete_packet_block() -> None:
    png = Pcapng(">")
    png.interface(0)
    png.interface(1)
    png.legacy_packet(F1, iface=1, ts_ns=TS)
    (item,), reader = read(png)
    assert (item.interface, item.linktype, item.data, item.ts_ns) == (1, 1, F1,
                                                                      TS // 1000 * 1000)
    assert reader.anomalies == []


def test_decryption_secrets_block() -> None:
    keylog = b"CLIENT_RANDOM " + b"ab" * 32 + b" " + b"cd" * 48 + b"\n"
    png = Pcapng()
    png.interface(1)
    png.packet(F1)
    png.secrets(keylog + b"x")  # odd length: padded in the file, exact in the item
    png.packet(F1)
    got, reader = read(png)
    assert isinstance(got[1], SecretsItem)
    assert got[1] == SecretsItem(1, 0x544C534B, keylog + b"x")
    assert [i.index for i in got if isinstance(i, CaptureItem)] == [1, 2]
    assert reader.packets == 2


def test_unknown_blocks_are_skipped_with_one_anomaly_per_type() -> None:
    png = Pcapng()
    png.interface(1)
    png.raw_block(0x1234, b"abcd").packet(F1).raw_block(0x1234, b"").raw_block(0x99, b"z")
    png.raw_block(5, bytes(16))  # an Interface Statistics Block: known, skipped quietly
    png.packet(F1)
    got, reader = read(png)
    assert len(got) == 2
    assert [a.id for a in reader.anomalies] == ["capture.unknown_block"] * 2
    assert "0x00001234" in reader.anomalies[0].detail


def test_packet_for_undescribed_interface() -> None:
    png = Pcapng()
    png.interface(1)
    png.packet(F1, iface=3).packet(F1, iface=3).packet(F1, iface=0)
    got, reader = read(png)
    assert [i.index for i in got] == [1]
    assert [a.id for a in reader.anomalies] == ["capture.bad_interface"]


def test_spb_without_interface() -> None:
    png = Pcapng()
    png.simple_packet(F1)
    got, reader = read(png)
    assert got == [] and [a.id for a in reader.anomalies] == ["capture.bad_interface"]


def test_epb_whose_caplen_does_not_fit_is_skipped() -> None:
    png = Pcapng()
    png.interface(1)
    png.packet(F1)
    bad = bytearray(png.blocks[-1])
    bad[20:24] = struct.pack("<I", 10_000)  # captured length
    png.blocks[-1] = bytes(bad)
    png.packet(F2)
    got, reader = read(png)
    assert [i.data for i in got] == [F2]
    assert [a.id for a in reader.anomalies] == ["capture.bad_block"]


@pytest.mark.parametrize("length", [7, 13, 64 * 1024 * 1024 + 4])
def test_impossible_block_length_stops(length: int) -> None:
    png = Pcapng()
    png.interface(1)
    png.packet(F1)
    png.blocks.append(struct.pack("<II", 6, length) + bytes(40))
    png.packet(F1)
    got, reader = read(png)
    assert len(got) == 1
    assert [a.id for a in reader.anomalies] == ["capture.bad_block"]


def test_trailing_length_mismatch_stops() -> None:
    png = Pcapng()
    png.interface(1)
    png.packet(F1)
    block = bytearray(png.blocks[-1])
    block[-4:] = struct.pack("<I", len(block) + 4)
    png.blocks[-1] = bytes(block)
    got, reader = read(png)
    assert got == [] and [a.id for a in reader.anomalies] == ["capture.bad_block"]


def test_later_section_with_bad_version_stops() -> None:
    png = Pcapng()
    png.interface(1)
    png.packet(F1)
    png.section(major=2)
    png.interface(1)
    png.packet(F1)
    got, reader = read(png)
    assert len(got) == 1 and [a.id for a in reader.anomalies] == ["capture.bad_block"]
