"""Type stub of the optional compiled hand-over of whole records (src/tlslens/tls/_fastsession.c)."""

from typing import Any

def whole_records(session: Any, stream: Any, side: int, data: bytes, frame: int,
                  ts_ns: int, /) -> bool: ...
def configure(record_type: type, entry_type: type, known_messages: bytes, max_record: int,
              max_messages: int, max_handshake_length: int, /) -> None: ...
