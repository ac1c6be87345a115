"""``tlslens analyze CAPTURE``: the full report of every TLS connection in a capture."""

from __future__ import annotations

import argparse
import sys

from tlslens.commands import EXIT_OK, UsageError, add_lang_option, open_output


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    an = sub.add_parser("analyze", help="analyse a capture file (pcap, pcapng, .gz; '-' for "
                        "standard input)")
    an.add_argument("capture", help="capture file, or '-' to read a pcap stream from stdin")
    an.add_argument("--format", choices=("text", "json"), default="text",
                    help="report format (default: text)")
    an.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")
    add_lang_option(an)
    an.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                    help="colour in the text report (default: auto)")
    an.set_defaults(func=run)


def load(source: str):  # type: ignore[no-untyped-def]
    """Analyse ``source``, turning unusable input into a one-line UsageError."""
    from tlslens.capture.reader import CaptureFormatError
    from tlslens.pipeline import analyze

    try:
        return analyze(source)
    except CaptureFormatError as exc:
        raise UsageError(str(exc)) from exc
    except FileNotFoundError as exc:
        raise UsageError(f"{source}: no such file") from exc
    except IsADirectoryError as exc:
        raise UsageError(f"{source}: is a directory, not a capture file") from exc
    except PermissionError as exc:
        raise UsageError(f"{source}: permission denied") from exc


def run(args: argparse.Namespace) -> int:
    from tlslens.report.i18n import default_lang

    result = load(args.capture)
    out = open_output(args.output)
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
