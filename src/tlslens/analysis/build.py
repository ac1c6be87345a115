"""Build the immutable :class:`TlsConnection` of a finished connection.

This is where flow facts (endpoints, SYN) and session facts (hellos, messages) meet:
roles are settled, certificates summarised, fingerprints computed; then analysis.assess
verifies, finds and judges (its two halves, so that the connection is created once: its
conclusion is filled in before it leaves the builder).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from tlslens.analysis.fingerprints import (
    client_fingerprints,
    connection_fingerprints,
    server_fingerprints,
    with_server,
)
from tlslens.analysis.model import (
    AlertLine,
    Endpoint,
    HelloRecord,
    MessageLine,
    TlsConnection,
    Verdict,
)
from tlslens.anomalies import Anomaly
from tlslens.flows.table import Flow
from tlslens.tls import messages as m
from tlslens.tls.session import HISTORY_LETTERS, TlsSession

try:  # the optional compiled ladder (src/tlslens/analysis/_fastbuild.c)
    from tlslens.analysis._fastbuild import ladder as _compiled_ladder
except ImportError:  # not built: build_connection's comprehensions make it
    _compiled_ladder = None  # type: ignore[assignment]
#: ``ladder(entries, names, letters, MessageLine) -> (messages, history) | None``: the
#: message ladder and history in C (None: not built, or declined); a module global, so
#: that tests can build the same connection both ways.
LADDER = _compiled_ladder

#: The history holds the letters of the first this many ladder entries
#: (_fastbuild.c's HISTORY_MAX).
HISTORY_ENTRIES = 200
#: The verification fields of a connection built without verifying (hellos only).
_NOT_VERIFIED: dict[str, Any] = {"server_key_exchange_valid": None, "chain": (),
                                 "hostname_match": None}


def _client_side(flow: Flow, session: TlsSession) -> tuple[int, bool]:
    """(client side, inferred?) following the report contract's rules."""
    if flow.syn_seen:
        return 0, False
    if flow.synack_seen:  # side 0 is the SYN/ACK's receiver: the client
        return 0, False
    if session.client_side is not None:
        return session.client_side, session.roles_from != "client_hello"
    (_, p0), (_, p1) = flow.endpoints
    return (0 if p0 >= p1 else 1), True


def _certs(msg: m.CertificateMsg, anomalies: list[Anomaly], frame: int | None) -> tuple[Any, ...]:
    summarize_certificate = _judge().summarize_certificate
    out = []
    for i, entry in enumerate(msg.entries):
        summary = summarize_certificate(entry.der)
        if not summary.parsed:
            anomalies.append(Anomaly("x509.unparseable", f"certificate {i}: "
                                     f"{'; '.join(e for _, e in summary.errors)}", frame))
        else:
            for fld, err in summary.errors:
                anomalies.append(Anomaly("x509.field_error", f"certificate {i} {fld}: {err}",
                                         frame))
        out.append(summary)
    return tuple(out)


def _resumed(session: TlsSession, version: int | None) -> bool:
    st = session.state
    if not st.client_hellos or not st.server_hellos:
        return False
    ch, sh = st.client_hellos[-1][1], st.server_hellos[-1][1]
    if sh.sslv2_format or ch.sslv2_format:
        return False
    if session.session_tls13():
        pre_shared_key = sh.extension(41)
        return pre_shared_key is not None
    if ch.legacy_session_id and sh.legacy_session_id == ch.legacy_session_id:
        return True
    # Ticket resumption: the server goes straight to ChangeCipherSpec (no Certificate,
    # no ServerKeyExchange, no ServerHelloDone between its hello and its CCS).
    server = 1 - (session.client_side or 0)
    after_hello = False
    for e in st.entries:
        if e.side != server:
            continue
        if e.type == "server_hello":
            after_hello = True
        elif after_hello and e.type in ("certificate", "server_key_exchange",
                                        "server_hello_done", "certificate_request"):
            return False
        elif after_hello and e.type == "change_cipher_spec":
            return True
    return False


