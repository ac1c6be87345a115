"""``tlslens analyze CAPTURE``: the full report of every TLS connection in a capture."""

from __future__ import annotations

import argparse
import sys

from tlslens.commands import EXIT_OK, UsageError, add_lang_option, open_output


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    an = sub.add_parser("analyze", help="analyse a capture file (pcap, pcapng, .gz; '-' for "
                        "standard input)")
    an.add_argument("capture", help="capture file, or '-' to read a pcap stream from stdin")
    an.add_argument("--format", choices=("text", "json", "html", "ndjson"), default="text",
                    help="report format (default: text); html: one self-contained page; "
                    "ndjson: one JSON connection per line, written as each is known")
    an.add_argument("-o", "--output", metavar="FILE", help="write the report to FILE")
    add_lang_option(an)
    an.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                    help="colour in the text report (default: auto)")
    an.add_argument("-q", "--quiet", action="store_true",
                    help="no progress display on stderr")
    from tlslens.crypto.cli import add_arguments as add_key_arguments

    add_key_arguments(an)
    an.set_defaults(func=run)


def _stream(source: str, options=None):  # type: ignore[no-untyped-def]
    """(connections iterator, finish) for ``source``; finish() gives the header result.

    The first connection is pulled here so that unusable input fails before any output
    is written, as a one-line UsageError."""
    import itertools

    from tlslens.analysis.model import AnalysisResult
    from tlslens.capture.reader import CaptureFormatError
    from tlslens.pipeline import RunState, iter_connections, stats_of

    run_state = RunState()
    it = iter_connections(source, run_state, options)
    try:
        first = list(itertools.islice(it, 1))
    except CaptureFormatError as exc:
        raise UsageError(str(exc)) from exc
    except FileNotFoundError as exc:
        raise UsageError(f"{source}: no such file") from exc
    except IsADirectoryError as exc:
        raise UsageError(f"{source}: is a directory, not a capture file") from exc
    except PermissionError as exc:
        raise UsageError(f"{source}: permission denied") from exc

    def finish() -> AnalysisResult:
        assert run_state.summary is not None
        return AnalysisResult(capture=run_state.summary, connections=(),
                              stats=stats_of(run_state), anomalies=tuple(run_state.anomalies))

    return itertools.chain(first, it), finish


def run(args: argparse.Namespace) -> int:
    from tlslens.report.i18n import default_lang
    from tlslens.report.progress import progress_for
    from tlslens.report.stream import write_json, write_spooled

    progress = progress_for(args.capture, args.output, quiet=args.quiet)
    from tlslens.crypto.cli import apply as apply_key_options

    options = progress.options()
    apply_key_options(args, options)
    connections, finish = _stream(args.capture, options)
    lang = args.lang or default_lang()
    out = open_output(args.output)
    try:
        if args.format == "ndjson":
            _write_ndjson(connections, out, lang)
        elif args.format == "html":
            from tlslens.report.html import write_html

            conns = tuple(connections)
            write_html(_with(finish(), conns), out, lang=lang)
        elif args.format == "json":
            from tlslens.report.json_report import connection_to_dict

            write_json(connections, finish, out,
                       lambda conn: connection_to_dict(conn, lang))
        else:
            from tlslens.report.text import TextReport, make_console

            color = {"always": True, "never": False, "auto": None}[args.color]
            if out is not sys.stdout and color is None:
                color = False
            if color is None:
                color = out.isatty()
            report = TextReport(lang)

            def render(conn, spool):  # type: ignore[no-untyped-def]
                console = make_console(spool, color)
                for line in report.connection_lines(conn):
                    console.print(line)

            def header(result, dest):  # type: ignore[no-untyped-def]
                console = make_console(dest, color)
                for line in report.header_lines(result):
                    console.print(line)

            write_spooled(connections, finish, out, render, header)
    finally:
        progress.close()
        if out is not sys.stdout:
            out.close()
    return EXIT_OK


def _write_ndjson(connections, out, lang="en") -> None:  # type: ignore[no-untyped-def]
    """One connection object per line (the JSON report's schema), flushed as it comes."""
    from tlslens.report.json_report import connection_to_dict, encode

    for conn in connections:
        out.write(encode(connection_to_dict(conn, lang), indent=False) + "\n")
        out.flush()


def _with(result, connections):  # type: ignore[no-untyped-def]
    """The header-only result of :func:`_stream` with its connections put back (for HTML)."""
    import dataclasses

    return dataclasses.replace(result, connections=connections)
