"""The pipeline: a capture in, analysed TLS connections out.

The only place the layers are wired together. It streams: packets are decoded and fed
to the connection table one at a time, and each connection is built and handed out as
soon as its TCP connection ends (from a capture file, in batches of up to BUILD_BATCH
connections or BUILD_BATCH_BYTES of their messages), so memory follows the open
connections, not the file.
"""

from __future__ import annotations

import collections
import operator
import socket
import traceback
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from tlslens.analysis.build import build_connection, fingerprint_row, judge_connections
from tlslens.analysis.model import AnalysisResult, CaptureSummary, TlsConnection
from tlslens.anomalies import Anomaly
from tlslens.capture.reader import open_capture
from tlslens.capture.types import SecretsItem
from tlslens.flows.lane import FastLane
from tlslens.flows.table import Flow, FlowTable
from tlslens.packets.decoder import PacketDecoder
from tlslens.packets.types import TcpSegment
from tlslens.tls.session import TlsSession

#: Capture-level anomalies kept (the rest are counted in a final limit.reached).
MAX_CAPTURE_ANOMALIES = 1000
#: How often (in capture items) Options.on_progress is called.
PROGRESS_EVERY = 4096
#: Connections built together when reading a capture file (Options.build_batch). Why:
#: building, judging and rendering a connection runs a few hundred Python functions,
#: and between two batches the packet walk and the TLS sessions run others; each switch
#: from one phase to the other finds the CPU caches full of the other phase's code and
#: data. The same instructions run whatever the batch (counted with callgrind), but on
#: the issue-9 benchmark one process took 6.4 s built 16 at a time, 5.5 s 256 at a time
#: and 5.4 s 1024 at a time; past that the waiting connections themselves no longer fit
#: the caches (4096: slower again, and 118 MB instead of 78). See benchmarks/README.md.
#: Finished connections wait in memory meanwhile (BUILD_BATCH_BYTES bounds them); the
#: output is the same, byte for byte.
BUILD_BATCH = 1024
#: The batch of ``hellos_only`` runs (``tlslens fingerprint``): their "building" is a
#: few attribute reads, with nothing to keep warm, while the finished connections a big
#: batch keeps waiting made the packet walk itself slower (issue-9 capture: 1.48-1.58 s
#: at 16, 1.67-1.77 s at 1024).
HELLOS_BATCH = 16
#: A batch is built early once its connections' handshake messages add up to this many
#: bytes: what they hold in memory while they wait follows their messages (certificates
#: above all), and a capture of huge handshakes must not make a batch of them huge.
BUILD_BATCH_BYTES = 16 << 20


