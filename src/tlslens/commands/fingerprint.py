"""``tlslens fingerprint CAPTURE``: one line per TLS connection with its fingerprints.

For scripts and SIEM pipelines: client, server, SNI, JA3, ja3n, JA4, JA3S (the first
ClientHello's and the first ServerHello's, as the JSON report's connection-level
``fingerprints``), as aligned text, JSON (a list) or CSV. Streams: each line is written
as soon as its connection is known.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Iterator
from typing import Any

from tlslens.commands import (
    EXIT_OK,
    UsageError,
    auto_jobs,
    jobs_type,
    line_flusher,
    open_output,
)
from tlslens.report.safe import safe_text

COLUMNS = ("id", "client", "server", "sni", "ja3", "ja3n", "ja4", "ja3s")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    fp = sub.add_parser("fingerprint", help="JA3, ja3n, JA4 and JA3S of every TLS connection, "
                        "one line each")
    fp.add_argument("capture", help="capture file, or '-' for a pcap stream on stdin")
    fp.add_argument("--format", choices=("text", "json", "csv"), default="text",
                    help="output format (default: text)")
    fp.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
    fp.add_argument("-j", "--jobs", type=jobs_type, default=None, metavar="N",
                    help="worker processes for one capture file (0: one per core; default: "
                    "one per core for files over 64 MiB, else 1); the output is the same")
    fp.set_defaults(func=run)


def _row(conn: Any) -> dict[str, Any]:
    fp = conn.fingerprints
    return {"id": conn.id, "client": str(conn.client), "server": str(conn.server),
            "sni": conn.server_name, "ja3": fp.ja3, "ja3n": fp.ja3n, "ja4": fp.ja4,
            "ja3s": fp.ja3s}


def rendered(source: str, jobs: int = 1, fmt: str = "json") -> Iterator[str]:
    """Each TLS connection's row rendered as ``fmt`` (``json``: compact JSON; ``text``,
    ``csv``: the output line without its newline), streaming, in report order.

    Hellos only (``Options(hellos_only=True)``): the rest of each handshake is skipped,
    and each connection comes as its row (``fingerprint_rows``), not a whole connection.
    With ``jobs`` > 1 a capture file is split over processes (tlslens.parallel); the
    workers render the lines, which come back in the same order with the same ids."""
    import orjson

    from tlslens.capture.reader import CaptureFormatError
    from tlslens.parallel import iter_rendered
    from tlslens.pipeline import Options, RunState

    fingerprint_cells: dict[int, tuple[Any, str]] = {}

    def text_line(conn: Any) -> str:
        # The cells of COLUMNS, in order, without a row dict. The four fingerprint
        # cells are the same for every connection that shares its (cached) Fingerprints
        # object: joined once per object (the entry keeps it, so its address stays its).
        fp = conn.fingerprints
        hit = fingerprint_cells.get(id(fp))
        if hit is None or hit[0] is not fp:
            if len(fingerprint_cells) >= 4096:
                fingerprint_cells.clear()
            hit = fingerprint_cells[id(fp)] = (fp, " ".join(
                [_text_cell(v) for v in (fp.ja3, fp.ja3n, fp.ja4, fp.ja3s)]))
        return (f"{conn.id} {_text_cell(conn.client)} {_text_cell(conn.server)} "
                f"{_text_cell(conn.server_name)} {hit[1]}")

    def csv_line(conn: Any) -> str:
        buf = io.StringIO()
        csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="").writerow(
            {k: "" if v is None else v for k, v in _row(conn).items()})
        return buf.getvalue()

    def json_row(conn: Any) -> str:
        return orjson.dumps(_row(conn)).decode()

    # The id leads a text or CSV line; in JSON it is the first member.
    render, token = ((text_line, str) if fmt == "text" else (csv_line, str) if fmt == "csv"
                     else (json_row, lambda n: f'"id":{n}'))
    it = iter_rendered(source, jobs, RunState(),
                       Options(hellos_only=True, fingerprint_rows=True), render, token)
    while True:
        try:
            text = next(it)
        except StopIteration:
            return
        except CaptureFormatError as exc:
            raise UsageError(str(exc)) from exc
        yield text


def rows(source: str, jobs: int = 1) -> Iterator[dict[str, Any]]:
    """One flat row per TLS connection (the same fields in every format), streaming."""
    import orjson

    for text in rendered(source, jobs):
        yield orjson.loads(text)


def _text_cell(value: Any) -> str:
    return "-" if value is None else safe_text(value).replace(" ", "\\x20")


def run(args: argparse.Namespace) -> int:
    import itertools

    jobs = args.jobs if args.jobs is not None else auto_jobs(args.capture)
    it = rendered(args.capture, jobs, args.format)
    first = list(itertools.islice(it, 1))  # unusable input fails before any output
    lines = itertools.chain(first, it)
    out = open_output(args.output)
    try:
        if args.format == "json":
            import orjson

            items = [orjson.loads(text) for text in lines]
            out.write(json.dumps(items, indent=2, ensure_ascii=False) + "\n")
        else:
            out.write((" " if args.format == "text" else ",").join(COLUMNS) + "\n")
            flush = line_flusher(out)
            for line in lines:
                out.write(line + "\n")
                if flush is not None:
                    flush()
    finally:
        if out is not sys.stdout:
            out.close()
    return EXIT_OK
