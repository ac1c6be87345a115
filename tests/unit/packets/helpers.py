"""Shared helpers for the packet-layer tests."""

from __future__ import annotations

from tests.pcapwriter import BASE_TS_NS
from tlslens.capture.types import CaptureItem
from tlslens.packets.decoder import PacketDecoder
from tlslens.packets.types import TcpSegment


def item(frame: bytes, linktype: int = 1, index: int = 1, orig_len: int | None = None
         ) -> CaptureItem:
    return CaptureItem(index, BASE_TS_NS + index, 0, linktype, frame,
                       len(frame) if orig_len is None else orig_len)


def decode(frame: bytes, linktype: int = 1, orig_len: int | None = None
           ) -> tuple[TcpSegment | None, PacketDecoder]:
    """Decode one frame with a fresh decoder; also checks the general path agrees."""
    dec = PacketDecoder()
    it = item(frame, linktype, orig_len=orig_len)
    seg = dec.decode(it)
    if seg is not None:
        assert PacketDecoder()._decode(it) == seg, "fast and general paths disagree"
    return seg, dec


def ids(dec: PacketDecoder) -> list[str]:
    return [a.id for a in dec.anomalies]