@dataclass(slots=True)
class Options:
    """Knobs of one analysis run."""

    skip_after_handshake: bool = True
    #: Called with a snapshot of each connection as soon as its handshake completes
    #: (its ``id`` is -1: ids are final only when connections are emitted in order).
    on_handshake: Callable[[TlsConnection], None] | None = None
    #: Makes a per-connection decryptor (tlslens.crypto), or None when no keys are given.
    decryptor_factory: Callable[[], Any] | None = None
    #: Key material (tlslens.crypto): NSS key log files, RSA private keys (PEM), and a
    #: folder to write each connection's decrypted streams to. pcapng Decryption Secrets
    #: Blocks are always used. Without any, no decryptor runs (the fast path).
    keylogs: tuple[str, ...] = ()
    rsa_keys: tuple[str, ...] = ()
    export_plaintext: str | None = None
    #: Called every PROGRESS_EVERY capture items with (packets, bytes, TLS connections so
    #: far), for a progress display (tlslens.report.progress); must be cheap.
    on_progress: Callable[[int, int, int], None] | None = None
    #: (k, n): analyse only the connections whose 4-tuple falls in shard k of n (the
    #: parallel runner gives each worker process one shard of the same capture).
    shard: tuple[int, int] | None = None
    #: With ``shard``: the workers' shared claim table (a writable buffer, its size a
    #: power of two; tlslens.parallel makes it). A connection is then the shard's whose
    #: walk meets it first, not the hash's (see claim_slot in flows/_fastscan.c); needs
    #: the compiled walk's module (tlslens.flows.lane.claim).
    claims: Any = None
    #: Give every connection this id instead of its number: the parallel runner's
    #: workers, whose parent numbers the connections of all shards (tlslens.parallel).
    placeholder_id: int | None = None
    #: Fingerprints only (``tlslens fingerprint``): hellos are parsed without decoding
    #: extension fields, everything after the server's hello is skipped, and connections
    #: are built without certificates, verification, findings or eSIM profile.
    hellos_only: bool = False
    #: With ``hellos_only``: yield :class:`tlslens.analysis.build.FingerprintRow` values
    #: (id, roles, SNI, fingerprints) instead of connections (``tlslens fingerprint``).
    fingerprint_rows: bool = False
    #: Take the packets of connections whose handshake is over on the fast lane
    #: (tlslens.flows.lane); off only to check that the lane changes nothing.
    fast_lane: bool = True
    #: Let the compiled walk (tlslens.flows._fastscan, when built) take the lane's plain
    #: packets of pcap and pcapng files; off only to check that it changes nothing.
    compiled_lane: bool = True
    #: Finished connections are built, and handed out, this many at a time (None:
    #: BUILD_BATCH, or HELLOS_BATCH with ``hellos_only``, for a capture file named by its
    #: path; 1 for standard input or a file object, which may be a live capture whose
    #: connections are awaited one by one).
    #: The same connections in the same order either way; see BUILD_BATCH for why.
    build_batch: int | None = None


@dataclass(slots=True)
class RunState:
    """Counters and leftovers of one run, filled while connections stream out."""

    tcp_connections: int = 0
    tls_connections: int = 0
    anomalies: list[Anomaly] = field(default_factory=list)
    secrets: list[SecretsItem] = field(default_factory=list)
    summary: CaptureSummary | None = None
    dropped_anomalies: int = 0


class _Ordered:
    """Hands out built connections in order of their first packet, with gapless ids.

    Connections end in any order; a connection may only get its id once every connection
    that started before it has ended (and been found to be TLS or not). Connections due
    are built ``batch`` at a time (BUILD_BATCH says why); :meth:`flush` builds the rest."""

    def __init__(self, emit: Callable[[Any], None],
                 after_build: Callable[[TlsConnection, TlsSession], None] | None = None,
                 hellos_only: bool = False, placeholder_id: int | None = None,
                 rows: bool = False, batch: int = 1) -> None:
        self.emit = emit
        self.after_build = after_build
        self.hellos_only = hellos_only
        self.placeholder_id = placeholder_id
        self.rows = rows
        self.waiting: dict[int, tuple[Flow, TlsSession] | None] = {}
        self.next_flow = 0
        self.next_id = 0
        self.batch = batch
        #: (id, flow, session); the session is let go once the connection is built
        self.due: list[tuple[int, Flow, TlsSession | None]] = []
        self.due_bytes = 0  # the handshake message bytes of the connections in ``due``

    def done(self, flow: Flow, session: TlsSession | None) -> None:
        self.waiting[flow.index] = (flow, session) if session is not None else None
        while self.next_flow in self.waiting:
            item = self.waiting.pop(self.next_flow)
            self.next_flow += 1
            if item is not None:
                conn_id = self.next_id if self.placeholder_id is None else self.placeholder_id
                self.next_id += 1
                self.due.append((conn_id, *item))
                self.due_bytes += sum(map(_LENGTH, item[1].state.entries))
        if len(self.due) >= self.batch or self.due_bytes >= BUILD_BATCH_BYTES:
            self.flush()

    def flush(self) -> None:
        """Build and hand out every connection that is due, in order: all built first,
        then judged together (analysis.build.judge_connections says why). A connection
        whose analysis raises (a bug) is handed out as a stand-in that says so."""
        due, self.due, self.due_bytes = self.due, [], 0
        built: list[Any] = []
        broken: set[int] = set()

        def fail(i: int, exc: Exception) -> None:
            conn_id, flow, _ = due[i]
            built[i] = _broken(conn_id, flow, _bug(flow, exc))
            broken.add(i)

        for i, (conn_id, flow, session) in enumerate(due):
            built.append(None)
            assert session is not None
            try:
                built[i] = fingerprint_row(conn_id, flow, session) if self.rows \
                    else build_connection(conn_id, flow, session, self.hellos_only,
                                          judged=False)
            except Exception as exc:  # noqa: BLE001 - a bug must not stop the others
                fail(i, exc)
            if self.after_build is None:  # done with: freed now, still in the CPU caches,
                due[i] = (conn_id, flow, None)  # not with the whole batch at the end
        session = None
        if not self.rows and not self.hellos_only:
            judging = [i for i in range(len(due)) if i not in broken]
            judge_connections([built[i] for i in judging],
                              lambda j, exc: fail(judging[j], exc))
        for i, ((_, _, session), conn) in enumerate(zip(due, built)):
            if self.after_build is not None and session is not None and i not in broken:
                self.after_build(conn, session)
            self.emit(conn)


