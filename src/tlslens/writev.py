"""Write a list of buffers to a file descriptor in full, without joining them first.

Why: the big outputs (a worker's batch of rendered connections, the NDJSON report's
lines) are many pieces of some kilobytes. Joining them into one buffer before writing
copies every byte once more, and a buffer of a megabyte or more is a fresh memory mapping
each time, which the kernel faults in page by page (on the issue-9 capture that was
some 65,000 page faults for 250 MB of NDJSON). ``os.writev`` hands the pieces to the
kernel as they are.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

#: Pieces per writev() call (Linux's IOV_MAX is 1024).
IOV_MAX = 512


def write_all(fd: int, pieces: Sequence[bytes | bytearray | memoryview]) -> None:
    """Every byte of ``pieces``, in order (a write that goes out in part is resumed)."""
    todo: list[bytes | bytearray | memoryview] = list(pieces)
    start = 0
    while start < len(todo):
        written = os.writev(fd, todo[start:start + IOV_MAX])
        while start < len(todo) and written >= len(todo[start]):
            written -= len(todo[start])
            start += 1
        if written:  # a piece went out in part: the rest of it comes first next time
            todo[start] = memoryview(todo[start])[written:]
