"""Values the capture layer hands to the packet layer.

Per-packet values are NamedTuples, not dataclasses: they are made once per packet on
the hot path, and a tuple is the cheapest immutable record CPython has.
"""

from __future__ import annotations

from typing import NamedTuple


class CaptureItem(NamedTuple):
    """One captured packet, as the file stored it."""

    index: int  # 1-based frame number, as Wireshark counts
    ts_ns: int  # capture time, nanoseconds since the Unix epoch (UTC)
    interface: int  # pcapng interface id (0 for pcap)
    linktype: int  # LINKTYPE_* of that interface
    data: bytes | memoryview  # the captured bytes (maybe fewer than orig_len)
    orig_len: int  # the packet's length on the wire


class SecretsItem(NamedTuple):
    """A pcapng Decryption Secrets Block, kept for the decryption layer."""

    index: int  # the number of packets seen before it (the block's position)
    secrets_type: int  # 0x544c534b = TLS key log
    data: bytes


class CaptureInfo(NamedTuple):
    """What the reader learned about the file itself."""

    format: str  # "pcap" | "pcapng"
    compressed: bool