def _bug(flow: Flow, exc: Exception) -> Anomaly:
    """The anomaly of a connection whose analysis raised ``exc`` (a bug in tlslens)."""
    last = "".join(traceback.format_exception(exc, limit=-1)).strip().splitlines()[-1]
    return Anomaly("internal.error", f"connection {flow.endpoints}: "
                   f"{type(exc).__name__}: {exc}; {last}", flow.first_frame)


#: A session Entry's message length (Entry is a NamedTuple: side, kind, length, ...).
_LENGTH = operator.itemgetter(2)


def _broken(conn_id: int, flow: Flow, anomaly: Anomaly) -> TlsConnection:
    """A minimal connection standing in for one whose analysis hit a bug."""
    from tlslens.analysis.fingerprints import Fingerprints
    from tlslens.analysis.model import Endpoint, Verdict

    (ip0, p0), (ip1, p1) = flow.endpoints
    return TlsConnection(
        id=conn_id, client=Endpoint(ip0, p0), server=Endpoint(ip1, p1),
        direction_inferred=True, start_ns=flow.first_ts, end_ns=flow.last_ts,
        first_frame=flow.first_frame, state="incomplete", version=None, cipher_suite=None, server_name=None, alpn=None,
        resumed=False, messages=(), history="", app_data={"client": (0, 0),
                                                          "server": (0, 0)},
        client_hellos=(), server_hellos=(), certificates=(), certificate_entry_extensions=(),
        client_certificates=None, certificate_request=None, server_key_exchange=None,
        server_key_exchange_valid=None, client_key_exchange=None, certificate_verify=(),
        new_session_tickets=(), certificate_status=None, ocsp=None,
        encrypted_extensions=None, alerts=(), fingerprints=Fingerprints(),
        hello_fingerprints=(), server_hello_fingerprints=(),
        verdict=Verdict("acceptable", "not judged: internal error"), anomalies=(anomaly,))


def _build_batch(source: object, options: Options) -> int:
    if options.build_batch is not None:
        return max(1, options.build_batch)
    if not isinstance(source, str) or source == "-":
        return 1
    return HELLOS_BATCH if options.hellos_only else BUILD_BATCH


