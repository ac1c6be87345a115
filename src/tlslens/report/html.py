"""The HTML report: one self-contained page (inline CSS and SVG, no script, no fetch).

Pure functions of :class:`AnalysisResult`: this module turns each connection into a small
view model (ladder geometry, timings, certificate validity bars, per-message detail
lines) and hands it to Jinja2 templates with autoescape on. Wire strings first go through
:func:`safe_text` (no control or bidi characters survive), then the template engine
escapes HTML, so a hostile SNI, ALPN or certificate name is shown as inert text. The page
also carries a Content-Security-Policy that forbids scripts and every network fetch, so
even a template bug could not make it run code or phone home.

Message details are the text report's own renderers (:class:`TextReport`'s ``_d_*``
methods) run per message: the same data and the same catalogue strings, turned into
HTML lines here instead of terminal lines.
"""

from __future__ import annotations

import datetime as _dt
import itertools
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from rich.text import Text

from tlslens import __version__
from tlslens.analysis.model import AnalysisResult, MessageLine, TlsConnection
from tlslens.registry import version_name
from tlslens.report.i18n import Translator
from tlslens.report.json_report import packet_time
from tlslens.report.messages.findings import finding_text, verdict_summary
from tlslens.report.safe import safe_text
from tlslens.report.text import _MSG_TITLES, TextReport, _Writer, code_name

#: Ladder geometry, in SVG user units (the SVG scales to the page width).
LADDER_WIDTH = 480
LADDER_CLIENT_X = 118
LADDER_SERVER_X = 410
LADDER_TOP = 52
LADDER_ROW = 34

#: Message types that finish a handshake side (without keys, TLS <= 1.2 shows the
#: Finished as an encrypted handshake message).
_FINISHED = ("finished", "encrypted_handshake")
_SEVERITY_ORDER = ("info", "low", "medium", "high", "critical")


def duration(ns: int | None) -> str:
    """A short human duration: ``0.622 ms``, ``1.204 s``; ``-`` when unknown."""
    if ns is None:
        return "-"
    if abs(ns) < 1_000_000_000:
        return f"{ns / 1e6:.3f} ms"
    return f"{ns / 1e9:.3f} s"


# -- view model ------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Arrow:
    """One message on the ladder."""

    index: int  # 1-based, as in the text report
    anchor: str  # id of its <details> element
    direction: str
    title: str
    y: int
    x1: int
    x2: int
    head: str  # SVG polygon points of the arrow head
    label_x: int
    time: str
    frame: int
    length: int
    encrypted: bool


@dataclass(frozen=True, slots=True)
class Segment:
    text: str
    css: str


@dataclass(frozen=True, slots=True)
class DetailLine:
    indent: int  # in characters, relative to the message's first line
    segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class MessageView:
    index: int
    anchor: str
    title: str
    direction: str
    frame: int
    time: str
    length: int
    lines: tuple[DetailLine, ...]


@dataclass(frozen=True, slots=True)
class CertView:
    index: int
    subject: str
    issuer: str
    serial: str
    not_before: str
    not_after: str
    status: str  # valid | expired | not_yet_valid | unknown | unparseable
    bar_left: float  # percent of the chain's time axis
    bar_width: float
    key: str
    signature: str
    sha256: str
    self_signed: bool
    issued_by_next: bool | None  # issuer name equals the next certificate's subject


@dataclass(frozen=True, slots=True)
class ChainView:
    certs: tuple[CertView, ...]
    capture_pct: float  # where the capture time sits on the axis, in percent
    axis_start: str
    axis_end: str
    capture_time: str


