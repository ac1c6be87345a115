"""Type stub of the optional compiled walk (src/tlslens/flows/_fastscan.c)."""

from collections.abc import Callable
from typing import Any

class Scanner:
    """Walks the records of a classic pcap buffer and takes the fast lane's plain
    packets (see tlslens.flows.lane.FastLane.scanner)."""

    def __init__(self, entries: dict[bytes, Any], table: object,
                 session_type: type, deliver: Callable[[Any, int, bytes, int, int], None],
                 little: bool, nanos: bool, record_size: int, sweep_every: int,
                 linger_ns: int) -> None: ...
    def scan(self, buf: bytes, pos: int, idx: int, ts: int, /
             ) -> tuple[int, int, int, bytes | None, int]: ...