def iter_connections(source: str | BinaryIO, run: RunState | None = None,
                     options: Options | None = None) -> Iterator[TlsConnection]:
    """Analyse a capture, yielding each TLS connection as soon as it is known.

    ``source`` is a path, ``"-"`` for standard input, or a binary file object. Counters
    and capture-level anomalies land in ``run`` (read it after the iterator is done).
    Raises :class:`tlslens.capture.reader.CaptureFormatError` only when the source is not
    a capture at all.
    """
    run = run if run is not None else RunState()
    options = options or Options()
    reader = open_capture(source)
    decoder = PacketDecoder()
    # Handed out one at a time, not held until the batch is through: a connection is
    # freed right after its consumer (the renderer) used it, still in the CPU caches;
    # freeing a batch's 1,024 connections at once was ~3 % of a run, mostly cache misses
    # (alternating in-process runs: 2-6 % faster in all).
    ready: collections.deque[TlsConnection] = collections.deque()
    from tlslens.crypto.setup import key_store_for, plaintext_exporter

    keys, decryptor_factory = key_store_for(options)
    rows = options.hellos_only and options.fingerprint_rows
    ordered = _Ordered(ready.append, plaintext_exporter(options, run.anomalies),
                       options.hellos_only, options.placeholder_id, rows,
                       _build_batch(source, options))
    sessions: dict[int, TlsSession] = {}

    def factory(flow: Flow) -> TlsSession:
        decryptor = decryptor_factory() if decryptor_factory else None
        session = TlsSession(skip_after_handshake=options.skip_after_handshake,
                             decryptor=decryptor, hellos_only=options.hellos_only)
        session.stop_after_hellos = rows  # a row needs only the first hellos
        sessions[flow.index] = session
        if options.on_handshake is not None:
            session.on_complete = lambda: _snapshot(flow, session, options, run)
        if options.hellos_only:  # the hellos are in: the lane stops handing over bytes
            session.on_skipping = lambda: lane.quiet(flow)
        lane.admit(flow)
        return session

    def on_end(flow: Flow) -> None:
        lane.forget(flow)
        session = sessions.pop(flow.index, None)
        run.tcp_connections += 1
        if session is not None:
            session.finish(flow.last_frame)
        if session is not None and session.seen_tls:
            run.tls_connections += 1
            ordered.done(flow, session)
        else:
            ordered.done(flow, None)

    table = FlowTable(factory, on_end)
    lane = FastLane(table, mute=options.hellos_only,
                    skimming=TlsSession if options.compiled_lane else None,
                    shard=options.shard, claims=options.claims)
    progress, items = options.on_progress, 0
    shard, use_lane = options.shard, options.fast_lane
    mine = _shard_test(shard if shard is not None else (0, 1), options.claims)
    if use_lane:  # a finished handshake's packets (or another shard's): the fast lane
        reader.prefilter = lane.take
        reader.walker = lane.walker
    decode, add = decoder.decode, table.add  # the per-packet loop: no attribute lookups
    for item in reader:
        if progress is not None:
            items += 1
            if items % PROGRESS_EVERY == 0:
                progress(reader.packets, reader.bytes, run.tls_connections)
        if isinstance(item, SecretsItem):
            run.secrets.append(item)
            keys.add_secrets_block(item.secrets_type, item.data, item.index)
            continue
        seg = decode(item)
        if seg is not None:
            if shard is None or mine(seg):
                add(seg)
            else:
                lane.ignore(seg)
        while ready:  # one at a time: each is freed once its consumer is done with it
            yield ready.popleft()
    table.finish()
    decoder.finish()
    ordered.flush()
    while ready:
        yield ready.popleft()
    _collect_anomalies(run, keys.anomalies, reader.anomalies, decoder.anomalies)
    run.summary = CaptureSummary(
        path=source if isinstance(source, str) else getattr(source, "name", "-"),
        format=reader.info.format, compressed=reader.info.compressed,
        link_types=tuple(reader.link_types), packets=reader.packets, bytes=reader.bytes,
        first_ns=reader.first_ts_ns, last_ns=reader.last_ts_ns)


