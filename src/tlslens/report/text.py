"""The text report: per connection, the message ladder, then every field explained.

Written with ``rich`` (colour on a terminal, plain text elsewhere). Wire strings go
through :func:`safe_text` and are added as plain ``Text`` (never parsed as markup), so a
hostile SNI or certificate name cannot inject terminal escapes or styling.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Iterable, Iterator
from typing import IO, Any

from rich.console import Console
from rich.text import Text

from tlslens.analysis.model import AnalysisResult, MessageLine, TlsConnection
from tlslens.registry import name, version_name
from tlslens.registry.ciphers import components
from tlslens.report.i18n import Translator
from tlslens.report.json_report import packet_time
from tlslens.report.messages.findings import render_value, verdict_summary
from tlslens.report.safe import safe_text
from tlslens.tls import messages as m

#: Two timestamps this close count as "the same clock" for the gmt_unix_time reading.
PLAUSIBLE_CLOCK_SKEW = 86_400

_ARROW = {"client": "──▶", "server": "◀──"}
_LEVEL_STYLE = {"good": "bold green", "acceptable": "green", "weak": "bold yellow",
                "insecure": "bold red", "failed": "bold red"}
_MSG_TITLES = {
    "client_hello": "ClientHello", "server_hello": "ServerHello",
    "hello_retry_request": "HelloRetryRequest", "certificate": "Certificate",
    "server_key_exchange": "ServerKeyExchange", "server_hello_done": "ServerHelloDone",
    "client_key_exchange": "ClientKeyExchange", "change_cipher_spec": "ChangeCipherSpec",
    "finished": "Finished", "encrypted_handshake": "Encrypted handshake message (Finished)",
    "encrypted_record": "Encrypted record", "alert": "Alert",
    "new_session_ticket": "NewSessionTicket", "certificate_request": "CertificateRequest",
    "certificate_verify": "CertificateVerify", "encrypted_extensions": "EncryptedExtensions",
    "certificate_status": "CertificateStatus", "key_update": "KeyUpdate",
    "hello_request": "HelloRequest", "end_of_early_data": "EndOfEarlyData",
    "compressed_certificate": "CompressedCertificate", "heartbeat": "Heartbeat",
    "sslv2_client_hello": "SSLv2 ClientHello", "sslv2_server_hello": "SSLv2 ServerHello",
    "sslv2_other": "SSLv2 message (encrypted)",
}


def code_name(table: str, value: int | None, width: int = 4) -> str:
    """``name (0x001d)``, or ``0x001d`` when the value has no name."""
    if value is None:
        return "-"
    label = name(table, value)
    hexv = f"0x{value:0{width}x}"
    return f"{label} ({hexv})" if label else hexv


def version_label(v: int | None) -> str:
    if v is None:
        return "-"
    return f"{version_name(v) or 'unknown'} (0x{v:04x})"


def _fmt_time(ns: int) -> str:
    return (packet_time(ns) or "").replace("T", " ").replace("Z", " UTC")


def _data_summary(data: Any) -> str:
    """A compact one-line view of an extension's decoded data."""
    if isinstance(data, dict):
        if set(data) == {"code", "name"}:
            code = data["code"]
            hexv = f"0x{code:04x}" if isinstance(code, int) else str(code)
            return f"{data['name']} ({hexv})" if data["name"] else hexv
        if not data:
            return "-"
        return "; ".join(f"{k}={_data_summary(v)}" for k, v in data.items())
    if isinstance(data, list):
        if not data:
            return "[]"
        return ", ".join(_data_summary(v) for v in data)
    if data is None or isinstance(data, bool):  # JSON spellings, not Python's
        return {None: "-", True: "true", False: "false"}[data]
    return safe_text(data)


class _Writer:
    """Collects styled lines."""

    def __init__(self) -> None:
        self.lines: list[Text] = []

    def line(self, *parts: str | tuple[str, str], indent: int = 0) -> None:
        t = Text(" " * indent)
        for p in parts:
            if isinstance(p, tuple):
                t.append(safe_text(p[0]), style=p[1])
            else:
                t.append(safe_text(p))
        self.lines.append(t)

    def field(self, label: str, value: str, indent: int = 6, note: str | None = None) -> None:
        parts: list[str | tuple[str, str]] = [(label + ": ", "bold"), value] if label \
            else [value]
        if note:
            parts.append((f"  ({note})", "cyan"))
        self.line(*parts, indent=indent)

    def blank(self) -> None:
        self.lines.append(Text(""))