#: The history letters of the client's messages (upper case; the server's are lower).
_HISTORY_UPPER = {kind: letter.upper() for kind, letter in HISTORY_LETTERS.items()}


def build_connection(conn_id: int, flow: Flow, session: TlsSession,
                     hellos_only: bool = False, judged: bool = True) -> TlsConnection:
    """The connection's immutable analysis. ``hellos_only`` (``tlslens fingerprint``)
    stops after the hellos and fingerprints: no message ladder, certificates,
    verification, findings or eSIM profile (the verdict then says it was not judged).

    ``judged=False`` leaves out the verification, the findings, the verdict and the eSIM
    profile: the caller then passes the connection, before anything else sees it, to
    :func:`judge_connections`, with the others of its batch (the pipeline does)."""
    st = session.state
    client_side, inferred = _client_side(flow, session)
    session.client_side = client_side

    anomalies: list[Anomaly] = list(flow.anomalies) + list(st.anomalies)
    if not flow.syn_seen and not flow.synack_seen:
        anomalies.insert(0, Anomaly("tcp.midstream", "no SYN: the capture starts inside "
                                    "this connection", flow.first_frame))
    # The fingerprint path reads neither the message ladder nor the history.
    entries = () if hellos_only else st.entries
    # Each side's name ("client"/"server") by side number (0 or 1): a lookup, not a
    # call, for the dozen entries of a connection.
    names = ("client", "server") if client_side == 0 else ("server", "client")
    letters = (_HISTORY_UPPER, HISTORY_LETTERS) if client_side == 0 else (HISTORY_LETTERS,
                                                                          _HISTORY_UPPER)
    made = LADDER(entries, names, letters, MessageLine) if LADDER is not None and entries \
        else None
    if made is not None:
        messages, history = made
    else:
        # (Entries are tuples: unpacking them is faster than reading their fields by name.)
        messages = tuple([MessageLine(frame, ts_ns, names[side], kind, length, encrypted,
                                      decrypted)
                          for side, kind, length, frame, ts_ns, encrypted, decrypted in entries
                          if kind != "limit"])
        history = "".join([letters[e[0]].get(e[1], "?")  # side, type
                           for e in entries[:HISTORY_ENTRIES]])
    client_hellos = tuple([HelloRecord(f, "client", ch) for f, ch in st.client_hellos])
    server_hellos = tuple([HelloRecord(f, "server", sh) for f, sh in st.server_hellos])

    version = session.version
    final_sh = next((sh for _, sh in reversed(st.server_hellos)
                     if not sh.hello_retry_request), None)
    cipher = final_sh.cipher_suite if final_sh is not None else None
    first_ch = st.client_hellos[0][1] if st.client_hellos else None

    server_certs: tuple[Any, ...] = ()
    entry_exts: tuple[tuple[m.Extension, ...], ...] = ()
    client_certs: tuple[Any, ...] | None = None
    for side, msg in () if hellos_only else st.certificates:
        if side != client_side and not server_certs:
            server_certs = _certs(msg, anomalies, None)
            entry_exts = tuple(e.extensions for e in msg.entries)
        elif side == client_side and client_certs is None:
            client_certs = _certs(msg, anomalies, None)
    if final_sh is not None and final_sh.sslv2_certificate and not hellos_only:
        server_certs = _certs(m.CertificateMsg(None, (m.CertificateEntry(
            final_sh.sslv2_certificate),)), anomalies, None)

    ocsp = None
    if st.certificate_status is not None and st.certificate_status.status_type in (1, 2):
        from tlslens.x509.ocsp import decode_ocsp_response  # (see _judge)

        ocsp = decode_ocsp_response(st.certificate_status.response)
        if "error" in ocsp:
            anomalies.append(Anomaly("ocsp.unparseable", str(ocsp["error"]), None))

    if session.complete:
        state = "complete"
    elif session.failed:
        state = "failed"
    else:
        state = "incomplete"

    hello_fps = tuple([client_fingerprints(ch) for _, ch in st.client_hellos])
    sh_fps = tuple([server_fingerprints(sh) for _, sh in st.server_hellos])
    # The connection's fingerprints are the first hellos' (computed once, above).
    fps = hello_fps[0] if hello_fps else connection_fingerprints(None, None)
    if sh_fps:
        fps = with_server(fps, sh_fps[0])

    app = {names[0]: session.application_data(0), names[1]: session.application_data(1)}
    decryption, cv_valid = _decryption(session, anomalies)
    alerts = tuple(AlertLine(a.frame, a.ts_ns, names[a.side], a.level, a.description,
                             a.encrypted, a.decrypted) for a in st.alerts)
    (ip0, port0), (ip1, port1) = flow.endpoints
    ends = {0: Endpoint(ip0, port0), 1: Endpoint(ip1, port1)}
    server_name = first_ch.server_name if first_ch else None
    verified = _NOT_VERIFIED if hellos_only or not judged else _judge().verification(
        certificates=server_certs, server_key_exchange=st.server_key_exchange,
        client_hellos=client_hellos, server_hellos=server_hellos, server_name=server_name,
        start_ns=flow.first_ts)
    conn = TlsConnection(
        id=conn_id, client=ends[client_side], server=ends[1 - client_side],
        direction_inferred=inferred, start_ns=flow.first_ts, end_ns=flow.last_ts,
        first_frame=flow.first_frame,
        state=state, version=version, cipher_suite=cipher, server_name=server_name,
        alpn=final_sh.alpn if final_sh else None,
        resumed=_resumed(session, version), messages=messages, history=history,
        app_data=app, client_hellos=client_hellos, server_hellos=server_hellos,
        certificates=server_certs, certificate_entry_extensions=entry_exts,
        client_certificates=client_certs, certificate_request=st.certificate_request,
        server_key_exchange=st.server_key_exchange,
        client_key_exchange=st.client_key_exchange,
        certificate_verify=tuple((names[s], cv, cv_valid[i] if i < len(cv_valid) else None)
                                 for i, (s, cv) in enumerate(st.certificate_verify)),
        new_session_tickets=tuple(st.new_session_tickets),
        certificate_status=st.certificate_status, ocsp=ocsp,
        encrypted_extensions=(st.encrypted_extensions.extensions
                              if st.encrypted_extensions else None),
        alerts=alerts, fingerprints=fps, hello_fingerprints=hello_fps,
        server_hello_fingerprints=sh_fps, verdict=Verdict("acceptable"),
        anomalies=tuple(anomalies), decryption=decryption, **verified)
    if hellos_only or not judged:
        return conn
    # assess(), with the verification already in: the eSIM profile (analysis/esim/)
    # reads no verification field, and its findings come after the rules' own.
    judge = _judge()
    esim, esim_findings = judge.esim_for(conn)
    _fill(conn, esim=esim, **judge.conclusion(conn, esim_findings))
    return conn


