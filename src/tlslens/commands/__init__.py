"""Sub-commands of the ``tlslens`` CLI: one module each, each with ``register(sub)``.

A command module adds its parser with ``register(subparsers)`` and sets
``func=run`` on it; ``run(args) -> int`` returns the exit code. Shared error handling
(one line, never a traceback) lives in :mod:`tlslens.cli`.
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Callable, Iterable
from typing import IO, Any

from tlslens.writev import write_all

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USAGE = 2

#: Modules providing sub-commands, in --help order. Each must define register(sub).
COMMAND_MODULES = ("analyze", "fingerprint", "capture", "diff", "batch")


class UsageError(Exception):
    """A bad argument or unusable input: the CLI prints one line and exits 2."""


def open_output(path: str | None) -> IO[str]:
    """The report's destination: stdout for None or '-', else the file (UTF-8)."""
    if path is None or path == "-":
        return sys.stdout
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from exc


def line_flusher(out: IO[Any]) -> Callable[[], None] | None:
    """``out.flush`` when each line should leave at once, else None.

    A terminal, a pipe or a socket has a reader waiting for each connection's line
    (``tlslens ... | jq``, a live stream); a file or ``/dev/null`` is read afterwards,
    and a flush per line there is only a system call per connection."""
    import os
    import stat

    try:
        if out.isatty():
            return out.flush
        mode = os.fstat(out.fileno()).st_mode
    except (OSError, ValueError, AttributeError, io.UnsupportedOperation):
        return out.flush  # not a real file (a test's StringIO, ...): as before
    return out.flush if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) else None


#: Bytes gathered before one write when lines need not leave one by one. Small: the lines
#: are freed after each write, and freeing much more than glibc's trim threshold (128 KiB
#: by default) at once gives the memory back to the system, to be faulted in again for
#: the next lines (at 1 MiB: some 45,000 page faults in the parent on the issue-9
#: capture; at 64 KiB none of those, for 4,000 writev calls instead of 250).
WRITE_CHUNK = 1 << 16


def write_byte_lines(lines: Iterable[bytes], out: IO[str]) -> None:
    """Each of ``lines`` (UTF-8, without newline) and a newline, to ``out``.

    Straight to the byte buffer under ``out``: the NDJSON report is some 12 KB a
    connection (250 MB on the issue-9 capture), and decoding it to text only for the text
    layer to encode it back was a visible share of a run. Lines are gathered into writes
    of WRITE_CHUNK bytes (one writev, no joined copy: :mod:`tlslens.writev`), unless a
    reader waits for each (:func:`line_flusher`)."""
    buffer = getattr(out, "buffer", None)
    if buffer is None:  # a text-only stream (a test's StringIO)
        text_flush = line_flusher(out)
        for line in lines:
            out.write(line.decode("utf-8") + "\n")
            if text_flush is not None:
                text_flush()
        return
    out.flush()  # anything already written through the text layer goes first
    flush = line_flusher(buffer)
    if flush is None:  # a file: gathered lines go to its descriptor with writev
        buffer.flush()

        def write(pieces: list[bytes]) -> None:
            write_all(buffer.fileno(), pieces)
    else:
        flush_line = flush

        def write(pieces: list[bytes]) -> None:
            buffer.write(b"".join(pieces))
            flush_line()
    pending: list[bytes] = []
    size = 0
    try:
        for line in lines:
            pending += (line, b"\n")
            size += len(line) + 1
            if flush is not None or size >= WRITE_CHUNK:
                write(pending)
                pending, size = [], 0
    finally:  # the lines made before an error are written all the same
        if pending:
            write(pending)
        buffer.flush()


def add_lang_option(parser: argparse.ArgumentParser) -> None:
    from tlslens.report.i18n import CATALOGUES

    parser.add_argument("--lang", choices=sorted(CATALOGUES), default=None,
                        help="report language (default: from the locale)")


def jobs_type(value: str) -> int:
    """``--jobs N``: a count of worker processes; 0 means one per core."""
    import os

    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {value!r}") from None
    if n < 0:
        raise argparse.ArgumentTypeError("must be 0 (one per core) or more")
    return n or (os.cpu_count() or 1)


#: Below this size forking workers costs more than it saves.
AUTO_JOBS_MIN_BYTES = 64 * 1024 * 1024


def auto_jobs(source: str) -> int:
    """The default --jobs: every core for a big capture file, one process otherwise."""
    import os

    try:
        big = source != "-" and os.path.getsize(source) >= AUTO_JOBS_MIN_BYTES
    except OSError:
        return 1
    return (os.cpu_count() or 1) if big else 1
