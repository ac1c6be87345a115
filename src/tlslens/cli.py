"""The ``tlslens`` command line.

Exit codes (documented in the README): 0 analysis done; 2 bad arguments, or the input
is missing, unreadable or not a capture (one line on stderr, never a traceback);
1 an internal error (a bug: one line, with ``--debug`` the traceback).
"""

from __future__ import annotations

import argparse
import io
import sys
from collections.abc import Sequence
from typing import IO, NoReturn

from tlslens import __version__

EXIT_OK = 0
EXIT_BUG = 1
EXIT_USAGE = 2


class _Parser(argparse.ArgumentParser):
    """argparse, but errors are one line (no usage dump) and exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"tlslens: error: {message} (see 'tlslens --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="tlslens", description="Decode, explain and judge every TLS "
                     "handshake in a packet capture.")
    parser.add_argument("--version", action="version", version=f"tlslens {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    an = sub.add_parser("analyze", help="analyse a capture file (pcap, pcapng, .gz; '-' for "
                        "standard input)")
    an.add_argument("capture", help="capture file, or '-' to read a pcap stream from stdin")
    an.add_argument("--format", choices=("text", "json"), default="text",
                    help="report format (default: text)")
    an.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")
    an.add_argument("--lang", choices=("en",), default=None,
                    help="report language (default: from the locale)")
    an.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                    help="colour in the text report (default: auto)")
    an.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    return parser


def _open_output(path: str | None) -> IO[str]:
    if path is None or path == "-":
        return sys.stdout
    return open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed by the caller


def cmd_analyze(args: argparse.Namespace) -> int:
    from tlslens.capture.reader import CaptureFormatError
    from tlslens.pipeline import analyze
    from tlslens.report.i18n import default_lang

    source = args.capture
    try:
        result = analyze(source)
    except CaptureFormatError as exc:
        return _fail(str(exc))
    except FileNotFoundError:
        return _fail(f"{source}: no such file")
    except IsADirectoryError:
        return _fail(f"{source}: is a directory, not a capture file")
    except PermissionError:
        return _fail(f"{source}: permission denied")
    try:
        out = _open_output(args.output)
    except OSError as exc:
        return _fail(f"{args.output}: cannot write: {exc.strerror or exc}")
    try:
        if args.format == "json":
            from tlslens.report.json_report import dumps

            out.write(dumps(result.to_dict()))
        else:
            from tlslens.report.text import write_text

            color = {"always": True, "never": False, "auto": None}[args.color]
            if out is not sys.stdout and color is None:
                color = False
            write_text(result, out, lang=args.lang or default_lang(), color=color)
    finally:
        if out is not sys.stdout:
            out.close()
    return EXIT_OK


def _fail(message: str) -> int:
    print(f"tlslens: error: {message}", file=sys.stderr)
    return EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "analyze":
            return cmd_analyze(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, exit 1
        if getattr(args, "debug", False):
            raise
        print(f"tlslens: internal error: {type(exc).__name__}: {exc} "
              "(please report it; --debug shows the traceback)", file=sys.stderr)
        return EXIT_BUG
    return EXIT_USAGE


def _silence_stdout() -> None:
    """After a closed pipe (``tlslens ... | head``), keep Python from complaining at exit."""
    try:
        sys.stdout = io.TextIOWrapper(io.BytesIO())
    except Exception:  # noqa: BLE001, S110
        pass


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