#: A phase of :func:`judge_connections`: what it does to one connection.
JudgePhase = Callable[[TlsConnection], None]


def judge_connections(conns: Sequence[TlsConnection],
                      failed: Callable[[int, Exception], None]) -> None:
    """Verify, profile (eSIM) and judge connections built with ``judged=False``, in
    place: the same fields as :func:`build_connection` sets, with the same values, but
    phase by phase over the whole batch (every verification, then every eSIM profile,
    then every set of findings, then every verdict). Why: each phase runs its own code
    and tables, which stay in the CPU caches for a whole batch instead of being evicted
    by the next phase for every connection: ~4 % of one process's time on the issue-9
    capture (4.86-5.06 s against 5.04-5.25 s, alternating runs; findings and verdicts as
    two phases measured no worse than as one). A phase that raises for a connection calls
    ``failed(index, exception)`` and leaves that connection out of the later phases (the
    caller replaces it)."""
    judge = _judge()
    live = list(range(len(conns)))
    profiles: dict[int, tuple[Any, Any]] = {}

    def verify(conn: TlsConnection) -> None:
        _fill(conn, **judge.verification(
            certificates=conn.certificates, server_key_exchange=conn.server_key_exchange,
            client_hellos=conn.client_hellos, server_hellos=conn.server_hellos,
            server_name=conn.server_name, start_ns=conn.start_ns))

    def profile(conn: TlsConnection) -> None:
        profiles[id(conn)] = judge.esim_for(conn)

    def find(conn: TlsConnection) -> None:
        esim, esim_findings = profiles[id(conn)]
        profiles[id(conn)] = (esim, judge.evaluate(conn) + tuple(esim_findings))

    def conclude(conn: TlsConnection) -> None:
        esim, findings = profiles.pop(id(conn))
        _fill(conn, esim=esim, findings=findings, verdict=judge.judge(conn, findings))

    phase: JudgePhase
    for phase in (verify, profile, find, conclude):
        still = []
        for i in live:
            try:
                phase(conns[i])
            except Exception as exc:  # noqa: BLE001 - the caller reports it
                profiles.pop(id(conns[i]), None)
                failed(i, exc)
            else:
                still.append(i)
        live = still