def _shard_test(shard: tuple[int, int], claims: Any = None) -> Callable[[TcpSegment], bool]:
    """Whether a segment's connection is in ``shard`` (k, n), by the hash or, given the
    workers' ``claims``, by the claim table (taking the connection when no worker has);
    remembered for both directions of the 4-tuple at once, since a connection's packets
    all ask (and a claim is never given up). Bounded: cleared when full."""
    k, n = shard

    from tlslens.flows.lane import claim

    decide: Callable[[str, int, str, int], bool]
    if claims is not None and claim is not None:
        take = claim

        def decide(src: str, sport: int, dst: str, dport: int) -> bool:
            return take(claims, _endpoints_crc(src, sport, dst, dport), k)
    else:
        def decide(src: str, sport: int, dst: str, dport: int) -> bool:
            return _shard_index(src, sport, dst, dport, n) == k

    known: dict[tuple[str, int, str, int], bool] = {}

    def mine(seg: TcpSegment) -> bool:
        key = (seg[2], seg[4], seg[3], seg[5])
        hit = known.get(key)
        if hit is None:
            hit = decide(*key)
            if len(known) >= _SHARD_MEMO:
                known.clear()
            known[key] = known[(seg[3], seg[5], seg[2], seg[4])] = hit
        return hit

    return mine


#: 4-tuples (each direction) whose shard _shard_test remembers.
_SHARD_MEMO = 1 << 16


def shard_of(seg: TcpSegment, n: int) -> int:
    """The shard (0..n-1) of a segment's connection: the same for both directions, and
    the same in every process (crc32, not Python's per-process salted hash)."""
    return _shard_index(seg.src, seg.sport, seg.dst, seg.dport, n)


def _shard_index(src: str, sport: int, dst: str, dport: int, n: int) -> int:
    """The endpoints' crc modulo n. The compiled walk computes the same from the frame's
    bytes (src/tlslens/flows/_fastscan.c, shard_of) and drops another shard's packets
    before any lookup."""
    return _endpoints_crc(src, sport, dst, dport) % n


def _endpoints_crc(src: str, sport: int, dst: str, dport: int) -> int:
    """crc32 of the two endpoints as on the wire (address bytes, then the port, 2 bytes
    big-endian), the lower first: the same for both directions, and in every process
    (not Python's per-process salted hash)."""
    a, b = _endpoint_bytes(src, sport), _endpoint_bytes(dst, dport)
    return zlib.crc32(a + b if a <= b else b + a)


def _endpoint_bytes(ip: str, port: int) -> bytes:
    try:
        raw = socket.inet_pton(socket.AF_INET6 if ":" in ip else socket.AF_INET, ip)
    except OSError:  # not an address text (never from the decoder): its characters
        raw = ip.encode("utf-8", "surrogateescape")
    return raw + (port & 0xFFFF).to_bytes(2, "big")


def _snapshot(flow: Flow, session: TlsSession, options: Options, run: RunState) -> None:
    """Hand a just-completed handshake to ``options.on_handshake`` (never raises)."""
    assert options.on_handshake is not None
    try:
        options.on_handshake(build_connection(-1, flow, session))
    except Exception as exc:  # noqa: BLE001 - a display callback must not stop the capture
        run.anomalies.append(Anomaly("internal.error", f"handshake callback: "
                                     f"{type(exc).__name__}: {exc}", flow.last_frame))


def _collect_anomalies(run: RunState, *sources: list[Anomaly]) -> None:
    for src in sources:
        for a in src:
            if len(run.anomalies) < MAX_CAPTURE_ANOMALIES:
                run.anomalies.append(a)
            else:
                run.dropped_anomalies += 1
    if run.dropped_anomalies:
        run.anomalies.append(Anomaly("limit.reached", f"{run.dropped_anomalies} more "
                                     "capture-level anomalies not listed"))


def analyze(source: str | BinaryIO, options: Options | None = None) -> AnalysisResult:
    """Analyse a whole capture and return every TLS connection in it.

    The library entry point (``tlslens.analyze``). It keeps all connections in memory;
    use :func:`iter_connections` to stream a very large capture.
    """
    run = RunState()
    connections = tuple(iter_connections(source, run, options))
    assert run.summary is not None
    return AnalysisResult(capture=run.summary, connections=connections,
                          stats=stats_of(run), anomalies=tuple(run.anomalies))


def stats_of(run: RunState) -> dict[str, int]:
    return {"tcp_connections": run.tcp_connections, "tls_connections": run.tls_connections,
            "decryption_secrets_blocks": len(run.secrets)}
