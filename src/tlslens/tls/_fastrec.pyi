"""Type stub of the optional compiled record splitter (src/tlslens/tls/_fastrec.c)."""

from typing import Any

def split(record_type: type, buf: bytes | bytearray, side: int, frame: int, ts_ns: int,
          base: int, skipping: bool, /) -> tuple[list[Any], int, int, int]: ...
