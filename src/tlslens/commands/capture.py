"""``tlslens capture``: run tcpdump, print each TLS handshake the moment it completes.

tcpdump's pcap stream (``-U -w -``) goes packet by packet through the same pipeline as
``tlslens analyze -``; :attr:`tlslens.pipeline.Options.on_handshake` hands over each
handshake as it completes, and connections that fail before completing are printed when
their TCP connection ends. On Ctrl-C, SIGTERM, ``--duration`` or ``--count``, tcpdump is
stopped with SIGINT (so it flushes), the rest of the stream is read, and the summary of
all connections is printed. Exit status 0, also when nothing matched (a notice on stderr
says so: an empty capture is an answer, not an error); 2 for an error tcpdump or the
arguments report (one line with the fix); 130 after a second Ctrl-C.

The pure pieces (filter, command line, reading tcpdump's messages, the output lines) are
functions here; the process handling lives in :mod:`tlslens.capture.live`.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as _dt
import json
import re
import shutil
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import IO, Any, BinaryIO

from tlslens.analysis.model import AnalysisResult, TlsConnection
from tlslens.commands import EXIT_OK, UsageError, add_lang_option
from tlslens.registry import name, version_name
from tlslens.report.i18n import Translator, default_lang
from tlslens.report.safe import safe_text

DEFAULT_PORT = 443
DEFAULT_SNAPLEN = 262144
#: Kernel capture buffer (KiB, tcpdump -B): ``-i any`` drops packets under load without it.
KERNEL_BUFFER_KIB = 32768
#: Where tcpdump lives when PATH lacks the sbin directories (non-root shells).
EXTRA_PATH = ("/usr/sbin", "/sbin", "/usr/local/sbin")

_HOST = re.compile(r"^[A-Za-z0-9._:%-]+$")
_DROPS = re.compile(r"^(\d+) packets? dropped by kernel", re.MULTILINE)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cp = sub.add_parser("capture", help="capture live with tcpdump and print each TLS "
                        "handshake as it completes")
    cp.add_argument("-i", "--interface", default="any",
                    help="interface to capture on (default: any; 'tcpdump -D' lists them)")
    cp.add_argument("--host", metavar="NAME|IP",
                    help="only traffic to or from this host (resolved by tcpdump: every "
                         "IPv4 and IPv6 address of the name)")
    cp.add_argument("--port", metavar="N",
                    help=f"only TCP traffic on this port (default: {DEFAULT_PORT}, unless "
                         "--filter is given)")
    cp.add_argument("--filter", metavar="BPF",
                    help="a tcpdump filter expression, ANDed with --host and --port")
    cp.add_argument("-w", "--write", metavar="FILE",
                    help="also save the capture (pcap, byte for byte what tcpdump wrote)")
    cp.add_argument("--duration", metavar="S", help="stop after S seconds")
    cp.add_argument("--count", metavar="N", help="stop after N handshakes")
    cp.add_argument("--snaplen", metavar="BYTES", default=str(DEFAULT_SNAPLEN),
                    help=f"bytes kept of each packet (default: {DEFAULT_SNAPLEN})")
    cp.add_argument("--keylog", metavar="FILE", action="append", default=[],
                    help="NSS key log a client under capture is writing (SSLKEYLOGFILE), "
                         "re-read as it grows; repeatable; SSLKEYLOGFILE adds one")
    cp.add_argument("--format", choices=("text", "json", "ndjson"), default="text",
                    help="text: a line per handshake, then a summary; json: the report of "
                         "the whole capture at the end; ndjson: a connection object per "
                         "line as each handshake completes")
    cp.add_argument("-v", "--verbose", action="store_true",
                    help="the full text report of each handshake, not one line")
    cp.add_argument("--tcpdump", metavar="PROGRAM", default="tcpdump",
                    help="the tcpdump program to run (default: tcpdump on PATH)")
    add_lang_option(cp)
    cp.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                    help="colour in the --verbose report (default: auto)")
    cp.set_defaults(func=run)


# -- pure pieces ------------------------------------------------------------------------
def build_filter(port: int | None, host: str | None, extra: str | None) -> str:
    """The BPF expression: ``tcp port P and host H and (EXTRA)``.

    Without ``port`` and ``extra`` the port is 443; with only ``extra`` it is used as
    given (the user's filter decides). ``host`` goes to tcpdump unresolved: libpcap then
    matches every address of the name, IPv4 and IPv6, as tcpdump users expect.
    """
    if port is None and not extra:
        port = DEFAULT_PORT
    parts = []
    if port is not None:
        parts.append(f"tcp port {port}")
    if host:
        parts.append(f"host {host}")
    if extra:
        parts.append(f"({extra})" if parts else extra)
    return " and ".join(parts)


def tcpdump_argv(program: str, interface: str, snaplen: int, bpf: str) -> list[str]:
    """tcpdump's command line: unbuffered pcap on stdout, each packet as it arrives.

    ``-U`` flushes per packet, ``--immediate-mode`` stops libpcap from holding packets
    for its buffer timeout (up to a second), ``-B`` keeps ``-i any`` from dropping.
    """
    return [program, "-U", "-w", "-", "--immediate-mode", "-B", str(KERNEL_BUFFER_KIB),
            "-i", interface, "-s", str(snaplen), bpf]


def tcpdump_message(stderr: str) -> str:
    """tcpdump's error message: its lines minus the banner and counters, joined."""
    lines: list[str] = []
    for line in stderr.splitlines():
        line = line.strip()
        if not line or "listening on" in line or re.match(r"^\d+ packets? ", line):
            continue
        line = line.removeprefix("tcpdump: ")
        if line.startswith("(") and line.endswith(")") and lines:
            line = line[1:-1]
            if line in lines[-1]:
                continue
        lines.append(line)
    return "; ".join(lines)


def failure_kind(stderr: str) -> str:
    """What went wrong, from tcpdump's message: permission, interface, host, filter, other."""
    text = stderr.lower()
    if "permission" in text or "operation not permitted" in text:
        return "permission"
    if "no such device" in text or "doesn't exist" in text or "no suitable device" in text:
        return "interface"
    if "unknown host" in text or "can't resolve" in text:
        return "host"
    if "filter expression" in text or "syntax error" in text or "illegal" in text:
        return "filter"
    return "other"


def explain_failure(tr: Translator, stderr: str, rc: int | None, *, iface: str, bpf: str,
                    program: str, host: str | None) -> str:
    """One line for a tcpdump that would not start: what it said, and the fix."""
    message = tcpdump_message(stderr) or f"exit status {rc}"
    kind = failure_kind(stderr)
    if kind == "host" and not (host and host in message):
        kind = "filter"  # a name inside --filter: the filter is what to fix
    if kind == "permission":
        return tr("live.err.permission", iface=iface, program=program, message=message)
    if kind == "interface":
        return tr("live.err.interface", iface=iface, message=message)
    if kind == "host":
        return tr("live.err.host", message=message)
    if kind == "filter":
        return tr("live.err.filter", filter=bpf, message=message)
    return tr("live.err.other", rc=rc, message=message)


def kernel_drops(stderr: str) -> int:
    """Packets tcpdump reports as dropped by the kernel (its exit counters); 0 if none."""
    found = _DROPS.findall(stderr)
    return int(found[-1]) if found else 0


def _clock(ns: int) -> str:
    """Local wall-clock time of a packet, as tcpdump prints it (to the millisecond)."""
    return _dt.datetime.fromtimestamp(ns / 1e9).strftime("%H:%M:%S.%f")[:-3]


def _fields(c: TlsConnection, tr: Translator) -> dict[str, str]:
    suite = "-"
    if c.cipher_suite is not None:
        suite = name("cipher_suites", c.cipher_suite) or f"0x{c.cipher_suite:04x}"
    level = c.verdict.level
    level_key = f"live.level.{level}"
    return {
        "client": str(c.client), "server": str(c.server),
        "sni": safe_text(c.server_name) if c.server_name else tr("live.no_sni"),
        "version": (version_name(c.version) or f"0x{c.version:04x}") if c.version else "-",
        "suite": suite,
        "verdict": tr("live.verdict", summary=safe_text(c.verdict.summary),
                      level=tr(level_key) if level_key in tr.catalogue else level),
        "state": tr(f"state.{c.state}") if f"state.{c.state}" in tr.catalogue else c.state,
    }


def handshake_line(c: TlsConnection, tr: Translator) -> str:
    """The line printed when a handshake completes (or a connection fails first)."""
    f = _fields(c, tr)
    if c.state != "complete":
        f["verdict"] = f"{tr('live.state', state=f['state'])}; {f['verdict']}"
    return tr("live.line", time=_clock(c.end_ns), **{k: v for k, v in f.items()
                                                     if k != "state"})


def summary_line(c: TlsConnection, tr: Translator) -> str:
    """One line of the closing summary: a connection as it finally stood."""
    return tr("live.summary_conn", id=c.id, **_fields(c, tr))


def _key(c: TlsConnection) -> tuple[int, frozenset[str]]:
    """Identifies a connection across its snapshot (id -1) and its final value."""
    return c.start_ns, frozenset((str(c.client), str(c.server)))


# -- arguments --------------------------------------------------------------------------
def _number(tr: Translator, option: str, value: str | None, kind: type, low: float,
            high: float | None = None, what: str = "live.err.positive") -> Any:
    if value is None:
        return None
    try:
        n = kind(value)
    except ValueError:
        n = None
    if n is None or not low <= n <= (high if high is not None else float("inf")) or (
            n == float("inf")):
        raise UsageError(tr("live.err.bad_number", option=option, what=tr(what), value=value))
    return n


def _host(tr: Translator, host: str | None) -> str | None:
    if host is None:
        return None
    bare = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    if not _HOST.match(bare) or bare.lower() in ("and", "or", "not"):
        raise UsageError(tr("live.err.bad_host", host=safe_text(host)))
    return bare


def find_tcpdump(program: str) -> str | None:
    """``program`` as a path, or found on PATH (plus the sbin directories)."""
    import os

    if os.sep in program:
        return program if os.access(program, os.X_OK) else None
    path = os.pathsep.join([os.environ.get("PATH", ""), *EXTRA_PATH])
    return shutil.which(program, path=path)


# -- the run ----------------------------------------------------------------------------
class _Printer:
    """Prints handshakes as they complete, counts them, and asks for the stop at --count."""

    def __init__(self, args: argparse.Namespace, tr: Translator, out: IO[str],
                 stop: Callable[[], None]) -> None:
        self.fmt = args.format
        self.verbose = args.verbose
        self.limit: int | None = args.count_n
        self.tr = tr
        self.out = out
        self.stop = stop
        self.completed = 0
        self.printed: set[tuple[int, frozenset[str]]] = set()
        self.connections: list[TlsConnection] = []
        self.broken_pipe = False
        self._console: Any = None
        if self.verbose and self.fmt == "text":
            from tlslens.report.text import make_console

            color = {"always": True, "never": False, "auto": None}[args.color]
            self._console = make_console(out, color)

    @property
    def done(self) -> bool:
        return self.limit is not None and len(self.printed) >= self.limit

    def on_handshake(self, snapshot: TlsConnection) -> None:
        """Options.on_handshake: a handshake just completed (its id is still -1)."""
        self.completed += 1
        self._event(snapshot)

    def on_connection(self, conn: TlsConnection, after_eof: bool) -> None:
        """A connection is final: print it if its handshake never completed."""
        self.connections.append(conn)
        if _key(conn) in self.printed or (after_eof and self.fmt != "ndjson"):
            return  # after the stream ended, the summary (text) or document (json) says it
        self._event(conn)

    def _event(self, conn: TlsConnection) -> None:
        if self.done or self.broken_pipe:
            return
        self.printed.add(_key(conn))
        try:
            self._write(conn)
        except BrokenPipeError:
            self.broken_pipe = True  # the reader went away: stop, then leave quietly
            self.stop()
            return
        if self.done:
            self.stop()

    def _write(self, conn: TlsConnection) -> None:
        if self.fmt == "ndjson":
            doc = dataclasses.replace(conn, id=len(self.printed) - 1).to_dict()
            self.out.write(json.dumps(doc, sort_keys=True, ensure_ascii=False) + "\n")
        elif self.fmt == "text":
            self.out.write(handshake_line(conn, self.tr) + "\n")
            if self._console is not None:
                from tlslens.report.text import TextReport

                self.out.flush()
                for line in TextReport(self.tr.lang).connection_lines(conn)[1:]:
                    self._console.print(line)
        self.out.flush()


def _signals(stop: Callable[[], None], kill: Callable[[], None]) -> Callable[[], None]:
    """Ctrl-C / SIGTERM stop tcpdump (so it flushes); a second one kills it and quits."""
    if threading.current_thread() is not threading.main_thread():
        return lambda: None
    hits = 0

    def handler(signum: int, frame: object) -> None:
        nonlocal hits
        hits += 1
        if hits == 1:
            stop()
        else:
            kill()
            raise KeyboardInterrupt

    old = {s: signal.signal(s, handler) for s in (signal.SIGINT, signal.SIGTERM)}

    def restore() -> None:
        for s, h in old.items():
            signal.signal(s, h)

    return restore


def run(args: argparse.Namespace) -> int:
    from tlslens.capture.live import Tcpdump

    tr = Translator(args.lang or default_lang())
    port = _number(tr, "--port", args.port, int, 1, 65535, "live.err.port")
    args.count_n = _number(tr, "--count", args.count, int, 1)
    duration = _number(tr, "--duration", args.duration, float, 1e-9)
    snaplen = _number(tr, "--snaplen", args.snaplen, int, 1)
    bpf = build_filter(port, _host(tr, args.host), args.filter)
    keylogs = _keylogs(tr, args)
    program = find_tcpdump(args.tcpdump)
    if program is None:
        raise UsageError(tr("live.err.missing", program=args.tcpdump))
    tcpdump = Tcpdump(tcpdump_argv(program, args.interface, snaplen, bpf))
    copy = _open_write(tr, args.write)
    restore = _signals(tcpdump.stop, tcpdump.kill)
    timer: threading.Timer | None = None
    finished = False
    try:
        _start(tr, tcpdump, args, bpf, program)
        started = time.monotonic()
        limits = (tr("live.limit_duration", seconds=args.duration) if duration else "") + (
            tr("live.limit_count", count=args.count_n) if args.count_n else "")
        print(tr("live.listening", iface=args.interface, filter=bpf, limits=limits),
              file=sys.stderr, flush=True)
        if duration:
            timer = threading.Timer(duration, tcpdump.stop)
            timer.daemon = True
            timer.start()
        printer = _Printer(args, tr, sys.stdout, tcpdump.stop)
        result, tee_bytes = _stream(tr, tcpdump, printer, copy, args.write or "-", keylogs)
        rc = tcpdump.finish()
        finished = True
        if printer.broken_pipe:
            raise BrokenPipeError
        _report(tr, args, printer, result, time.monotonic() - started)
        _notices(tr, args, result, tcpdump.stderr_text, tee_bytes, bpf)
        if rc not in (0, None) and not tcpdump.stop_requested:
            raise UsageError(tr("live.err.died", rc=rc,
                                message=tcpdump_message(tcpdump.stderr_text) or "-"))
        return EXIT_OK
    finally:
        if timer is not None:
            timer.cancel()
        if not finished:
            tcpdump.finish(discard=True)
        if copy is not None:
            copy.close()
        restore()


def _open_write(tr: Translator, path: str | None) -> BinaryIO | None:
    if path is None:
        return None
    try:
        return open(path, "wb")  # closed by run()
    except OSError as exc:
        raise UsageError(tr("live.err.write", path=path, reason=exc.strerror or exc)) from exc


def _keylogs(tr: Translator, args: argparse.Namespace) -> list[str]:
    """--keylog files plus SSLKEYLOGFILE; they may not exist yet (the client makes them)."""
    import os

    paths = list(args.keylog)
    env = os.environ.get("SSLKEYLOGFILE")
    if env and env not in paths:
        paths.append(env)
    for path in paths:
        if os.path.isdir(path):
            raise UsageError(tr("live.err.keylog", path=path))
    return paths


def _start(tr: Translator, tcpdump: Any, args: argparse.Namespace, bpf: str,
           program: str) -> None:
    from tlslens.capture.live import TcpdumpFailed

    try:
        tcpdump.start()
    except FileNotFoundError as exc:
        raise UsageError(tr("live.err.missing", program=program)) from exc
    except PermissionError as exc:  # the program file itself is not executable
        raise UsageError(tr("live.err.permission", iface=args.interface, program=program,
                            message=str(exc))) from exc
    except TcpdumpFailed as exc:
        if tcpdump.stop_requested:
            raise KeyboardInterrupt from exc
        raise UsageError(explain_failure(tr, exc.stderr, exc.returncode, iface=args.interface,
                                         bpf=bpf, program=program, host=args.host)) from exc


def _stream(tr: Translator, tcpdump: Any, printer: _Printer, copy: BinaryIO | None,
            label: str, keylogs: list[str]) -> tuple[AnalysisResult, int]:
    """Feed tcpdump's stream through the pipeline, printing as handshakes complete."""
    from tlslens.capture.live import TeeStream, following_key_store
    from tlslens.capture.reader import CaptureFormatError
    from tlslens.pipeline import Options, RunState, iter_connections, stats_of

    tee = TeeStream(tcpdump.stdout, copy, name=label)
    run_state = RunState()
    options = Options(on_handshake=printer.on_handshake)
    store = None
    if keylogs:
        from tlslens.crypto.decryptor import Decryptor

        store = following_key_store(keylogs)
        options.decryptor_factory = lambda: Decryptor(store)
    try:
        for conn in iter_connections(tee, run_state, options):  # type: ignore[arg-type]
            printer.on_connection(conn, tee.eof)
    except CaptureFormatError as exc:  # tcpdump died before it wrote a file header
        rc = tcpdump.finish()
        raise UsageError(tr("live.err.died", rc=rc, message=tcpdump_message(
            tcpdump.stderr_text) or str(exc))) from exc
    tee.drain()
    assert run_state.summary is not None
    if store is not None:
        run_state.anomalies.extend(store.anomalies)
    result = AnalysisResult(capture=run_state.summary, connections=tuple(printer.connections),
                            stats=stats_of(run_state), anomalies=tuple(run_state.anomalies))
    return result, tee.bytes


def _report(tr: Translator, args: argparse.Namespace, printer: _Printer,
            result: AnalysisResult, seconds: float) -> None:
    out = sys.stdout
    if args.format == "json":
        from tlslens.report.json_report import dumps

        out.write(dumps(result.to_dict()))
    elif args.format == "text":
        if printer.printed:
            out.write("\n")
        out.write(tr("live.summary", seconds=seconds, packets=result.capture.packets,
                     tcp=result.stats.get("tcp_connections", 0),
                     tls=result.stats.get("tls_connections", 0),
                     done=printer.completed) + "\n")
        for conn in result.connections:
            out.write(summary_line(conn, tr) + "\n")
    out.flush()


def _notices(tr: Translator, args: argparse.Namespace, result: AnalysisResult, stderr: str,
             written: int, bpf: str) -> None:
    """Diagnostics for stderr: nothing matched, no TLS, kernel drops, where the file is."""
    err = sys.stderr
    if result.capture.packets == 0:
        print(tr("live.nothing", filter=bpf, iface=args.interface), file=err)
    elif not result.connections:
        print(tr("live.no_tls"), file=err)
    drops = kernel_drops(stderr)
    if drops:
        print(tr("live.dropped", n=drops), file=err)
    if args.write:
        print(tr("live.saved", path=args.write, bytes=written), file=err)
    err.flush()