def ladder(c: TlsConnection) -> tuple[tuple[Arrow, ...], int]:
    """Arrows of the ladder and the SVG height: one arrow per message, in wire order."""
    t0 = c.messages[0].ts_ns if c.messages else c.start_ns
    arrows = []
    for i, ml in enumerate(c.messages, 1):
        y = LADDER_TOP + (i - 1) * LADDER_ROW + 22
        to_server = ml.direction == "client"
        x1, x2 = (LADDER_CLIENT_X, LADDER_SERVER_X) if to_server else \
            (LADDER_SERVER_X, LADDER_CLIENT_X)
        tip = x2 - 1 if to_server else x2 + 1
        back = tip - 9 if to_server else tip + 9
        head = f"{tip},{y} {back},{y - 5} {back},{y + 5}"
        arrows.append(Arrow(index=i, anchor=f"c{c.id}-m{i}", direction=ml.direction,
                            title=_title(ml), y=y, x1=x1, x2=x2, head=head,
                            label_x=(LADDER_CLIENT_X + LADDER_SERVER_X) // 2,
                            time=f"+{duration(ml.ts_ns - t0)}", frame=ml.frame,
                            length=ml.length, encrypted=ml.encrypted))
    height = LADDER_TOP + len(arrows) * LADDER_ROW + 16
    return tuple(arrows), height


def _title(ml: MessageLine) -> str:
    return _MSG_TITLES.get(ml.type, ml.type)


def timings(c: TlsConnection) -> dict[str, int | None]:
    """Relative times of the handshake, in nanoseconds (None when not observable).

    ``tcp_to_client_hello``: from the connection's first packet (the SYN when captured)
    to the ClientHello, about one round trip plus the client's own delay;
    ``client_hello_to_server_hello``: the server's answer time plus one round trip;
    ``client_hello_to_last_finished``: the whole handshake as the capture saw it (TLS 1.3
    without keys: to the client's last encrypted handshake record).
    """
    first: dict[str, int] = {}
    for ml in c.messages:
        first.setdefault(ml.type, ml.ts_ns)
    ch = first.get("client_hello", first.get("sslv2_client_hello"))
    sh = first.get("server_hello", first.get("hello_retry_request",
                                             first.get("sslv2_server_hello")))
    finished = [ml.ts_ns for ml in c.messages if ml.type in _FINISHED]
    if not finished:
        finished = [ml.ts_ns for ml in c.messages
                    if ml.type == "encrypted_record" and ml.direction == "client"]
    return {
        "tcp_to_client_hello": ch - c.start_ns if ch is not None else None,
        "client_hello_to_server_hello": sh - ch if ch is not None and sh is not None
        else None,
        "client_hello_to_last_finished": max(finished) - ch
        if ch is not None and finished else None,
        "connection": c.end_ns - c.start_ns,
    }


def _segments(line: Text) -> DetailLine:
    """A rich line of the text report as indent + styled segments (styles -> CSS classes)."""
    plain = line.plain
    indent = len(plain) - len(plain.lstrip(" "))
    cuts = {indent, len(plain)}
    for span in line.spans:
        cuts.update((max(span.start, indent), max(span.end, indent)))
    bounds = sorted(cuts)
    segs = []
    for start, end in itertools.pairwise(bounds):
        if start >= end:
            continue
        styles = " ".join(str(s.style) for s in line.spans if s.start <= start and s.end >= end)
        css = " ".join(name for key, name in (("bold", "b"), ("cyan", "note"),
                                               ("yellow", "warn"), ("dim", "dim"))
                       if key in styles)
        segs.append(Segment(plain[start:end], css))
    return DetailLine(indent, tuple(segs))


def message_views(c: TlsConnection, report: TextReport) -> tuple[MessageView, ...]:
    """Every message with the text report's detail lines for it."""
    t0 = c.messages[0].ts_ns if c.messages else c.start_ns
    counters: dict[str, int] = {}
    out = []
    for i, ml in enumerate(c.messages, 1):
        k = counters.get(ml.type, 0)
        counters[ml.type] = k + 1
        w = _Writer()
        render = getattr(report, f"_d_{ml.type}", None)
        if render is not None:
            render(w, c, k)
        lines = [_segments(text) for text in w.lines]
        base = min((dl.indent for dl in lines), default=0)
        lines = [DetailLine(dl.indent - base, dl.segments) for dl in lines]
        out.append(MessageView(index=i, anchor=f"c{c.id}-m{i}", title=_title(ml),
                               direction=ml.direction, frame=ml.frame,
                               time=f"+{duration(ml.ts_ns - t0)}", length=ml.length,
                               lines=tuple(lines)))
    return tuple(out)


