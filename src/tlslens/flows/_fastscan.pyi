"""Type stub of the optional compiled walk (src/tlslens/flows/_fastscan.c)."""

from collections.abc import Callable
from mmap import mmap
from typing import Any

class Scanner:
    """Walks the records of a pcap or pcapng buffer and takes the fast lane's plain
    packets (see tlslens.flows.lane.FastLane.walker)."""

    def __init__(self, entries: dict[bytes, Any], table: object, session_type: type,
                 deliver: Callable[[Any, int, bytes, int, int], None],
                 synack: Callable[[Any, int, int], None], sweep_every: int,
                 linger_ns: int, shard_k: int = 0, shard_n: int = 1,
                 claims: Any = None,
                 close: Callable[[Any, int], None] | None = None) -> None: ...
    def scan(self, buf: bytes | mmap, pos: int, idx: int, ts: int, little: bool, nanos: bool,
             record_size: int, closing: bool = False, stop: int = -1, /
             ) -> tuple[int, int, int, bytes | None, int]: ...
    def scan_blocks(self, buf: bytes | mmap, pos: int, idx: int, ts: int, little: bool,
                    interfaces: tuple[tuple[int, int, int] | None, ...],
                    closing: bool = False, stop: int = -1, /) -> tuple[int, int, int]: ...

def claim(table: Any, crc: int, k: int, /) -> bool:
    """Whether the claim table's slot of ``crc`` is worker ``k``'s, taking it for ``k``
    when no worker has (see claim_slot in _fastscan.c)."""
