"""Sub-commands of the ``tlslens`` CLI: one module each, each with ``register(sub)``.

A command module adds its parser with ``register(subparsers)`` and sets
``func=run`` on it; ``run(args) -> int`` returns the exit code. Shared error handling
(one line, never a traceback) lives in :mod:`tlslens.cli`.
"""

from __future__ import annotations

import argparse
import sys
from typing import IO

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