def chain_view(c: TlsConnection) -> ChainView | None:
    """The server's chain as sent, with validity bars on one time axis with the capture."""
    if not c.certificates:
        return None
    at = _dt.datetime.fromtimestamp(c.start_ns / 1e9, _dt.UTC)
    dates = [at]
    for cert in c.certificates:
        dates += [d for d in (cert.not_before, cert.not_after) if d is not None]
    lo, hi = min(dates), max(dates)
    span = max((hi - lo).total_seconds(), 1.0)

    def pct(d: _dt.datetime) -> float:
        return round(100.0 * (d - lo).total_seconds() / span, 2)

    views = []
    for i, cert in enumerate(c.certificates):
        nxt = c.certificates[i + 1] if i + 1 < len(c.certificates) else None
        if not cert.parsed:
            views.append(CertView(i, "?", "?", "-", "-", "-", "unparseable", 0.0, 0.0, "-",
                                  "-", cert.sha256, False, None))
            continue
        status = "unknown"
        left = width = 0.0
        if cert.not_before and cert.not_after:
            status = ("expired" if cert.not_after < at else
                      "not_yet_valid" if cert.not_before > at else "valid")
            left = pct(cert.not_before)
            width = max(pct(cert.not_after) - left, 0.5)
        pk = cert.public_key
        key = f"{pk.type} {pk.bits}" + (f" {pk.curve}" if pk.curve else "") if pk else "-"
        sa = cert.signature_algorithm
        views.append(CertView(
            index=i, subject=safe_text(cert.subject or "-"), issuer=safe_text(cert.issuer or "-"),
            serial=cert.serial or "-",
            not_before=f"{cert.not_before:%Y-%m-%d}" if cert.not_before else "-",
            not_after=f"{cert.not_after:%Y-%m-%d}" if cert.not_after else "-",
            status=status, bar_left=left, bar_width=width, key=key,
            signature=f"{sa.name or sa.oid}" if sa else "-", sha256=cert.sha256,
            self_signed=cert.self_signed,
            issued_by_next=(cert.issuer == nxt.subject) if nxt is not None and nxt.parsed
            else None))
    return ChainView(tuple(views), pct(at), f"{lo:%Y-%m-%d}", f"{hi:%Y-%m-%d}",
                     f"{at:%Y-%m-%d %H:%M:%S} UTC")


def worst_severity(c: TlsConnection) -> str | None:
    levels = [f.severity for f in c.findings if f.severity in _SEVERITY_ORDER]
    return max(levels, key=_SEVERITY_ORDER.index) if levels else None


def roles(c: TlsConnection, t: Translator) -> tuple[str, str]:
    """Role names for the two ladder columns: the eSIM profile's when it recognised one."""
    esim = c.esim or {}
    return (safe_text(esim.get("role_client") or t("html.client")),
            safe_text(esim.get("role_server") or t("html.server")))


def connection_view(c: TlsConnection, t: Translator, report: TextReport) -> dict[str, Any]:
    arrows, height = ladder(c)
    client_role, server_role = roles(c, t)
    fp = c.fingerprints.to_dict()
    return {
        "c": c, "anchor": f"conn-{c.id}",
        "client": str(c.client), "server": str(c.server),
        "sni": safe_text(c.server_name) if c.server_name else None,
        "alpn": safe_text(c.alpn) if c.alpn else None,
        "version": version_name(c.version) or f"0x{c.version:04x}" if c.version else "-",
        "suite": code_name("cipher_suites", c.cipher_suite) if c.cipher_suite is not None
        else "-",
        "verdict_summary": safe_text(verdict_summary(c.verdict, t)),
        "worst": worst_severity(c),
        "client_role": client_role, "server_role": server_role,
        "arrows": arrows, "ladder_height": height, "ladder_width": LADDER_WIDTH,
        "client_x": LADDER_CLIENT_X, "server_x": LADDER_SERVER_X,
        "timings": {k: duration(v) for k, v in timings(c).items()},
        "messages": message_views(c, report),
        "chain": chain_view(c),
        "fingerprints": [(k, fp[k]) for k in sorted(fp) if fp[k]],
        "findings": [(f.severity, safe_text(f.id), *(safe_text(x) for x in finding_text(f, t)))
                     for f in c.findings],
        "anomalies": [(a.id, safe_text(a.detail), a.frame) for a in c.anomalies[:200]],
        "more_anomalies": max(len(c.anomalies) - 200, 0),
        "esim": _esim_view(c.esim),
        "decryption": c.decryption,
        "app_data": c.app_data,
        "history": c.history,
    }


