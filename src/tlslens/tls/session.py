"""Per-connection TLS state: records in, decoded handshake out.

One :class:`TlsSession` per TCP connection. It owns the two record streams, reassembles
handshake messages across records (and splits several out of one record), tracks the
negotiated version and which side encrypts, decides client and server roles from the
hellos when no SYN did, and keeps everything the analysis needs. It never raises on
input: each problem is a named anomaly.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

from tlslens.anomalies import Anomaly, AnomalyList
from tlslens.registry.ciphers import components
from tlslens.tls import messages as m
from tlslens.tls.handshake import MAX_HANDSHAKE_LENGTH, ParseContext, parse_body
from tlslens.tls.reader import DecodeError
from tlslens.tls.records import MAX_RECORD, Record, RecordStream
from tlslens.tls.sslv2 import parse_sslv2_client_hello, parse_sslv2_server_hello

HANDSHAKE_TYPE_NAMES = {
    m.HELLO_REQUEST: "hello_request", m.CLIENT_HELLO: "client_hello",
    m.SERVER_HELLO: "server_hello", m.HELLO_VERIFY_REQUEST: "hello_verify_request",
    m.NEW_SESSION_TICKET: "new_session_ticket", m.END_OF_EARLY_DATA: "end_of_early_data",
    m.ENCRYPTED_EXTENSIONS: "encrypted_extensions", m.CERTIFICATE: "certificate",
    m.SERVER_KEY_EXCHANGE: "server_key_exchange",
    m.CERTIFICATE_REQUEST: "certificate_request", m.SERVER_HELLO_DONE: "server_hello_done",
    m.CERTIFICATE_VERIFY: "certificate_verify", m.CLIENT_KEY_EXCHANGE: "client_key_exchange",
    m.FINISHED: "finished", m.CERTIFICATE_URL: "certificate_url",
    m.CERTIFICATE_STATUS: "certificate_status", m.SUPPLEMENTAL_DATA: "supplemental_data",
    m.KEY_UPDATE: "key_update", m.COMPRESSED_CERTIFICATE: "compressed_certificate",
    m.MESSAGE_HASH: "message_hash",
}

#: Zeek-style one letter per message, upper case from the client, lower from the server.
HISTORY_LETTERS = {
    "client_hello": "c", "server_hello": "s", "hello_retry_request": "r",
    "certificate": "x", "server_key_exchange": "k", "client_key_exchange": "k",
    "certificate_request": "q", "server_hello_done": "d", "certificate_verify": "v",
    "finished": "f", "new_session_ticket": "t", "encrypted_extensions": "e",
    "change_cipher_spec": "z", "alert": "a", "encrypted_handshake": "f",
    "encrypted_record": "y", "certificate_status": "o", "key_update": "u",
    "heartbeat": "h", "hello_request": "p", "compressed_certificate": "x",
    "end_of_early_data": "n", "sslv2_client_hello": "2", "sslv2_server_hello": "2",
    "sslv2_other": "y",
}

#: Messages only one role may send (RFC 8446 4, RFC 5246 7.4); from the other, the pair
#: (direction, type) is out of the protocol: tls.hs.unexpected.
_CLIENT_ONLY = frozenset({m.CLIENT_HELLO, m.CLIENT_KEY_EXCHANGE, m.END_OF_EARLY_DATA})
_SERVER_ONLY = frozenset({m.HELLO_REQUEST, m.SERVER_HELLO, m.HELLO_VERIFY_REQUEST,
                          m.NEW_SESSION_TICKET, m.ENCRYPTED_EXTENSIONS, m.SERVER_KEY_EXCHANGE,
                          m.CERTIFICATE_REQUEST, m.SERVER_HELLO_DONE, m.CERTIFICATE_STATUS})

#: Handshake bytes buffered per side while waiting for the rest of a message.
MAX_MESSAGES = 10_000
MAX_DECOMPRESSED = 1 << 24


class RecordDecryptor(Protocol):
    """What the session asks of a decryptor (tlslens.crypto); roles are "client"/"server".

    The session reports the handshake as it goes (every handshake message, plaintext or
    decrypted, in wire order: the transcript) and hands it each protected record; a
    decryptor returns ``(inner_content_type, plaintext)`` or None when it cannot."""

    def on_handshake(self, role: str, msg_type: int, raw: bytes, value: Any) -> None: ...
    def on_change_cipher_spec(self, role: str) -> None: ...
    def decrypt(self, role: str, content_type: int, version: int, fragment: bytes,
                frame: int) -> tuple[int, bytes] | None: ...
    def on_application_data(self, role: str, plaintext: bytes, frame: int) -> None: ...


class Entry(NamedTuple):
    """One line of the message ladder."""

    side: int
    type: str
    length: int
    frame: int
    ts_ns: int
    encrypted: bool
    decrypted: bool = False


_new_entry = tuple.__new__


try:  # the optional compiled hand-over of whole records (src/tlslens/tls/_fastsession.c)
    from tlslens.tls import _fastsession
except ImportError:  # not built: RecordStream.feed and _record take every packet
    _fastsession = None  # type: ignore[assignment]
if _fastsession is not None:
    _fastsession.configure(Record, Entry, bytes(int(t in HANDSHAKE_TYPE_NAMES)
                                                for t in range(256)),
                           MAX_RECORD, MAX_MESSAGES, MAX_HANDSHAKE_LENGTH)
#: ``whole_records(session, stream, side, data, frame, ts_ns) -> bool``: a packet of whole
#: records handed to the session in C, as :meth:`TlsSession.on_data`'s Python path would
#: (False: declined, nothing done); None when not built. A module global that each new
#: session reads, so that tests can run the same input both ways.
WHOLE_RECORDS = _fastsession.whole_records if _fastsession is not None else None
#: Whether whole records are handed over in C.
COMPILED = WHOLE_RECORDS is not None


class AlertEntry(NamedTuple):
    side: int
    frame: int
    ts_ns: int
    level: int | None
    description: int | None
    encrypted: bool
    decrypted: bool = False


@dataclass(slots=True, init=False)
class SessionState:
    """What one connection's handshake produced (mutable while the capture is read).

    Made empty, once per connection: the hand-written ``__init__`` below does what the
    generated one did for no arguments, without its ten default-factory calls."""

    entries: list[Entry] = field(default_factory=list)
    alerts: list[AlertEntry] = field(default_factory=list)
    client_hellos: list[tuple[int, m.ClientHello]] = field(default_factory=list)  # (frame, ch)
    server_hellos: list[tuple[int, m.ServerHello]] = field(default_factory=list)
    certificates: list[tuple[int, m.CertificateMsg]] = field(default_factory=list)  # per side
    server_key_exchange: m.ServerKeyExchange | None = None
    client_key_exchange: m.ClientKeyExchange | None = None
    certificate_request: m.CertificateRequest | None = None
    certificate_verify: list[tuple[int, m.CertificateVerify]] = field(default_factory=list)
    new_session_tickets: list[m.NewSessionTicket] = field(default_factory=list)
    certificate_status: m.CertificateStatus | None = None
    encrypted_extensions: m.EncryptedExtensions | None = None
    finished: list[tuple[int, m.Finished]] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=AnomalyList)  # bounded

    def __init__(self) -> None:
        self.entries = []
        self.alerts = []
        self.client_hellos = []
        self.server_hellos = []
        self.certificates = []
        self.server_key_exchange = None
        self.client_key_exchange = None
        self.certificate_request = None
        self.certificate_verify = []
        self.new_session_tickets = []
        self.certificate_status = None
        self.encrypted_extensions = None
        self.finished = []
        self.anomalies = AnomalyList()


class TlsSession:
    """Feed it stream chunks and gaps of both sides; read ``state`` and the properties."""

    def __init__(self, client_side: int | None = None, midstream: bool = False,
                 skip_after_handshake: bool = True,
                 decryptor: RecordDecryptor | None = None, hellos_only: bool = False) -> None:
        self.client_side = client_side  # 0/1 when known (from the SYN), else None
        self.roles_from = "syn" if client_side is not None else None
        self.streams = (RecordStream(0, midstream), RecordStream(1, midstream))
        self.hsbuf = [bytearray(), bytearray()]
        self.encrypted = [False, False]
        self.ctx = ParseContext(decode_extensions=not hellos_only)
        #: Fingerprints only: once the server's (final) hello is in, skip everything else.
        self.hellos_only = hellos_only
        #: With ``hellos_only``: once a ClientHello and the server's hello are in, read
        #: nothing more, not even the rest of the packet (the pipeline sets it for
        #: ``tlslens fingerprint``'s rows, which need only the first hellos).
        self.stop_after_hellos = False
        self._stopped = False
        self.version: int | None = None
        self.state = SessionState()
        self.complete = False
        self.failed = False
        self.reset_seen = False
        self.skip_after_handshake = skip_after_handshake
        self.seen_tls = False
        self.hs_broken = [False, False]
        self._app = [[0, 0], [0, 0]]  # records, bytes counted outside the skip path
        self._server_encrypted_seen = False
        self._encrypted_hs_sides: set[int] = set()  # sides that sent encrypted handshake
        self._client_flight_frame: int | None = None
        self._sslv2_after_hello = [0, 0]
        self.null_mac = 0  # MAC length of a NULL-cipher suite (records readable after CCS)
        self.decryptor = decryptor
        #: Called once when the handshake completes (live capture prints it then).
        self.on_complete: Callable[[], None] | None = None
        #: Called once when both streams start skipping record payloads (the handshake,
        #: or with ``hellos_only`` the hellos, are over): the fingerprint path's fast lane
        #: then stops handing this session any bytes.
        self.on_skipping: Callable[[], None] | None = None
        self._decrypting = False  # the record being processed came out of the decryptor
        #: The compiled hand-over of whole records, where it can ever take a packet (not
        #: with a decryptor, nor on the fingerprint-only path).
        self._whole_records = WHOLE_RECORDS if decryptor is None and not hellos_only \
            else None
        if decryptor is not None:
            self.skip_after_handshake = False  # every record is needed

    # -- roles ----------------------------------------------------------------------
    def role(self, side: int) -> str:
        """"client" or "server" for a side (sides are undecided until a hello says)."""
        client = self.client_side if self.client_side is not None else 0
        return "client" if side == client else "server"

    def _decide_client(self, side: int, how: str) -> None:
        if self.client_side is None:
            self.client_side = side
            self.roles_from = how

    def _is_server(self, side: int) -> bool:
        return self.client_side is not None and side != self.client_side

    # -- input ----------------------------------------------------------------------
    def on_data(self, side: int, data: bytes, frame: int, ts_ns: int) -> None:
        stream = self.streams[side]
        skip = stream.skip
        if skip > len(data) and not stream.anomalies:
            # Hot path: the chunk lies inside a record payload being skipped; what
            # feed() would do, without its calls.
            stream.skip = skip - len(data)
            stream.base += len(data)
            return
        if self._stopped:
            return
        whole = self._whole_records
        if whole is not None and whole(self, stream, side, data, frame, ts_ns):
            return  # a packet of whole records, the plain case: taken in C
        for rec in stream.feed(data, frame, ts_ns):
            self._record(rec)
            if self._stopped:
                break
        if stream.anomalies:
            self.state.anomalies.extend(stream.anomalies)
            stream.anomalies.clear()

    def on_gap(self, side: int, length: int, frame: int) -> None:
        self.streams[side].gap(length, frame)
        if self.hsbuf[side]:
            self.hsbuf[side] = bytearray()

    def on_roles(self, client_side: int) -> None:
        """The TCP handshake says which side is the client: that beats the hellos."""
        self.client_side = client_side
        self.roles_from = "syn"

    def on_reset(self) -> None:
        self.reset_seen = True
        if not self.complete and self.seen_tls:
            self.failed = True

    def finish(self, last_frame: int | None) -> None:
        for side in (0, 1):
            self.streams[side].finish(last_frame)
            self.state.anomalies.extend(self.streams[side].anomalies)
            self.streams[side].anomalies.clear()
            if self.hsbuf[side]:
                self.state.anomalies.append(Anomaly(
                    "tls.hs.truncated", f"stream ends {len(self.hsbuf[side])} bytes into a "
                    "handshake message", last_frame))
        if self.client_side is None:
            self.roles_from = None

    def session_tls13(self) -> bool:
        return self.ctx.tls13

    @property
    def handshake_done(self) -> bool:
        return self.complete or self.failed

    def application_data(self, side: int) -> tuple[int, int]:
        s = self.streams[side]
        return self._app[side][0] + s.app_records, self._app[side][1] + s.app_bytes

    # -- records --------------------------------------------------------------------
    def _record(self, rec: Record) -> None:
        self.seen_tls = True
        ctype = rec.content_type
        if self.decryptor is not None and rec.fragment is not None and \
                not self._decrypting and self._protected(rec):
            out = self.decryptor.decrypt(self.role(rec.side), ctype, rec.version,
                                         rec.fragment, rec.frame)
            if out is not None:
                inner_type, plaintext = out
                self._decrypting = True
                try:
                    self._record(rec._replace(content_type=inner_type, fragment=plaintext,
                                              length=len(plaintext)))
                finally:
                    self._decrypting = False
                return
        if self.null_mac and self.encrypted[rec.side] and rec.fragment is not None \
                and not self._decrypting \
                and ctype in (m.HANDSHAKE, m.ALERT):
            # A NULL-cipher suite "encrypts" to plaintext + MAC: read it as it is.
            rec = rec._replace(fragment=rec.fragment[:max(0, len(rec.fragment)
                                                          - self.null_mac)])
            self.encrypted[rec.side] = False
            self._record(rec)
            self.encrypted[rec.side] = True
            return
        if ctype == m.HANDSHAKE:
            self._handshake_record(rec)
        elif ctype == m.APPLICATION_DATA:
            self._application_record(rec)
        elif ctype == m.CHANGE_CIPHER_SPEC:
            self._ccs(rec)
        elif ctype == m.ALERT:
            self._alert(rec)
        elif ctype == m.HEARTBEAT:
            self._entry(rec.side, "heartbeat", rec.length, rec.frame, rec.ts_ns,
                        self.encrypted[rec.side])
        elif ctype == -1:
            self._sslv2(rec)

    def _protected(self, rec: Record) -> bool:
        """Is this record encrypted on the wire (so worth handing to the decryptor)?"""
        ctype = rec.content_type
        if self.ctx.tls13:
            return ctype == m.APPLICATION_DATA
        if self.encrypted[rec.side]:
            return ctype in (m.HANDSHAKE, m.ALERT, m.APPLICATION_DATA, m.HEARTBEAT)
        # TLS 1.3 early data: client records before the ServerHello.
        return ctype == m.APPLICATION_DATA and self._early_data_offered(rec.side)

    def _entry(self, side: int, kind: str, length: int, frame: int, ts_ns: int,
               encrypted: bool, decrypted: bool = False) -> None:
        if self._decrypting:
            encrypted = decrypted = True
        if len(self.state.entries) < MAX_MESSAGES:
            # (tuple.__new__: the NamedTuple's own __new__ is a Python function; a dozen
            # entries a connection)
            self.state.entries.append(_new_entry(Entry, (side, kind, length, frame, ts_ns,
                                                         encrypted, decrypted)))
        elif len(self.state.entries) == MAX_MESSAGES:
            self.state.entries.append(Entry(side, "limit", 0, frame, ts_ns, False))
            self.state.anomalies.append(Anomaly("limit.reached",
                                                f"more than {MAX_MESSAGES} messages", frame))

    def _ccs(self, rec: Record) -> None:
        self._entry(rec.side, "change_cipher_spec", rec.length, rec.frame, rec.ts_ns, False)
        if rec.fragment is not None and rec.fragment != b"\x01":
            self.state.anomalies.append(Anomaly("tls.ccs.bad",
                                                f"ChangeCipherSpec payload "
                                                f"{rec.fragment[:8].hex()}", rec.frame))
        if not self.ctx.tls13:
            self.encrypted[rec.side] = True
        if self.decryptor is not None:
            self.decryptor.on_change_cipher_spec(self.role(rec.side))

    def _alert(self, rec: Record) -> None:
        side = rec.side
        if len(self.state.alerts) >= MAX_MESSAGES:  # the message limit is reported already
            return
        if not self._decrypting and (self.encrypted[side] or rec.fragment is None
                                     or not _looks_like_alerts(rec.fragment)):
            # Encrypted: after CCS, or (capture started late) bytes that are no alert.
            self.state.alerts.append(AlertEntry(side, rec.frame, rec.ts_ns, None, None, True))
            self._entry(side, "alert", rec.length, rec.frame, rec.ts_ns, True)
            return
        frag = rec.fragment
        if len(frag) % 2 or not frag:
            self.state.anomalies.append(Anomaly("tls.alert.bad_length",
                                                f"alert record of {len(frag)} bytes",
                                                rec.frame))
        for i in range(0, len(frag) - 1, 2):
            level, desc = frag[i], frag[i + 1]
            self.state.alerts.append(AlertEntry(side, rec.frame, rec.ts_ns, level, desc,
                                                self._decrypting, self._decrypting))
            self._entry(side, "alert", 2, rec.frame, rec.ts_ns, False)
            if level == 2 and not self.complete:
                self.failed = True

    def _application_record(self, rec: Record) -> None:
        side = rec.side
        self._app[side][0] += 1
        self._app[side][1] += rec.length
        if self._decrypting:
            if self.decryptor is not None and rec.fragment is not None:
                self.decryptor.on_application_data(self.role(side), rec.fragment, rec.frame)
            return
        if not (self.ctx.tls13 or self._early_data_offered(side)) or self.complete:
            return
        self._entry(side, "encrypted_record", rec.length, rec.frame, rec.ts_ns, True)
        if self._is_server(side):
            self._server_encrypted_seen = True
        elif self._server_encrypted_seen:
            if self._client_flight_frame is None:
                self._client_flight_frame = rec.frame
            self._complete()

    def _early_data_offered(self, side: int) -> bool:
        if self._is_server(side) or not self.state.client_hellos:
            return False
        return self.state.client_hellos[-1][1].extension(42) is not None

    def _complete(self) -> None:
        if self.complete:
            return
        self.complete = True
        self.failed = False
        if self.on_complete is not None:
            self.on_complete()
        if self.skip_after_handshake and not self.null_mac:  # NULL: alerts stay readable
            self._start_skipping()

    def _start_skipping(self) -> None:
        already = self.streams[0].skipping and self.streams[1].skipping
        for s in self.streams:
            s.skipping = True
        if not already and self.on_skipping is not None:
            self.on_skipping()

    # -- handshake ------------------------------------------------------------------
    def _handshake_record(self, rec: Record) -> None:
        side = rec.side
        if rec.fragment is None:  # payload skipped or lost
            self._entry(side, "encrypted_handshake", rec.length, rec.frame, rec.ts_ns, True)
            return
        if self.encrypted[side] and not self.ctx.tls13 and not self._decrypting:
            self._entry(side, "encrypted_handshake", rec.length, rec.frame, rec.ts_ns, True)
            self._check_tls12_complete(side)
            return
        if self.hs_broken[side]:
            return
        if self.hellos_only and self.streams[side].skipping:
            return  # records of the flight read before the hellos were complete
        buf = self.hsbuf[side]
        if not buf and rec.fragment and rec.fragment[0] not in HANDSHAKE_TYPE_NAMES \
                and not self._decrypting:
            # Not a handshake header: an encrypted message whose CCS we did not see
            # (capture started late) or a renegotiation under encryption.
            self._entry(side, "encrypted_handshake", rec.length, rec.frame, rec.ts_ns, True)
            self.encrypted[side] = True
            self._check_tls12_complete(side)
            return
        frag = rec.fragment
        if not buf and len(frag) >= 4 and frag.__class__ is bytes \
                and len(frag) == 4 + ((frag[1] << 16) | (frag[2] << 8) | frag[3]) \
                and len(frag) - 4 <= MAX_HANDSHAKE_LENGTH \
                and len(self.state.entries) <= MAX_MESSAGES:
            # The common record: exactly one whole message. What the loop below does for
            # it, without copying the record into the buffer and out again.
            self.ctx.record_version = rec.version
            self._message(side, frag, rec.frame, rec.ts_ns, rec.version)
            return
        buf += frag
        self.ctx.record_version = rec.version
        while len(buf) >= 4:
            if len(self.state.entries) > MAX_MESSAGES:  # limit.reached is recorded: stop
                buf.clear()
                self.hs_broken[side] = True
                return
            n = (buf[1] << 16) | (buf[2] << 8) | buf[3]
            if n > MAX_HANDSHAKE_LENGTH:
                self.state.anomalies.append(Anomaly(
                    "tls.hs.too_long", f"handshake message type {buf[0]} of {n} bytes",
                    rec.frame))
                buf.clear()
                self.hs_broken[side] = True
                return
            if len(buf) < 4 + n:
                return
            raw = bytes(buf[:4 + n])
            del buf[:4 + n]
            self._message(side, raw, rec.frame, rec.ts_ns, rec.version)
            if self.hellos_only and self.streams[side].skipping:
                buf.clear()  # the hellos are in: the rest of the flight is not needed
                return

    def _check_tls12_complete(self, side: int) -> None:
        """TLS <= 1.2 without keys: complete once both sides sent their Finished (an
        encrypted handshake record). Kept as a set: rescanning the ladder on every
        record was quadratic on long streams of such records."""
        self._encrypted_hs_sides.add(side)
        if len(self._encrypted_hs_sides) == 2:
            self._complete()

    def _message(self, side: int, raw: bytes, frame: int, ts_ns: int, rversion: int) -> None:
        msg_type = raw[0]
        body = raw[4:]
        ctx = self.ctx
        ctx.problems = []
        value, error = parse_body(msg_type, body, ctx)
        kind = HANDSHAKE_TYPE_NAMES.get(msg_type) or f"unknown_{msg_type}"
        for aid, detail in ctx.problems:
            self.state.anomalies.append(Anomaly(aid, f"{kind}: {detail}", frame))
        if error is not None:
            self.state.anomalies.append(Anomaly("tls.hs.malformed", f"{kind}: {error}", frame))
        if msg_type not in HANDSHAKE_TYPE_NAMES:
            self.state.anomalies.append(Anomaly("tls.hs.unknown_type",
                                                f"handshake type {msg_type}", frame))
        if msg_type == m.SERVER_HELLO and isinstance(value, m.ServerHello) \
                and value.hello_retry_request:
            kind = "hello_retry_request"
        if self.client_side is not None and msg_type in (
                _SERVER_ONLY if side == self.client_side else _CLIENT_ONLY):
            self.state.anomalies.append(Anomaly("tls.hs.unexpected", f"{kind} sent by the "
                                                f"{self.role(side)}", frame))
        self._entry(side, kind, len(body), frame, ts_ns, False)
        handler = _HANDLERS.get(msg_type)
        if handler is not None and value is not None:
            handler(self, side, value, frame, rversion)
        if self.decryptor is not None:
            self.decryptor.on_handshake(self.role(side), msg_type, raw, value)

    def _on_client_hello(self, side: int, ch: m.ClientHello, frame: int, rv: int) -> None:
        st = self.state
        if st.client_hellos and not any(sh.hello_retry_request for _, sh in st.server_hellos):
            st.anomalies.append(Anomaly("tls.hs.duplicate_hello",
                                        "a second ClientHello without a HelloRetryRequest",
                                        frame))
        st.client_hellos.append((frame, ch))
        self._decide_client(side, "client_hello")

    def _on_server_hello(self, side: int, sh: m.ServerHello, frame: int, rv: int) -> None:
        self.state.server_hellos.append((frame, sh))
        self._decide_client(1 - side, "server_hello")
        version = sh.selected_version or sh.legacy_version
        ctx = self.ctx
        ctx.version = version
        self.version = version
        ctx.tls13 = version == 0x0304 or 0x7F00 < version <= 0x7FFF
        if sh.hello_retry_request:
            return
        comp = _suite_components(sh.cipher_suite)
        if comp is not None:
            ctx.kx, ctx.au, ctx.export, null_mac = comp
            self.null_mac = 0 if ctx.tls13 else null_mac
        if ctx.tls13:
            self.encrypted = [True, True]
        if self.hellos_only and self.decryptor is None:
            self._start_skipping()
            if self.stop_after_hellos and self.state.client_hellos:
                self._stopped = True

    def _on_certificate(self, side: int, cert: m.CertificateMsg, frame: int, rv: int) -> None:
        self.state.certificates.append((side, cert))

    def _on_compressed_certificate(self, side: int, cc: m.CompressedCertificate, frame: int,
                                   rv: int) -> None:
        data = _decompress(cc, self.state.anomalies, frame)
        if data is None:
            return
        ctx = ParseContext(version=self.ctx.version, tls13=True)
        value, error = parse_body(m.CERTIFICATE, data[4:] if data[:1] == b"\x0b" else data, ctx)
        if isinstance(value, m.CertificateMsg):
            self.state.certificates.append((side, value))
        else:
            self.state.anomalies.append(Anomaly("tls.hs.malformed",
                                                f"decompressed certificate: {error}", frame))

    def _on_ske(self, side: int, v: m.ServerKeyExchange, frame: int, rv: int) -> None:
        self.state.server_key_exchange = v

    def _on_cke(self, side: int, v: m.ClientKeyExchange, frame: int, rv: int) -> None:
        self.state.client_key_exchange = v

    def _on_cr(self, side: int, v: m.CertificateRequest, frame: int, rv: int) -> None:
        self.state.certificate_request = v

    def _on_cv(self, side: int, v: m.CertificateVerify, frame: int, rv: int) -> None:
        self.state.certificate_verify.append((side, v))

    def _on_nst(self, side: int, v: m.NewSessionTicket, frame: int, rv: int) -> None:
        self.state.new_session_tickets.append(v)

    def _on_cs(self, side: int, v: m.CertificateStatus, frame: int, rv: int) -> None:
        self.state.certificate_status = v

    def _on_ee(self, side: int, v: m.EncryptedExtensions, frame: int, rv: int) -> None:
        self.state.encrypted_extensions = v

    def _on_finished(self, side: int, v: m.Finished, frame: int, rv: int) -> None:
        self.state.finished.append((side, v))
        if {s for s, _ in self.state.finished} == {0, 1}:
            self._complete()

    # -- SSLv2 ----------------------------------------------------------------------
    def _sslv2(self, rec: Record) -> None:
        side, frag = rec.side, rec.fragment or b""
        kind = "sslv2_other"
        try:
            if frag[:1] == b"\x01" and not self.state.client_hellos:
                ch = parse_sslv2_client_hello(frag)
                self.state.client_hellos.append((rec.frame, ch))
                self._decide_client(side, "client_hello")
                kind = "sslv2_client_hello"
            elif frag[:1] == b"\x04" and not self.state.server_hellos:
                sh = parse_sslv2_server_hello(frag)
                self.state.server_hellos.append((rec.frame, sh))
                self._decide_client(1 - side, "server_hello")
                self.version = self.ctx.version = 0x0002
                for s in self.streams:
                    s.sslv2 = True
                kind = "sslv2_server_hello"
            else:
                self._sslv2_after_hello[side] += 1
        except DecodeError as exc:
            self.state.anomalies.append(Anomaly("tls.sslv2.malformed", str(exc), rec.frame))
        self._entry(side, kind, rec.length, rec.frame, rec.ts_ns, kind == "sslv2_other")
        if self.state.server_hellos and all(self._sslv2_after_hello) and \
                self.state.server_hellos[0][1].sslv2_format:
            self._complete()


_HANDLERS: dict[int, Any] = {
    m.CLIENT_HELLO: TlsSession._on_client_hello,
    m.SERVER_HELLO: TlsSession._on_server_hello,
    m.CERTIFICATE: TlsSession._on_certificate,
    m.COMPRESSED_CERTIFICATE: TlsSession._on_compressed_certificate,
    m.SERVER_KEY_EXCHANGE: TlsSession._on_ske,
    m.CLIENT_KEY_EXCHANGE: TlsSession._on_cke,
    m.CERTIFICATE_REQUEST: TlsSession._on_cr,
    m.CERTIFICATE_VERIFY: TlsSession._on_cv,
    m.NEW_SESSION_TICKET: TlsSession._on_nst,
    m.CERTIFICATE_STATUS: TlsSession._on_cs,
    m.ENCRYPTED_EXTENSIONS: TlsSession._on_ee,
    m.FINISHED: TlsSession._on_finished,
}


_MAC_LENGTHS = {"HMAC-MD5": 16, "HMAC-SHA1": 20, "HMAC-SHA256": 32, "HMAC-SHA384": 48}


def _suite_components(suite: int | None) -> tuple[str | None, str | None, bool, int] | None:
    """(kx, au, export, MAC length if the cipher is NULL else 0) of a cipher suite."""
    if suite is None:
        return None
    comp = components(suite)
    if comp is None:
        return None
    null_mac = _MAC_LENGTHS.get(comp.mac or "", 0) if comp.enc_cipher == "NULL" else 0
    return comp.kx, comp.au, comp.export, null_mac


def _looks_like_alerts(frag: bytes) -> bool:
    """Plaintext alerts are (level 1|2, description) pairs; anything else is ciphertext."""
    if not frag or len(frag) % 2:
        return len(frag) == 1  # a lone byte: malformed plaintext, reported as such
    return all(frag[i] in (1, 2) for i in range(0, len(frag), 2))


def _decompress(cc: m.CompressedCertificate, anomalies: list[Anomaly],
                frame: int) -> bytes | None:
    """RFC 8879: zlib (1), brotli (2), zstd (3). At most one byte more than the declared
    length (itself at most 16 MiB) is ever produced, so a hostile bomb costs nothing; a
    stream that would give more, or less, than declared is a failure (RFC 8879 4)."""
    limit = min(cc.uncompressed_length, MAX_DECOMPRESSED)
    try:
        if cc.algorithm == 1:
            d = zlib.decompressobj()
            out = d.decompress(cc.compressed, limit + 1)
        elif cc.algorithm == 2:
            out = _brotli_bounded(cc.compressed, limit + 1)
        elif cc.algorithm == 3:
            import io

            import zstandard

            # decompress(max_output_size=) trusts a frame's declared content size; a
            # stream reader never gives more than asked.
            with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(cc.compressed)) as rd:
                out = rd.read(limit + 1)
        else:
            anomalies.append(Anomaly("tls.decompress.unsupported",
                                     f"certificate compression algorithm {cc.algorithm}",
                                     frame))
            return None
    except Exception as exc:  # noqa: BLE001 - each codec raises its own error type
        anomalies.append(Anomaly("tls.decompress.failed", f"{type(exc).__name__}: {exc}",
                                 frame))
        return None
    if len(out) != cc.uncompressed_length:
        got = f"more than {limit}" if len(out) > limit else str(len(out))
        anomalies.append(Anomaly("tls.decompress.failed",
                                 f"got {got} bytes, {cc.uncompressed_length} declared",
                                 frame))
        return None
    return out


def _brotli_bounded(data: bytes, limit: int) -> bytes:
    """Brotli output up to about ``limit`` bytes (the decoder's limit is soft: it may
    overshoot by one internal buffer, never by the size of a bomb)."""
    import brotli

    dec = brotli.Decompressor()
    out = dec.process(data, output_buffer_limit=limit)
    while len(out) < limit and not dec.is_finished():
        more = dec.process(b"", output_buffer_limit=limit - len(out))
        if not more:
            break
        out += more
    if len(out) < limit and not dec.is_finished():
        raise ValueError("brotli stream is truncated")
    return out