def _fill(conn: TlsConnection, **fields: Any) -> None:
    """Set fields of a frozen connection that has not left the builder: what
    ``evolve(conn, **fields)`` returns, without making a second ~45-field connection (a
    visible cost per connection). Safe because nothing else holds ``conn`` yet; esim_for
    and conclusion read it before, as they would have read the original."""
    for name, value in fields.items():
        _SET(conn, name, value)


_SET = object.__setattr__


class FingerprintRow(NamedTuple):
    """What ``tlslens fingerprint`` prints of a connection (``Options(fingerprint_rows=
    True)``): the fields of :class:`TlsConnection` it reads, with the same values."""

    id: int
    client: Endpoint
    server: Endpoint
    server_name: str | None
    fingerprints: Any  # analysis.fingerprints.Fingerprints
    first_frame: int


def fingerprint_row(conn_id: int, flow: Flow, session: TlsSession) -> FingerprintRow:
    """The row of a finished connection, without building the connection: the roles,
    the first ClientHello's SNI and the connection fingerprints as
    :func:`build_connection` sets them (tests/unit/analysis/test_build.py compares both on
    every corpus capture). Building a whole connection was most of the per-connection
    cost of ``tlslens fingerprint`` that was not parsing."""
    st = session.state
    client_side, _ = _client_side(flow, session)
    session.client_side = client_side
    (ip0, port0), (ip1, port1) = flow.endpoints
    ends = (Endpoint(ip0, port0), Endpoint(ip1, port1))
    first_ch = st.client_hellos[0][1] if st.client_hellos else None
    first_sh = st.server_hellos[0][1] if st.server_hellos else None
    fps = connection_fingerprints(first_ch, first_sh)
    return FingerprintRow(conn_id, ends[client_side], ends[1 - client_side],
                          first_ch.server_name if first_ch is not None else None, fps,
                          flow.first_frame)


def _judge() -> Any:
    """The certificate, verification, findings and eSIM modules, imported on first use:
    ``tlslens fingerprint`` never needs them, and importing them (cryptography's X.509,
    the rule tables) is about a third of its start-up. Remembered after the first call:
    ``from package import module`` in a function runs importlib's Python code each time,
    and this is called several times a connection."""
    global _JUDGING
    if _JUDGING is None:
        from tlslens.analysis import _judging

        _JUDGING = _judging
    return _JUDGING


_JUDGING: Any = None


def _decryption(session: TlsSession, anomalies: list[Anomaly]
                ) -> tuple[dict[str, Any] | None, list[bool | None]]:
    """The decryptor's summary (JSON ``decryption``) and CertificateVerify results."""
    dec = session.decryptor
    if dec is None or not hasattr(dec, "summary"):
        return None, []
    summary = dec.summary()
    anomalies.extend(getattr(dec, "anomalies", ()))
    return summary, list(getattr(dec, "cv_results", ()))