def _esim_view(esim: dict[str, Any] | None) -> dict[str, Any] | None:
    """The eSIM block's strings made safe (it may hold names read off the wire)."""
    if not esim:
        return None
    vendor = esim.get("vendor") or {}
    ci = esim.get("ci") or {}
    return {
        "roles": f"{safe_text(esim.get('role_client', '?'))} / "
                 f"{safe_text(esim.get('role_server', '?'))}",
        "recognized_by": ", ".join(safe_text(x) for x in esim.get("recognized_by") or []),
        "vendor": safe_text(vendor.get("name")) if vendor.get("name") else None,
        "ci": f"{safe_text(ci.get('name'))} ({safe_text(ci.get('match'))})"
        if ci.get("name") else None,
        "checks": [(safe_text(ch.get("id")), safe_text(ch.get("result")),
                    safe_text(ch.get("reason", ""))) for ch in esim.get("checks") or []],
    }


# -- rendering -------------------------------------------------------------------------
@lru_cache(maxsize=1)
def environment() -> Environment:
    """The Jinja2 environment: autoescape always on, undefined names are errors."""
    return Environment(loader=PackageLoader("tlslens.report", "templates"), autoescape=True,
                       undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                       keep_trailing_newline=True)


def _common(t: Translator) -> dict[str, Any]:
    return {"t": t, "lang": t.lang, "tool_version": __version__}


def render_html(result: AnalysisResult, lang: str = "en") -> str:
    """The whole report as one HTML document (a string)."""
    t = Translator(lang)
    report = TextReport(lang)
    cap = result.capture
    capture = {
        "path": safe_text(cap.path), "format": cap.format, "compressed": cap.compressed,
        "packets": cap.packets, "bytes": cap.bytes,
        "first": packet_time(cap.first_ns) or "-", "last": packet_time(cap.last_ns) or "-",
        "tcp": result.stats.get("tcp_connections", 0),
        "tls": result.stats.get("tls_connections", 0),
        "anomalies": [(a.id, safe_text(a.detail), a.frame) for a in result.anomalies],
    }
    conns = [connection_view(c, t, report) for c in result.connections]
    return environment().get_template("report.html.j2").render(
        capture=capture, connections=conns, **_common(t))


def write_html(result: AnalysisResult, out: IO[str], lang: str = "en") -> None:
    out.write(render_html(result, lang))


def render_diff_html(diff: Any, lang: str = "en") -> str:
    """A :class:`tlslens.analysis.diff.HandshakeDiff` as one HTML document."""
    t = Translator(lang)
    rows = [{"label": t(f"diff.field.{fd.field}"), "same": fd.same, "kind": fd.kind,
             "a": _diff_value(fd, fd.a), "b": _diff_value(fd, fd.b),
             "added": [safe_text(fd.label(v)) for v in fd.added],
             "removed": [safe_text(fd.label(v)) for v in fd.removed],
             "reordered": fd.reordered} for fd in diff.fields]
    return environment().get_template("diff.html.j2").render(
        a_label=safe_text(diff.a_label), b_label=safe_text(diff.b_label),
        differences=len(diff.differences), rows=rows, **_common(t))


def _diff_value(fd: Any, value: Any) -> list[str]:
    if isinstance(value, tuple):
        return [safe_text(fd.label(v)) for v in value]
    return [safe_text(fd.label(value))]
