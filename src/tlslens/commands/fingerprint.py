"""``tlslens fingerprint CAPTURE``: one line per TLS connection with its fingerprints.

For scripts and SIEM pipelines: client, server, SNI, JA3, ja3n, JA4, JA3S (the first
ClientHello's and the first ServerHello's, as the JSON report's connection-level
``fingerprints``), as aligned text, JSON (a list) or CSV. Streams: each line is written
as soon as its connection is known.
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Iterator
from typing import Any

from tlslens.commands import EXIT_OK, UsageError, open_output

COLUMNS = ("id", "client", "server", "sni", "ja3", "ja3n", "ja4", "ja3s")


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    fp = sub.add_parser("fingerprint", help="JA3, ja3n, JA4 and JA3S of every TLS connection, "
                        "one line each")
    fp.add_argument("capture", help="capture file, or '-' for a pcap stream on stdin")
    fp.add_argument("--format", choices=("text", "json", "csv"), default="text",
                    help="output format (default: text)")
    fp.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
    fp.set_defaults(func=run)


def rows(source: str) -> Iterator[dict[str, Any]]:
    """One flat row per TLS connection (the same fields in every format)."""
    from tlslens.analysis.model import TlsConnection
    from tlslens.capture.reader import CaptureFormatError
    from tlslens.pipeline import iter_connections

    it = iter_connections(source)
    while True:
        try:
            conn: TlsConnection = next(it)
        except StopIteration:
            return
        except CaptureFormatError as exc:
            raise UsageError(str(exc)) from exc
        fp = conn.fingerprints
        yield {"id": conn.id, "client": str(conn.client), "server": str(conn.server),
               "sni": conn.server_name, "ja3": fp.ja3, "ja3n": fp.ja3n, "ja4": fp.ja4,
               "ja3s": fp.ja3s}


def _text_cell(value: Any) -> str:
    from tlslens.report.safe import safe_text

    return "-" if value is None else safe_text(value).replace(" ", "\\x20")


def run(args: argparse.Namespace) -> int:
    import itertools

    it = rows(args.capture)
    first = list(itertools.islice(it, 1))  # unusable input fails before any output
    all_rows = itertools.chain(first, it)
    out = open_output(args.output)
    try:
        if args.format == "json":
            items = list(all_rows)
            out.write(json.dumps(items, indent=2, ensure_ascii=False) + "\n")
        elif args.format == "csv":
            writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
            writer.writeheader()
            for row in all_rows:
                writer.writerow({k: "" if v is None else v for k, v in row.items()})
        else:
            out.write(" ".join(COLUMNS) + "\n")
            for row in all_rows:
                out.write(" ".join(_text_cell(row[k]) for k in COLUMNS) + "\n")
                out.flush()
    finally:
        if out is not sys.stdout:
            out.close()
    return EXIT_OK
