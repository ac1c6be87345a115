"""``tlslens analyze CAPTURE``: the full report of every TLS connection in a capture."""

from __future__ import annotations

import argparse
import sys

from tlslens.commands import (
    EXIT_OK,
    UsageError,
    add_lang_option,
    auto_jobs,
    jobs_type,
    open_output,
    write_byte_lines,
)


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
    an.add_argument("-j", "--jobs", type=jobs_type, default=None, metavar="N",
                    help="worker processes for one capture file (0: one per core; default: "
                    "one per core for files over 64 MiB, else 1); the report is the same, "
                    "byte for byte")
    from tlslens.crypto.cli import add_arguments as add_key_arguments

    add_key_arguments(an)
    an.set_defaults(func=run)


def _stream(source: str, options, jobs: int, render, id_token):  # type: ignore[no-untyped-def]
    """(rendered connections iterator, finish) for ``source``; finish() gives the header.

    The first connection is pulled here so that unusable input fails before any output
    is written, as a one-line UsageError."""
    import itertools

    from tlslens.analysis.model import AnalysisResult
    from tlslens.capture.reader import CaptureFormatError
    from tlslens.parallel import iter_rendered
    from tlslens.pipeline import RunState, stats_of

    run_state = RunState()
    it = iter_rendered(source, jobs, run_state, options, render, id_token)
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
    from tlslens.crypto.cli import apply as apply_key_options
    from tlslens.report.i18n import default_lang
    from tlslens.report.progress import progress_for
    from tlslens.report.stream import write_json, write_spooled

    progress = progress_for(args.capture, args.output, quiet=args.quiet)
    options = progress.options()
    apply_key_options(args, options)
    lang = args.lang or default_lang()
    jobs = args.jobs if args.jobs is not None else auto_jobs(args.capture)
    if options.export_plaintext:
        if args.jobs is not None and args.jobs > 1:
            raise UsageError("--export-plaintext needs --jobs 1 (files are named by "
                             "connection)")
        jobs = 1
    if args.format == "html":
        jobs = 1  # the page is drawn from the connection objects, not from texts
    out = open_output(args.output)
    try:
        if args.format == "json":
            from tlslens.report.json_report import connection_to_dict, encode

            def render_json(conn):  # type: ignore[no-untyped-def]
                # encoded at once and dropped: no copies of the shared decoded values
                return encode(connection_to_dict(conn, lang, copy=False))

            texts, finish = _stream(args.capture, options, jobs, render_json,
                                    lambda n: f'"id": {n}')
            write_json(texts, finish, out)
        elif args.format == "ndjson":
            from tlslens.report.json_report import connection_json

            def render_line(conn):  # type: ignore[no-untyped-def]
                return connection_json(conn, lang)

            lines, _ = _stream(args.capture, options, jobs, render_line,
                               lambda n: b'"id":%d' % n)
            # one line per connection, as soon as it is known
            write_byte_lines(lines, out)
        elif args.format == "html":
            from tlslens.report.html import write_html

            conns: list = []  # type: ignore[type-arg]  # the page needs the objects

            def keep(conn):  # type: ignore[no-untyped-def]
                conns.append(conn)
                return ""

            texts, finish = _stream(args.capture, options, 1, keep, str)
            for _ in texts:
                pass
            write_html(_with(finish(), tuple(conns)), out, lang=lang)
        else:
            import io

            from tlslens.report.text import TextReport, make_console

            color = {"always": True, "never": False, "auto": None}[args.color]
            if out is not sys.stdout and color is None:
                color = False
            if color is None:
                color = out.isatty()
            report = TextReport(lang)

            def render_text(conn):  # type: ignore[no-untyped-def]
                buf = io.StringIO()
                console = make_console(buf, color)
                for line in report.connection_lines(conn):
                    console.print(line)
                return buf.getvalue()

            def header(result, dest):  # type: ignore[no-untyped-def]
                console = make_console(dest, color)
                for line in report.header_lines(result):
                    console.print(line)

            texts, finish = _stream(args.capture, options, jobs, render_text,
                                    lambda n: f"#{n}")
            write_spooled(texts, finish, out, header)
    finally:
        progress.close()
        if out is not sys.stdout:
            out.close()
    return EXIT_OK


def _with(result, connections):  # type: ignore[no-untyped-def]
    """The header-only result of :func:`_stream` with its connections put back (for HTML)."""
    import dataclasses

    return dataclasses.replace(result, connections=connections)
