"""``tlslens diff A B``: what differs between two handshakes.

A and B are each a capture (its first TLS connection) or ``CAPTURE#ID`` (connection ID
of that capture, as the reports number them). Output: text (default), JSON or HTML.
The exit code is 0 whether or not they differ (1 is reserved for internal errors).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import IO

from tlslens.analysis.diff import HandshakeDiff, diff_connections
from tlslens.analysis.model import TlsConnection
from tlslens.commands import EXIT_OK, UsageError, add_lang_option, open_output
from tlslens.report.i18n import Translator, default_lang


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("diff", help="compare two handshakes (CAPTURE or CAPTURE#ID each)")
    p.add_argument("a", metavar="A", help="capture (its first TLS connection) or CAPTURE#ID")
    p.add_argument("b", metavar="B", help="capture (its first TLS connection) or CAPTURE#ID")
    p.add_argument("--format", choices=("text", "json", "html"), default="text",
                   help="output format (default: text)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE")
    p.add_argument("--all", action="store_true", help="text: list equal aspects too")
    add_lang_option(p)
    p.set_defaults(func=run)


def split_spec(spec: str) -> tuple[str, int | None]:
    """``CAPTURE#ID`` -> (CAPTURE, ID); a plain path (even one holding '#') -> (path, None)."""
    path, sep, ident = spec.rpartition("#")
    if sep and ident.isdigit() and not os.path.exists(spec):
        return path, int(ident)
    return spec, None


def load_connection(spec: str, t: Translator) -> TlsConnection:
    """The connection a command-line spec names; a one-line UsageError when there is none."""
    from tlslens.capture.reader import CaptureFormatError
    from tlslens.pipeline import iter_connections

    path, ident = split_spec(spec)
    found: TlsConnection | None = None
    count = 0
    try:
        for conn in iter_connections(path):
            if ident is not None and conn.id == ident:
                return conn
            if ident is None and found is None:
                found = conn
            count += 1
    except CaptureFormatError as exc:
        raise UsageError(str(exc)) from exc
    except FileNotFoundError as exc:
        raise UsageError(f"{path}: no such file") from exc
    except (IsADirectoryError, PermissionError) as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if ident is not None:
        raise UsageError(f"{spec}: no TLS connection #{ident} (the capture has {count})")
    if found is None:
        raise UsageError(f"{path}: no TLS connection in this capture")
    if count > 1:
        print(t("diff.picked", label=path, n=count, id=found.id), file=sys.stderr)
    return found


def write_text(diff: HandshakeDiff, out: IO[str], t: Translator, show_all: bool = False
               ) -> None:
    """Differences first, each with what was added, removed or reordered; then the rest."""
    from tlslens.report.safe import safe_text

    lines = [t("diff.header", a=diff.a_label, b=diff.b_label)]
    diffs = diff.differences
    lines.append(t("diff.count", n=len(diffs)) if diffs else t("diff.none"))
    for fd in diff.fields:
        if fd.same and not show_all:
            continue
        label = t(f"diff.field.{fd.field}")
        if fd.same:
            lines.append(f"  = {label}: {t('diff.same')}")
            continue
        lines.append(f"  * {label}")
        if fd.kind == "value":
            lines.append(f"      A: {fd.label(fd.a)}")
            lines.append(f"      B: {fd.label(fd.b)}")
            continue
        for v in fd.added:
            lines.append(f"      + {fd.label(v)}  ({t('diff.added')})")
        for v in fd.removed:
            lines.append(f"      - {fd.label(v)}  ({t('diff.removed')})")
        if fd.reordered:
            lines.append(f"      ~ {t('diff.reordered')}")
            lines.append("        A: " + ", ".join(fd.label(v) for v in fd.a))
            lines.append("        B: " + ", ".join(fd.label(v) for v in fd.b))
    if not show_all:
        same = [t(f"diff.field.{fd.field}") for fd in diff.fields if fd.same]
        if same:
            lines.append(t("diff.unchanged", fields=", ".join(same)))
    out.write("".join(safe_text(line) + "\n" for line in lines))


def run(args: argparse.Namespace) -> int:
    lang = args.lang or default_lang()
    t = Translator(lang)
    a = load_connection(args.a, t)
    b = load_connection(args.b, t)
    diff = diff_connections(a, b, args.a, args.b)
    out = open_output(args.output)
    try:
        if args.format == "json":
            out.write(json.dumps(diff.to_dict(), sort_keys=True, indent=2,
                                 ensure_ascii=False) + "\n")
        elif args.format == "html":
            from tlslens.report.html import render_diff_html

            out.write(render_diff_html(diff, lang))
        else:
            write_text(diff, out, t, show_all=args.all)
    finally:
        if out is not sys.stdout:
            out.close()
    return EXIT_OK
