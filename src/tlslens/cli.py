"""The ``tlslens`` command line: builds the parser from :mod:`tlslens.commands`.

Exit codes (documented in the README): 0 done; 2 bad arguments, or the input is
missing, unreadable or not a capture (one line on stderr, never a traceback); 1 an
internal error (a bug: one line; ``--debug`` shows the traceback); 130 interrupted.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import sys
from collections.abc import Sequence
from typing import NoReturn

from tlslens import __version__
from tlslens.commands import COMMAND_MODULES, EXIT_BUG, EXIT_USAGE, UsageError

#: The cyclic collector's first-generation threshold during a run (Python's default: 700).
#: An analysis allocates millions of small objects and almost no reference cycles;
#: collecting every 700 allocations cost 5-8 % of ``tlslens fingerprint``
#: (benchmarks/README.md). At 20,000 the issue-9 analysis still spent 0.19 s in 15
#: collections; at 100,000 (with connections built in batches), 0.10 s in six, which
#: freed 214 objects in all (0.30 s in eight on four times the capture); at 500,000 none
#: is due on the issue-9 capture or on four times it, with the same peak RSS (81 MiB on
#: twice the capture, 86 MiB on four times, 62 MiB on a capture with 25,000 flipped
#: bytes). Cycles are still collected, only less often.
GC_THRESHOLD = 500_000


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage dump) and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"tlslens: error: {message} (see 'tlslens --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tlslens", description="Decode, explain and judge every TLS "
                     "handshake in a packet capture.")
    parser.add_argument("--version", action="version", version=f"tlslens {__version__}")
    parser.add_argument("--debug", action="store_true",
                        help="show tracebacks of internal errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    for name in COMMAND_MODULES:
        importlib.import_module(f"tlslens.commands.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _tune_gc()
    try:
        return int(args.func(args))
    except UsageError as exc:
        print(f"tlslens: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return 0
    except Exception as exc:
        if args.debug:
            raise
        print(f"tlslens: internal error: {type(exc).__name__}: {exc} "
              "(please report it; --debug shows the traceback)", file=sys.stderr)
        return EXIT_BUG


def _tune_gc() -> None:
    """Fewer collections for the run (GC_THRESHOLD); the objects of the modules imported so
    far are moved out of the collector's sight (gc.freeze): they live as long as the
    process, and rescanning them in every full collection is pure cost."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_THRESHOLD, older, oldest)


def _silence_stdout() -> None:
    """After a closed pipe (``tlslens ... | head``), keep Python quiet at exit."""
    try:
        sys.stdout = io.TextIOWrapper(io.BytesIO())
    except Exception:  # noqa: BLE001, S110
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