class TextReport:
    """Renders one connection (or a whole result) in one language."""

    def __init__(self, lang: str = "en") -> None:
        self.t = Translator(lang)

    # -- whole result ----------------------------------------------------------------
    def result_lines(self, result: AnalysisResult) -> Iterator[Text]:
        yield from self.header_lines(result)
        for conn in result.connections:
            yield from self.connection_lines(conn)

    def header_lines(self, result: AnalysisResult) -> list[Text]:
        """The capture summary (and "no TLS" when there is none)."""
        t, cap = self.t, result.capture
        w = _Writer()
        w.line((t("capture.header", path=cap.path, format=cap.format,
                  compressed=t("capture.compressed") if cap.compressed else "",
                  packets=cap.packets, bytes=cap.bytes,
                  first=_fmt_time(cap.first_ns) if cap.first_ns else "-",
                  last=_fmt_time(cap.last_ns) if cap.last_ns else "-"), "bold"))
        w.line(t("capture.summary", tcp=result.stats.get("tcp_connections", 0),
                 tls=result.stats.get("tls_connections", 0)))
        for a in result.anomalies:
            w.line((f"! {a.id}", "yellow"), f" {a.detail}",
                   t("anomaly.frame", n=a.frame) if a.frame else "", indent=2)
        w.blank()
        if not result.stats.get("tls_connections", len(result.connections)):
            w.line(t("capture.none"))
        return w.lines

    # -- one connection --------------------------------------------------------------
    def connection_lines(self, c: TlsConnection) -> list[Text]:
        t = self.t
        w = _Writer()
        from tlslens.report.text_esim import esim_roles

        roles = esim_roles(c)  # eSIM: the ends are named LPA and SM-DP+ (or SM-DS)
        client, server = str(c.client), str(c.server)
        if roles:
            client, server = f"{roles[0]} {client}", f"{roles[1]} {server}"
        w.line((t("conn.header", id=c.id, client=client, server=server), "bold underline"))
        if c.direction_inferred:
            w.line(t("conn.roles_inferred"), indent=2)
        suite = code_name("cipher_suites", c.cipher_suite) if c.cipher_suite is not None \
            else "-"
        w.line(t("conn.summary", version=version_name(c.version) or "-" if c.version else "-",
                 suite=suite, state=t(f"state.{c.state}"),
                 resumed=t("conn.resumed") if c.resumed else ""), indent=2)
        if c.server_name:
            w.line(t("conn.sni", sni=c.server_name), indent=2)
        if c.alpn:
            w.line(t("conn.alpn", alpn=c.alpn), indent=2)
        w.line((t("conn.verdict", level=t(f"level.{c.verdict.level}"),
                  summary=verdict_summary(c.verdict, t)),
                _LEVEL_STYLE.get(c.verdict.level, "bold")), indent=2)
        w.blank()
        w.line((t("conn.ladder"), "bold"), indent=2)
        t0 = c.messages[0].ts_ns if c.messages else c.start_ns
        for i, ml in enumerate(c.messages, 1):
            self._ladder_line(w, i, ml, t0, roles)
        w.line(t("conn.history", history=c.history), indent=4)
        w.blank()
        w.line((t("conn.details"), "bold"), indent=2)
        self._details(w, c)
        rec = c.app_data
        w.blank()
        w.line(t("conn.appdata", c_records=rec["client"][0], c_bytes=rec["client"][1],
                 s_records=rec["server"][0], s_bytes=rec["server"][1]), indent=2)
        fp = c.fingerprints
        w.line((t("conn.fingerprints"), "bold"), indent=2)
        for key in ("ja3", "ja3n", "ja4", "ja4_r", "ja3s"):
            value = getattr(fp, key)
            if value:
                w.field(key, value, indent=4)
        from tlslens.report.text_esim import esim_section
        from tlslens.report.text_findings import findings_section

        findings_section(w, c, t)
        esim_section(w, c, t)
        from tlslens.report.text_decryption import decryption_section

        decryption_section(w, c, t)
        if c.anomalies:
            w.line((t("conn.anomalies"), "bold"), indent=2)
            for a in c.anomalies[:50]:
                w.line((a.id, "yellow"), f": {a.detail}",
                       t("anomaly.frame", n=a.frame) if a.frame else "", indent=4)
            if len(c.anomalies) > 50:
                w.line(t("anomaly.more", n=len(c.anomalies) - 50), indent=4)
        w.blank()
        return w.lines

    def _title(self, kind: str) -> str:
        """A message's name: the protocol's, or a described one in the report language."""
        key = f"title.{kind}"
        return self.t(key) if key in self.t.catalogue else _MSG_TITLES.get(kind, kind)

    def _ladder_line(self, w: _Writer, i: int, ml: MessageLine, t0: int,
                     roles: tuple[str, str] | None = None) -> None:
        title = self._title(ml.type)
        if ml.encrypted and ml.type not in ("encrypted_handshake", "encrypted_record",
                                            "sslv2_other"):
            title += f" ({self.t('msg.decrypted' if ml.decrypted else 'msg.encrypted')})"
        side = "client" if ml.direction == "client" else "server"
        left, right = roles or (self.t("side.client"), self.t("side.server"))
        w.line(f"{i:>3}. ", (self.t("ladder.frame", n=ml.frame).ljust(12), "dim"),
               f"+{(ml.ts_ns - t0) / 1e9:8.6f}s  ",
               f"{left} {_ARROW[side]} {right}  ", (title, "bold cyan" if side == "client"
                                                   else "bold magenta"),
               (f"  [{self.t('msg.bytes', n=ml.length)}]", "dim"), indent=4)

    # -- message details -------------------------------------------------------------
    def _details(self, w: _Writer, c: TlsConnection) -> None:
        counters: dict[str, int] = {}
        for i, ml in enumerate(c.messages, 1):
            k = counters.get(ml.type, 0)
            counters[ml.type] = k + 1
            w.line(f"{i}. ", (self._title(ml.type), "bold"),
                   "  " + self.t("msg.where", dir=self.t("dir." + ml.direction),
                                 frame=ml.frame), indent=4)
            about = f"about.{ml.type}"
            if about in self.t.catalogue and counters[ml.type] == 1:
                w.line((self.t(about), "dim"), indent=6)
            render = getattr(self, f"_d_{ml.type}", None)
            if render is not None:
                render(w, c, k)
            elif ml.encrypted and ml.type in ("encrypted_handshake",):
                w.field(self.t("msg.encrypted"), self.t("fin.encrypted"))

    def _record_header(self, w: _Writer, hello: m.ClientHello | m.ServerHello) -> None:
        """The record a hello rode in: content type handshake (22), record version."""
        if not hello.sslv2_format:
            w.field(self.t("f.content_type"), f"{name('content_types', 22)} (22)")
        w.field(self.t("f.record_version"), version_label(hello.record_version))

    def _d_client_hello(self, w: _Writer, c: TlsConnection, k: int) -> None:
        if k >= len(c.client_hellos):
            return
        ch: m.ClientHello = c.client_hellos[k].hello
        t = self.t
        self._record_header(w, ch)
        w.field(t("f.version"), version_label(ch.legacy_version))
        if ch.random is not None:
            self._random(w, ch.random, c)
        w.field(t("f.session_id"), self._sid(ch.legacy_session_id))
        w.field(t("f.cipher_suites", n=len(ch.cipher_suites)), "")
        for s in ch.cipher_suites:
            w.line(code_name("cipher_suites", s) if s <= 0xFFFF
                   else code_name("sslv2_cipher_specs", s, 6), indent=10)
            if s <= 0xFFFF:
                chosen = c.cipher_suite == s and not ch.sslv2_format
                w.line((self._suite_short(s), "dim"),
                       (f"  ◀ {t('suite.chosen')}", "bold green") if chosen else "",
                       indent=14)
        w.field(t("f.compression"), ", ".join(str(x) for x in ch.compression_methods) or "-")
        self._extensions(w, ch.extensions)

    def _d_sslv2_client_hello(self, w: _Writer, c: TlsConnection, k: int) -> None:
        self._d_client_hello(w, c, k)
        if k < len(c.client_hellos) and c.client_hellos[k].hello.challenge is not None:
            w.field(self.t("f.challenge"), c.client_hellos[k].hello.challenge.hex())

    def _random(self, w: _Writer, random: bytes, c: TlsConnection) -> None:
        t = self.t
        secs = int.from_bytes(random[:4], "big")
        when = _dt.datetime.fromtimestamp(secs, _dt.UTC)
        capture = c.start_ns / 1e9
        if abs(secs - capture) <= PLAUSIBLE_CLOCK_SKEW:
            note = t("f.random_time_plausible")
        else:
            note = t("f.random_time_random",
                     capture=f"{_dt.datetime.fromtimestamp(capture, _dt.UTC):%Y-%m-%d}")
        w.field(t("f.random"), random.hex())
        w.field("", t("f.random_time", time=f"{when:%Y-%m-%d %H:%M:%S} UTC"), indent=8,
                note=note)

    def _sid(self, sid: bytes) -> str:
        if not sid:
            return self.t("f.session_id_empty")
        return self.t("f.session_id_value", n=len(sid), hex=sid.hex())

    def _extensions(self, w: _Writer, exts: Iterable[m.Extension]) -> None:
        exts = list(exts)
        w.field(self.t("f.extensions", n=len(exts)), "")
        for e in exts:
            label = code_name("extensions", e.code)
            if e.data is None:
                value = self.t("msg.bytes", n=len(e.raw)) + (f" [{e.error}]" if e.error
                                                              else "")
            elif e.data == {} or e.data == []:
                value = self.t("ext.empty")
            elif e.code == 11 and isinstance(e.data, list):  # ec_point_formats: raw ints
                value = ", ".join(code_name("ec_point_formats", v, 2) for v in e.data
                                  if isinstance(v, int))
            else:
                value = _data_summary(e.data)
            w.line((label + ": ", "bold"), value, indent=10)
            about = f"ext.about.{e.code}"
            if about in self.t.catalogue:
                w.line((self.t(about), "dim"), indent=14)

    def _d_server_hello(self, w: _Writer, c: TlsConnection, k: int) -> None:
        if k >= len(c.server_hellos):
            return
        sh: m.ServerHello = c.server_hellos[k].hello
        t = self.t
        self._record_header(w, sh)
        if sh.selected_version is not None and sh.selected_version != sh.legacy_version:
            w.field(t("f.version"), version_label(sh.selected_version),
                    note=t("f.version_tls13", legacy=version_label(sh.legacy_version)))
        else:
            w.field(t("f.version"), version_label(sh.legacy_version))
        if sh.random is not None:
            tls13 = sh.selected_version is not None and (
                sh.selected_version == 0x0304 or 0x7F00 < sh.selected_version <= 0x7FFF)
            if sh.hello_retry_request or tls13:
                w.field(t("f.random"), sh.random.hex())
            else:
                self._random(w, sh.random, c)
            if sh.hello_retry_request:
                w.field("", t("f.hrr_random"), indent=8)
            elif sh.downgrade_sentinel:
                w.field("", t("f.downgrade", sentinel=sh.downgrade_sentinel,
                              what="TLS 1.2" if sh.downgrade_sentinel == "tls12"
                              else "TLS 1.1 or older"), indent=8)
        ch = self._client_hello_before(c, k)
        w.field(t("f.session_id"), self._sid(sh.legacy_session_id),
                note=self._sid_meaning(ch, sh, c) if not sh.sslv2_format else None)
        if sh.cipher_suite is not None:
            w.field(t("f.cipher_suite"), code_name("cipher_suites", sh.cipher_suite))
            comp = components(sh.cipher_suite)
            if comp is not None and comp.kind == "cipher_suite":
                w.field("", t("f.suite_parts", kx=comp.kx, au=comp.au, enc=comp.enc,
                              mac=comp.mac, prf=comp.prf,
                              fs=t("yes") if comp.fs else t("no"),
                              security=t(f"class.{comp.security}")), indent=8)
                for line in self._suite_explained(comp):
                    w.line(("• ", "dim"), line, indent=10)
        if sh.sslv2_cipher_specs:
            w.field(t("f.cipher_specs", n=len(sh.sslv2_cipher_specs)), ", ".join(
                code_name("sslv2_cipher_specs", s, 6) for s in sh.sslv2_cipher_specs))
        if sh.compression_method is not None:
            w.field(t("f.compression_one"), str(sh.compression_method))
        self._extensions(w, sh.extensions)

    _d_hello_retry_request = _d_server_hello

    def _d_sslv2_server_hello(self, w: _Writer, c: TlsConnection, k: int) -> None:
        self._d_server_hello(w, c, k)
        self._chain(w, c)

    @staticmethod
    def _client_hello_before(c: TlsConnection, k: int) -> m.ClientHello | None:
        if not c.client_hellos:
            return None
        idx = min(k, len(c.client_hellos) - 1)
        return c.client_hellos[idx].hello

    def _sid_meaning(self, ch: m.ClientHello | None, sh: m.ServerHello,
                     c: TlsConnection) -> str | None:
        t = self.t
        if sh.selected_version is not None and (sh.selected_version == 0x0304 or
                                                0x7F00 < sh.selected_version <= 0x7FFF):
            return t("f.sid_tls13")
        if ch is None:
            return None
        if not ch.legacy_session_id and sh.legacy_session_id:
            return t("f.sid_new")
        if ch.legacy_session_id and ch.legacy_session_id == sh.legacy_session_id:
            return t("f.sid_resumed")
        if ch.legacy_session_id:
            return t("f.sid_not_resumed")
        return None

    def _d_certificate(self, w: _Writer, c: TlsConnection, k: int) -> None:
        if k == 0:
            self._chain(w, c)

    def _chain(self, w: _Writer, c: TlsConnection) -> None:
        t = self.t
        at = _dt.datetime.fromtimestamp(c.start_ns / 1e9, _dt.UTC)
        w.field(t("c.chain", n=len(c.certificates)), "")
        for i, cert in enumerate(c.certificates):
            if not cert.parsed:
                w.line(f"[{i}] ", t("c.unparseable", error="; ".join(
                    e for _, e in cert.errors), n=cert.der_length), indent=8)
                continue
            w.line((t("c.cert", i=i, subject=cert.subject or "?"), "bold"), indent=8)
            w.field(t("c.subject"), cert.subject or "-", indent=12)
            w.field(t("c.issuer"), cert.issuer or "-", indent=12,
                    note=t("c.self_signed") if cert.self_signed else None)
            w.field(t("c.serial"), cert.serial or "-", indent=12)
            if cert.not_before and cert.not_after:
                from tlslens.analysis.findings import duration

                if cert.not_after < at:
                    note = t("c.expired", ago=render_value(
                        duration((at - cert.not_after).total_seconds()), t))
                elif cert.not_before > at:
                    note = t("c.not_yet_valid", wait=render_value(
                        duration((cert.not_before - at).total_seconds()), t))
                else:
                    note = t("c.valid_then")
                w.field(t("c.validity"), t("c.validity_value",
                                           nb=f"{cert.not_before:%Y-%m-%d %H:%M:%S}",
                                           na=f"{cert.not_after:%Y-%m-%d %H:%M:%S} UTC"),
                        indent=12, note=note)
            if cert.public_key is not None:
                pk = cert.public_key
                w.field(t("c.public_key"), t("c.key_value", type=pk.type, bits=pk.bits)
                        + (f" {pk.curve}" if pk.curve else ""), indent=12)
            if cert.signature_algorithm is not None:
                sa = cert.signature_algorithm
                w.field(t("c.signature_algorithm"), f"{sa.name or '?'} ({sa.oid})", indent=12)
            w.field(t("c.sha256"), cert.sha256, indent=12)
            self._link(w, c, i)
            if cert.extensions:
                w.field(t("c.extensions"), "", indent=12)
                for e in cert.extensions:
                    crit = " " + t("c.critical") if e.critical else ""
                    w.line((f"{e.name or e.oid}{crit}: ", "bold"), _data_summary(e.value),
                           indent=16)

    def _d_server_key_exchange(self, w: _Writer, c: TlsConnection, k: int) -> None:
        ske = c.server_key_exchange
        if ske is None:
            return
        t = self.t
        w.field(t("k.kind"), ske.kind)
        if ske.kind.startswith(("ecdhe", "dhe")):
            w.line((t("k.about_ephemeral"), "dim"), indent=8)
        if ske.curve_type is not None:
            w.field(t("k.curve_type"), {1: "explicit_prime (1)", 2: "explicit_char2 (2)",
                                        3: "named_curve (3)"}.get(ske.curve_type,
                                                                  str(ske.curve_type)))
        if ske.named_curve is not None:
            w.field(t("k.named_curve"), code_name("groups", ske.named_curve))
        if ske.public_key is not None:
            w.field(t("k.public_key"), t("k.public_key_value", n=len(ske.public_key)),
                    note=ske.public_key.hex())
        if ske.dh_p is not None:
            bits = int.from_bytes(ske.dh_p, "big").bit_length()
            w.field(t("k.dh_p"), t("k.dh_bits", n=bits))
            w.field(t("k.dh_g"), (ske.dh_g or b"").hex())
        if ske.rsa_modulus is not None:
            w.field(t("k.rsa_modulus"), t("k.dh_bits", n=int.from_bytes(
                ske.rsa_modulus, "big").bit_length()))
        if ske.psk_identity_hint is not None:
            w.field(t("k.psk_hint"), safe_text(ske.psk_identity_hint.decode(
                "utf-8", "backslashreplace")))
        if ske.signature_algorithm is not None:
            w.field(t("k.signature_algorithm"), code_name("signature_schemes",
                                                          ske.signature_algorithm))
        if ske.signature is not None:
            valid = c.server_key_exchange_valid
            w.field(t("k.signature"), t("k.public_key_value", n=len(ske.signature)),
                    note=t({True: "k.sig_valid", False: "k.sig_invalid",
                            None: "k.sig_unchecked"}[valid]))

    def _d_client_key_exchange(self, w: _Writer, c: TlsConnection, k: int) -> None:
        cke = c.client_key_exchange
        if cke is None:
            return
        w.field(self.t("cke.kind"), cke.kind)
        if cke.kind in ("ecdh", "dh"):
            w.line((self.t("cke.about_dh"), "dim"), indent=8)
        elif cke.kind == "rsa":
            w.line((self.t("cke.about_rsa"), "dim"), indent=8)
        if cke.public_key is not None:
            w.field(self.t("cke.public_key"), self.t("k.public_key_value",
                                                     n=len(cke.public_key)))

    def _d_change_cipher_spec(self, w: _Writer, c: TlsConnection, k: int) -> None:
        tls13 = c.version is not None and (c.version == 0x0304 or 0x7F00 < c.version <= 0x7FFF)
        w.field("", self.t("ccs.tls13" if tls13 else "ccs.value"), indent=6)

    def _d_encrypted_handshake(self, w: _Writer, c: TlsConnection, k: int) -> None:
        w.field("", self.t("fin.encrypted"), indent=6)

    def _d_alert(self, w: _Writer, c: TlsConnection, k: int) -> None:
        if k >= len(c.alerts):
            return
        a = c.alerts[k]
        if a.encrypted:
            w.field("", self.t("alert.encrypted"), indent=6)
        else:
            w.field("", self.t("alert.value", level={1: "warning (1)", 2: "fatal (2)"}.get(
                a.level or 0, str(a.level)), description=code_name("alerts", a.description,
                                                                  2)), indent=6)

    def _d_certificate_request(self, w: _Writer, c: TlsConnection, k: int) -> None:
        cr = c.certificate_request
        if cr is None:
            return
        w.field(self.t("cr.types"), ", ".join(str(x) for x in cr.certificate_types) or "-")
        w.field(self.t("cr.algs"), ", ".join(code_name("signature_schemes", a)
                                             for a in cr.signature_algorithms) or "-")
        w.field(self.t("cr.cas"), str(len(cr.certificate_authorities)))

    def _d_certificate_verify(self, w: _Writer, c: TlsConnection, k: int) -> None:
        if k < len(c.certificate_verify):
            cv = c.certificate_verify[k][1]
            w.field(self.t("cv.algorithm"), code_name("signature_schemes",
                                                      cv.signature_algorithm))

    def _d_new_session_ticket(self, w: _Writer, c: TlsConnection, k: int) -> None:
        if k < len(c.new_session_tickets):
            nst = c.new_session_tickets[k]
            w.field(self.t("nst.lifetime"), self.t("nst.lifetime_value", n=nst.lifetime))
            w.field(self.t("nst.ticket"), self.t("k.public_key_value", n=len(nst.ticket)))

    def _d_encrypted_extensions(self, w: _Writer, c: TlsConnection, k: int) -> None:
        if c.encrypted_extensions is not None:
            self._extensions(w, c.encrypted_extensions)

    def _d_certificate_status(self, w: _Writer, c: TlsConnection, k: int) -> None:
        if c.ocsp is not None:
            w.field(self.t("ocsp.status"), _data_summary(c.ocsp))

    # -- explanations (catalogue keys: suite.*, kx.*, au.*, enc.*, prf.*, link.*) ------
    def _suite_short(self, code: int) -> str:
        """One line for an offered suite: its parts, forward secrecy, class."""
        t = self.t
        if (code & 0x0F0F) == 0x0A0A and (code >> 8) == (code & 0xFF):
            return t("suite.grease")
        comp = components(code)
        if comp is None:
            return t("suite.unknown")
        if comp.kind != "cipher_suite":
            return t(f"suite.signaling_{code:04x}") \
                if f"suite.signaling_{code:04x}" in t.catalogue else t("suite.unknown")
        parts = [] if comp.tls13 else [f"{comp.kx}/{comp.au}"]
        parts.append(f"{comp.enc or '-'}" + (f" + {comp.mac}" if not comp.aead and comp.mac
                                             else ""))
        flags = [t("suite.fs") if comp.fs else t("suite.no_fs")]
        if comp.aead:
            flags.append("AEAD")
        if comp.tls13:
            flags.append("TLS 1.3")
        return t("suite.short", parts=t("sep.list").join(parts), flags=t("sep.list").join(flags),
                 security=t(f"class.{comp.security}"))

    def _suite_explained(self, comp: Any) -> list[str]:
        """What each part of the chosen suite does, in plain words."""
        t = self.t
        out = []
        kx = f"kx.{comp.kx}" if f"kx.{comp.kx}" in t.catalogue else "kx.other"
        out.append(t(kx, kx=comp.kx))
        if comp.au and not comp.tls13:
            au = f"au.{comp.au}" if f"au.{comp.au}" in t.catalogue else "au.other"
            out.append(t(au, au=comp.au))
        if comp.enc_cipher == "NULL":
            out.append(t("enc.null"))
        elif comp.aead:
            out.append(t("enc.aead", enc=comp.enc))
        elif comp.enc_mode == "CBC":
            out.append(t("enc.cbc", enc=comp.enc, mac=comp.mac))
        elif comp.enc_mode == "STREAM":
            out.append(t("enc.stream", enc=comp.enc, mac=comp.mac))
        else:
            out.append(t("enc.other", enc=comp.enc))
        if comp.tls13:
            out.append(t("prf.tls13", hash=comp.hash))
        elif comp.prf and "/" in comp.prf:
            out.append(t("prf.legacy"))
        elif comp.prf:
            out.append(t("prf.tls12", hash=comp.prf))
        return out

    def _link(self, w: _Writer, c: TlsConnection, i: int) -> None:
        """The chain check of certificate ``i``, and the host name check of the leaf."""
        t = self.t
        if i == 0 and c.hostname_match is not None:
            w.field(t("link.hostname"), t("link.host_ok" if c.hostname_match
                                          else "link.host_bad", sni=c.server_name),
                    indent=12)
        link = next((lk for lk in c.chain if lk.index == i), None)
        if link is None:
            return
        if link.issuer_index is None:
            if link.self_signed:
                key = {True: "link.self_ok", False: "link.self_bad",
                       None: "link.self_unchecked"}[link.signature_valid]
            else:
                key = "link.issuer_not_sent"
            w.field(t("link.chain"), t(key), indent=12)
            return
        checks = [t({True: "link.name_ok", False: "link.name_bad"}[link.name_chained])
                  if link.name_chained is not None else None,
                  t({True: "link.kid_ok", False: "link.kid_bad"}[link.key_id_chained])
                  if link.key_id_chained is not None else None,
                  t({True: "link.sig_ok", False: "link.sig_bad",
                     None: "link.sig_unchecked"}[link.signature_valid])]
        head = t("link.issued_by", j=link.issuer_index)
        if link.out_of_order:
            head += " " + t("link.out_of_order")
        w.field(t("link.chain"), head + ": " + t("sep.list").join(x for x in checks if x),
                indent=12)


def make_console(out: IO[str], color: bool | None) -> Console:
    """A console that writes plain text unless ``out`` is a terminal (or color=True)."""
    return Console(file=out, force_terminal=color, no_color=color is False,
                   highlight=False, markup=False, emoji=False, soft_wrap=True,
                   width=200 if color is not True else None)


def write_text(result: AnalysisResult, out: IO[str], lang: str = "en",
               color: bool | None = None) -> None:
    console = make_console(out, color)
    for line in TextReport(lang).result_lines(result):
        console.print(line)
