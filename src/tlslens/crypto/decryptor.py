"""The per-connection decryptor: the session's :class:`RecordDecryptor` hooks.

The session reports each handshake message in wire order (its transcript), each
ChangeCipherSpec, and hands over each protected record; this object finds the keys
(key log lines by client random, an RSA premaster, the master secret of a resumed
session), opens the records, verifies both Finished messages and the TLS 1.3
CertificateVerify, keeps the first application bytes of each direction, and at the end
says in one ``summary()`` what it could do and, when not, why. It never raises on input.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tlslens.anomalies import Anomaly
from tlslens.crypto import tls12, tls13
from tlslens.crypto.keylog import KeyStore
from tlslens.crypto.record import RecordProtection
from tlslens.crypto.suites import SuiteParams, suite_params
from tlslens.tls import messages as m

FIRST_BYTES = 64
#: Plaintext kept per direction for --export-plaintext (then a limit.reached anomaly).
MAX_EXPORT = 1 << 28
_EXT_TICKET, _EXT_ETM, _EXT_EMS, _EXT_EARLY = 35, 22, 23, 42


@dataclass(slots=True)
class _Direction:
    """Plaintext application data of one direction."""

    total: int = 0
    first: bytearray = field(default_factory=bytearray)
    stream: bytearray | None = None

    def add(self, data: bytes, export: bool) -> bool:
        self.total += len(data)
        if len(self.first) < FIRST_BYTES:
            self.first += data[:FIRST_BYTES - len(self.first)]
        if export:
            if self.stream is None:
                self.stream = bytearray()
            if len(self.stream) + len(data) > MAX_EXPORT:
                return False
            self.stream += data
        return True

    def to_dict(self) -> dict[str, Any]:
        return {"bytes": self.total, "first_hex": bytes(self.first).hex(),
                "first_text": printable(bytes(self.first))}


def _leaf_of_compressed(cc: m.CompressedCertificate) -> bytes | None:
    """The first certificate of an RFC 8879 CompressedCertificate (the session reports
    decompression problems; here a failure only leaves CertificateVerify unchecked)."""
    from tlslens.tls.handshake import ParseContext, parse_body
    from tlslens.tls.session import _decompress

    data = _decompress(cc, [], 0)
    if data is None:
        return None
    value, _ = parse_body(m.CERTIFICATE, data[4:] if data[:1] == b"\x0b" else data,
                          ParseContext(version=0x0304, tls13=True))
    if isinstance(value, m.CertificateMsg) and value.entries:
        return value.entries[0].der
    return None


def printable(data: bytes) -> str:
    """Printable ASCII as is, every other byte as ``.`` (as Wireshark's hex pane)."""
    return "".join(chr(b) if 0x20 <= b < 0x7F else "." for b in data)


class Decryptor:
    """Decrypts one connection with the keys of a run's :class:`KeyStore`."""

    def __init__(self, store: KeyStore, export: bool = False) -> None:
        self.store = store
        self.export = export
        self.anomalies: list[Anomaly] = []
        # handshake facts
        self.client_random: bytes | None = None
        self.server_random: bytes | None = None
        self.ch: m.ClientHello | None = None
        self.sh: m.ServerHello | None = None
        self.version: int | None = None
        self.suite: int | None = None
        self.params: SuiteParams | None = None
        self.tls13 = False
        self.hrr = False
        self.transcript: list[bytes] = []
        self.transcript_open = True  # TLS 1.3: closed after the client's Finished
        self.cke: m.ClientKeyExchange | None = None
        self.cke_at: int | None = None  # transcript length through ClientKeyExchange
        self.sslv2 = False
        # keys
        self.master: bytes | None = None
        self.key_source: str | None = None
        self.master_tried = False
        self.active: dict[str, RecordProtection | None] = {"client": None, "server": None}
        self.keyed: dict[str, bool] = {"client": False, "server": False}  # keys were derived
        # TLS 1.3 key phases: role -> list of (phase, secret) still to come
        self.secrets13: dict[str, dict[str, bytes]] = {"client": {}, "server": {}}
        self.phase: dict[str, str | None] = {"client": None, "server": None}
        self.early_params: SuiteParams | None = None
        self.leaf: dict[str, bytes] = {}
        # results
        self.ok = 0
        self.auth_failed = 0
        self.no_key = 0
        self.finished_valid: dict[str, bool | None] = {"client": None, "server": None}
        self.cv_results: list[bool | None] = []
        self.app = {"client": _Direction(), "server": _Direction()}
        self.early = _Direction()
        self._in_early = False
        self._missing: list[str] = []
        self._tickets: list[bytes] = []
        self._export_full = False
        self._wrong_reported = False

    # -- session hooks ----------------------------------------------------------------
    def on_handshake(self, role: str, msg_type: int, raw: bytes, value: Any) -> None:
        try:
            self._handshake(role, msg_type, raw, value)
        except Exception as exc:  # noqa: BLE001 - a crypto library error must not stop parsing
            self.anomalies.append(Anomaly("internal.error", f"decryption: "
                                          f"{type(exc).__name__}: {exc}"))

    def on_change_cipher_spec(self, role: str) -> None:
        if self.tls13 or self.params is None:
            return
        self.active[role] = None
        self.keyed[role] = False
        master = self._master()
        if master is None:
            return
        assert self.client_random is not None and self.server_random is not None
        assert self.version is not None
        ckeys, skeys = tls12.key_block(self.version, self.params, master, self.client_random,
                                       self.server_random)
        etm = self._both_have(_EXT_ETM) and bool(self.params.block)
        self.active[role] = tls12.protection(self.version, self.params,
                                             ckeys if role == "client" else skeys, etm)
        self.keyed[role] = True

    def decrypt(self, role: str, content_type: int, version: int, fragment: bytes,
                frame: int) -> tuple[int, bytes] | None:
        try:
            out = self._decrypt13(role, content_type, version, fragment) if self._tls13_like() \
                else self._decrypt12(role, content_type, version, fragment)
        except Exception as exc:  # noqa: BLE001 - never let a primitive's error escape
            self.anomalies.append(Anomaly("internal.error", f"decryption: "
                                          f"{type(exc).__name__}: {exc}", frame))
            out = None
        if out is None:
            if self.keyed[role] or self._tls13_like() and self.phase[role] is not None:
                self.auth_failed += 1
                if self.auth_failed <= 3:
                    self.anomalies.append(Anomaly(
                        "decrypt.record_failed", f"a {role} record of {len(fragment)} bytes "
                        "did not authenticate with the keys given", frame))
            else:
                self.no_key += 1
            return None
        self.ok += 1
        return out

    def on_application_data(self, role: str, plaintext: bytes, frame: int) -> None:
        target = self.early if (self._in_early and role == "client") else self.app[role]
        if not target.add(plaintext, self.export) and not self._export_full:
            self._export_full = True
            self.anomalies.append(Anomaly("limit.reached", f"more than {MAX_EXPORT} "
                                          "plaintext bytes to export in one direction", frame))

    # -- handshake --------------------------------------------------------------------
    def _handshake(self, role: str, msg_type: int, raw: bytes, value: Any) -> None:
        if msg_type == m.CLIENT_HELLO and isinstance(value, m.ClientHello):
            self._client_hello(value)
        elif msg_type == m.SERVER_HELLO and isinstance(value, m.ServerHello):
            self._server_hello(value)
        elif msg_type == m.CLIENT_KEY_EXCHANGE and isinstance(value, m.ClientKeyExchange):
            self.cke = value
            self.cke_at = len(self.transcript) + 1
        elif msg_type == m.CERTIFICATE and isinstance(value, m.CertificateMsg):
            if value.entries:
                self.leaf[role] = value.entries[0].der
        elif msg_type == m.COMPRESSED_CERTIFICATE and isinstance(value,
                                                                 m.CompressedCertificate):
            der = _leaf_of_compressed(value)
            if der is not None:
                self.leaf[role] = der
        elif msg_type == m.CERTIFICATE_VERIFY and isinstance(value, m.CertificateVerify):
            self.cv_results.append(self._certificate_verify(role, value))
        elif msg_type == m.FINISHED and isinstance(value, m.Finished):
            self._finished(role, value, raw)
            return
        elif msg_type == m.END_OF_EARLY_DATA and self.tls13:
            self._add(raw)
            self._switch13("client", "handshake")
            return
        elif msg_type == m.KEY_UPDATE and self.tls13:
            self._key_update(role)
            return
        elif msg_type == m.NEW_SESSION_TICKET and isinstance(value, m.NewSessionTicket):
            if self.tls13:
                return  # post-handshake: not part of the transcript
            self._tickets.append(value.ticket)  # TLS 1.2: hashed into Finished (RFC 5077)
            self._remember()
        elif msg_type == m.HELLO_REQUEST:
            return  # never part of the transcript (RFC 5246 7.4.1.1)
        self._add(raw)

    def _add(self, raw: bytes) -> None:
        if self.transcript_open:
            self.transcript.append(raw)

    def _client_hello(self, ch: m.ClientHello) -> None:
        if ch.sslv2_format:
            self.sslv2 = True
            return
        if not self.hrr:  # a new handshake (or a renegotiation): a new transcript
            self.transcript = []
            self.transcript_open = True
            self.master = None
            self.master_tried = False
            self.cke = None
            self.cke_at = None
        self.ch = ch
        self.client_random = ch.random
        if ch.extension(_EXT_EARLY) is not None and not self.hrr:
            secret = self.store.get("CLIENT_EARLY_TRAFFIC_SECRET", ch.random)
            if secret is not None:
                self.secrets13["client"]["early"] = secret
                self.phase["client"] = "early"

    def _server_hello(self, sh: m.ServerHello) -> None:
        self.sh = sh
        version = sh.selected_version or sh.legacy_version
        if sh.sslv2_format:
            self.sslv2 = True
            return
        self.version = version
        self.suite = sh.cipher_suite
        self.tls13 = version == 0x0304 or 0x7F00 < version <= 0x7FFF
        if sh.hello_retry_request:
            self.hrr = True
            self.phase["client"] = None  # early data is rejected after HRR
            self.secrets13["client"].pop("early", None)
            return
        self.server_random = sh.random
        self.params = suite_params(sh.cipher_suite)
        if self.params is None or not self.tls13:
            return
        cr = self.client_random
        for role, label in (("client", "CLIENT_HANDSHAKE_TRAFFIC_SECRET"),
                            ("server", "SERVER_HANDSHAKE_TRAFFIC_SECRET")):
            secret = self.store.get(label, cr)
            if secret is not None:
                self.secrets13[role]["handshake"] = secret
            else:
                self._missing.append(label)
        for role, label in (("client", "CLIENT_TRAFFIC_SECRET_0"),
                            ("server", "SERVER_TRAFFIC_SECRET_0")):
            secret = self.store.get(label, cr)
            if secret is not None:
                self.secrets13[role]["application"] = secret
            else:
                self._missing.append(label)
        self.key_source = "keylog" if any(self.secrets13[r] for r in self.secrets13) else None
        self._switch13("server", "handshake")
        if self.phase["client"] != "early":
            self._switch13("client", "handshake")

    def _both_have(self, ext: int) -> bool:
        return self.ch is not None and self.sh is not None and \
            self.ch.extension(ext) is not None and self.sh.extension(ext) is not None

    def _tls13_like(self) -> bool:
        """TLS 1.3, or 0-RTT data before the ServerHello told the version."""
        return self.tls13 or (self.sh is None and self.phase["client"] == "early")

    # -- TLS 1.2 keys ---------------------------------------------------------------------
    def _master(self) -> bytes | None:
        if self.master is not None or self.master_tried:
            return self.master
        self.master_tried = True
        if self.params is None or self.client_random is None or self.server_random is None \
                or self.version is None:
            return None
        master = self.store.get("CLIENT_RANDOM", self.client_random)
        source = "keylog"
        if master is None:
            premaster, source = self._premaster()
            if premaster is not None:
                session_hash = None
                if self._both_have(_EXT_EMS) and self.cke_at is not None:
                    session_hash = tls12.handshake_hash(self.version, self.params, b"".join(
                        self.transcript[:self.cke_at]))
                master = tls12.master_secret(self.version, self.params, premaster,
                                             self.client_random, self.server_random,
                                             session_hash)
        if master is None:
            master, source = self._resumed_master()
        if master is None:
            self._missing.append("CLIENT_RANDOM")
            return None
        self.master, self.key_source = master, source
        self._remember()
        return master

    def _premaster(self) -> tuple[bytes | None, str]:
        cke = self.cke
        if cke is None or cke.kind != "rsa" or not cke.public_key:
            return None, ""
        pms = self.store.get("RSA", cke.public_key[:8])
        if pms is not None:
            return pms, "keylog"
        from cryptography.hazmat.primitives.asymmetric import padding

        for key in self.store.rsa_keys:
            try:
                out = key.decrypt(cke.public_key, padding.PKCS1v15())  # type: ignore[attr-defined]
            except ValueError:
                continue
            if len(out) == 48:
                return out, "rsa_key"
        if self.store.rsa_keys:
            self.anomalies.append(Anomaly("decrypt.bad_premaster", "no --rsa-key decrypts "
                                          "this ClientKeyExchange"))
        return None, ""

    def _resumed_master(self) -> tuple[bytes | None, str]:
        ch, sh = self.ch, self.sh
        if ch is None or sh is None:
            return None, ""
        if ch.legacy_session_id and sh.legacy_session_id == ch.legacy_session_id:
            found = self.store.by_session_id.get(ch.legacy_session_id)
            if found is not None:
                return found, "resumption"
        ticket = ch.extension(_EXT_TICKET)
        if ticket is not None and ticket.raw:
            found = self.store.by_ticket.get(ticket.raw)
            if found is not None:
                return found, "resumption"
        return None, ""

    def _remember(self) -> None:
        """Offer this session's master secret to later connections that resume it."""
        if self.master is None or self.tls13:
            return
        if self.sh is not None and self.sh.legacy_session_id:
            self.store.by_session_id.setdefault(self.sh.legacy_session_id, self.master)
        for t in self._tickets:
            self.store.by_ticket.setdefault(t, self.master)

    def _decrypt12(self, role: str, ctype: int, version: int,
                   fragment: bytes) -> tuple[int, bytes] | None:
        prot = self.active[role]
        if prot is None:
            return None
        return prot.open(ctype, version, fragment)

    # -- TLS 1.3 keys ---------------------------------------------------------------------
    def _switch13(self, role: str, phase: str) -> None:
        self.phase[role] = phase if phase in self.secrets13[role] else None
        self.active[role] = None
        self.keyed[role] = False
        params = self.params if phase != "early" else self.early_params
        if self.phase[role] is not None and params is not None:
            self.active[role] = tls13.traffic_protection(params, self.secrets13[role][phase])
            self.keyed[role] = True

    def _next_phase(self, role: str) -> str | None:
        order = ["early", "handshake", "application"]
        cur = self.phase[role]
        if cur is None:
            return None
        i = order.index(cur) if cur in order else len(order)
        for nxt in order[i + 1:]:
            if nxt in self.secrets13[role]:
                return nxt
        return None

    def _decrypt13(self, role: str, ctype: int, version: int,
                   fragment: bytes) -> tuple[int, bytes] | None:
        self._in_early = False
        if role == "client" and self.phase["client"] == "early" and self.early_params is None:
            out = self._early_trial(ctype, version, fragment)
            if out is not None:
                return out
        prot = self.active[role]
        if prot is not None:
            out = prot.open(ctype, version, fragment)
            if out is not None:
                self._in_early = self.phase[role] == "early"
                return out
        # The peer moved on (early data rejected, a Finished we could not see): the next
        # key phase, if its secret is known, opens the record.
        nxt = self._next_phase(role) if self.phase[role] is not None else None
        if nxt is None and self.phase[role] is None:
            for candidate in ("handshake", "application"):
                if candidate in self.secrets13[role]:
                    nxt = candidate
                    break
        if nxt is None or self.params is None:
            return None
        trial = tls13.traffic_protection(self.params, self.secrets13[role][nxt])
        out = trial.open(ctype, version, fragment)
        if out is not None:
            self.phase[role], self.active[role], self.keyed[role] = nxt, trial, True
        return out

    def _early_trial(self, ctype: int, version: int,
                     fragment: bytes) -> tuple[int, bytes] | None:
        """0-RTT before the ServerHello: the suite is the PSK's; try the TLS 1.3 suites
        the client offered until one opens the record."""
        assert self.ch is not None
        secret = self.secrets13["client"]["early"]
        for code in self.ch.cipher_suites:
            params = suite_params(code)
            if params is None or not params.tls13:
                continue
            prot = tls13.traffic_protection(params, secret)
            out = prot.open(ctype, version, fragment)
            if out is not None:
                self.early_params = params
                self.active["client"], self.keyed["client"] = prot, True
                self._in_early = True
                return out
        return None

    def _key_update(self, role: str) -> None:
        secret = self.secrets13[role].get("application")
        if self.params is None or secret is None or self.phase[role] != "application":
            return
        new = tls13.next_secret(self.params, secret)
        self.secrets13[role]["application"] = new
        self.active[role] = tls13.traffic_protection(self.params, new)

    # -- verification -----------------------------------------------------------------
    def _finished(self, role: str, fin: m.Finished, raw: bytes) -> None:
        params = self.params
        valid: bool | None = None
        if params is not None and self.version is not None:
            if self.tls13:
                secret = self.secrets13[role].get("handshake")
                if secret is not None:
                    thash = tls13.transcript_hash(params.prf, self.transcript, self.hrr)
                    valid = tls13.finished(params, secret, thash) == fin.verify_data
            elif self.master is not None:
                want = tls12.finished(self.version, params, self.master, role,
                                      b"".join(self.transcript))
                valid = want == fin.verify_data
        self.finished_valid[role] = valid
        if valid is False:
            self.anomalies.append(Anomaly(
                "decrypt.finished_mismatch", f"the {role}'s Finished does not match the "
                "transcript: these keys do not belong to this connection"))
        self._add(raw)
        if self.tls13:
            if role == "server":
                self._switch13("server", "application")
            else:
                self.transcript_open = False
                self._switch13("client", "application")

    def _certificate_verify(self, role: str, value: Any) -> bool | None:
        if not self.tls13 or self.params is None or not isinstance(value, m.CertificateVerify):
            return None
        der = self.leaf.get(role)
        if der is None:
            return None
        thash = tls13.transcript_hash(self.params.prf, self.transcript, self.hrr)
        return tls13.verify_certificate_verify(role, value.signature_algorithm,
                                               value.signature, der, thash)

    # -- outcome --------------------------------------------------------------------------
    def summary(self) -> dict[str, Any]:
        """The JSON report's ``decryption`` object (spec/json-report.md)."""
        status, reason_id, args = self._status()
        from tlslens.report.messages.decryption import EN

        if status == "wrong_key" and not self._wrong_reported:
            self._wrong_reported = True
            self.anomalies.append(Anomaly(
                "decrypt.wrong_key", f"these keys do not belong to this connection (client "
                f"random {args.get('client_random', '')}, key source {self.key_source})"))

        reason = EN[f"dec.reason.{reason_id}"].format(**args) if reason_id else None
        return {
            "status": status, "reason": reason, "reason_id": reason_id,
            "reason_args": args, "key_source": self.key_source,
            "client_finished_valid": self.finished_valid["client"],
            "server_finished_valid": self.finished_valid["server"],
            "records": {"ok": self.ok, "failed": self.auth_failed + self.no_key},
            "early_data": self.early.to_dict() if self.early.total else None,
            "application_data": {d: self.app[d].to_dict() for d in ("client", "server")},
        }

    def _status(self) -> tuple[str, str | None, dict[str, str]]:
        cr = self.client_random.hex() if self.client_random else ""
        if self.sslv2:
            return "unsupported_cipher", "sslv2", {}
        if self.client_random is None or self.sh is None or self.server_random is None:
            if self.ok and self.early.total:
                return "partial", "early_only", {}
            return "no_handshake", "no_handshake", {}
        if self.params is None:
            from tlslens.registry import name

            suite = name("cipher_suites", self.suite) if self.suite is not None else None
            return "unsupported_cipher", "unsupported_cipher", {
                "suite": suite or f"0x{self.suite or 0:04x}"}
        wrong = any(v is False for v in self.finished_valid.values()) or \
            (self.auth_failed and not self.ok)
        if wrong:
            return "wrong_key", "wrong_key", {"client_random": cr}
        if not self.ok:
            if self.no_key or self.key_source is None and self._missing:
                return "no_secret", "no_secret", {"client_random": cr, "labels": ", ".join(
                    sorted(set(self._missing))) or "CLIENT_RANDOM"}
            return "decrypted", "nothing_encrypted", {}
        if self.auth_failed:
            return "partial", "some_failed", {"n": str(self.auth_failed)}
        if self.no_key:
            return "partial", "some_missing", {"n": str(self.no_key), "labels": ", ".join(
                sorted(set(self._missing))) or "-"}
        return "decrypted", None, {}

    def streams(self) -> dict[str, bytes]:
        """Each direction's whole plaintext stream (only with export on)."""
        return {d: bytes(self.app[d].stream or b"") for d in ("client", "server")}
