"""The JSON report (../shared/spec/json-report.md): pure functions of the analysis result.

Deterministic: keys sorted when serialised, no wall-clock data, so golden files stay
byte-stable. Every object of one kind has the same keys (absent things are null or []).
"""

from __future__ import annotations

import datetime as _dt
import functools
import json
from time import gmtime as _gmtime
from time import strftime as _strftime
from typing import Any

import orjson

from tlslens import __version__
from tlslens.analysis.esim import localized as esim_localized
from tlslens.analysis.model import AnalysisResult, TlsConnection
from tlslens.registry import coded, name, version_name
from tlslens.report import json_fragments
from tlslens.report.i18n import translator
from tlslens.report.messages.findings import finding_text, verdict_summary
from tlslens.report.safe import json_safe, json_safe_bytes
from tlslens.tls import messages as m
from tlslens.tls.extensions import dn_rfc4514, wire_text
from tlslens.x509.certs.summary import json_copy

try:  # the optional compiled ladder encoder (src/tlslens/report/_fastjson.c)
    from tlslens.report._fastjson import messages_json as _compiled_messages_json
except ImportError:  # not built: the ladder's dicts are made and encoded
    _compiled_messages_json = None  # type: ignore[assignment]
#: ``messages_json(messages, second_template) -> bytes | None``: the compact JSON of a
#: connection's message ladder, the bytes orjson writes for :func:`_message_dicts`
#: (None: not built, or declined); a module global, so that tests can encode both ways.
MESSAGES_JSON = _compiled_messages_json

SCHEMA_VERSION = 1
#: The longest code-point list whose names are cached (real hellos offer at most ~100).
CACHED_LIST_MAX = 256


def packet_time(ns: int | None) -> str | None:
    """``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (nanoseconds truncated to microseconds)."""
    if ns is None:
        return None
    return _second_template(ns // 1_000_000_000) % (ns // 1000 % 1_000_000)


def _second_template(secs: int) -> str:
    template = _SECOND_TEMPLATES.get(secs)
    if template is None:
        if len(_SECOND_TEMPLATES) >= 4096:
            _SECOND_TEMPLATES.clear()
        template = _SECOND_TEMPLATES[secs] = _second_text(secs) + ".%06dZ"
    return template


def _message_dicts(messages: Any) -> list[dict[str, Any]]:
    """The message ladder's dicts: each message's ``packet_time``, a connection's
    messages mostly falling in the same second (one template for them all, no call per
    message; a dozen messages a connection)."""
    out = []
    last_secs: int | None = None
    template = ""
    for ml in messages:
        ns = ml.ts_ns
        if ns is None:
            time = None
        else:
            secs = ns // 1_000_000_000
            if secs != last_secs:
                last_secs, template = secs, _second_template(secs)
            time = template % (ns // 1000 % 1_000_000)
        out.append({"decrypted": ml.decrypted, "direction": ml.direction,
                    "encrypted": ml.encrypted, "frame": ml.frame, "length": ml.length,
                    "time": time, "type": ml.type})
    return out


#: ``"<date and second>.%06dZ"`` by second: a report writes the time of every message
#: (a dozen per connection), and a dict lookup and one ``%`` are its cheapest form.
_SECOND_TEMPLATES: dict[int, str] = {}


def _second_text(secs: int) -> str:
    """The date-and-second part (remembered by :func:`packet_time`'s templates)."""
    return _dt.datetime.fromtimestamp(secs, _dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")


#: 10000-01-01T00:00:00Z: seconds below it (and from 0) have a four-digit year.
_YEAR_10000 = 253_402_300_800


def seconds_time(secs: int) -> str | None:
    """``YYYY-MM-DDTHH:MM:SSZ`` of a Unix time, None when out of range.

    For four-digit years (every hello random read as gmt_unix_time is one, and each is
    a different second): time.strftime of time.gmtime, one C call each, the same text as
    the datetime's strftime at about half the cost. Other times go through datetime."""
    if 0 <= secs < _YEAR_10000:  # 1970 to 9999: four digits, as strftime writes them
        return _strftime("%Y-%m-%dT%H:%M:%SZ", _gmtime(secs))
    try:
        t = _dt.datetime.fromtimestamp(secs, _dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def version_coded(v: int | None) -> dict[str, Any] | None:
    if v is None:
        return None
    return {"code": v, "name": version_name(v)}


def extension_dict(ext: m.Extension, *, copy: bool = True) -> dict[str, Any]:
    """The report form of one extension. Its decoded ``data`` is copied: the same
    decoded body is shared by every hello that sent it (tlslens.tls.extensions caches
    them), and a caller may change the dict it is given. ``copy=False``: shared as is,
    for a caller that encodes the dict at once (see :func:`connection_to_dict`)."""
    return {"code": ext.code, "data": json_copy(ext.data) if copy else ext.data,
            "length": len(ext.raw), "name": _extension_name(ext.code),
            "raw": ext.raw.hex()}  # keys in sorted order (see connection_json)


@functools.lru_cache(maxsize=4096)
def _extension_name(code: int) -> str | None:
    return name("extensions", code)


def _coded_list(table: str, values: tuple[int, ...]) -> list[dict[str, Any]]:
    """``coded`` of each value, as fresh dicts (the caller may change them). Lists
    longer than any real hello's are not cached (a hostile capture's would fill memory)."""
    if len(values) > CACHED_LIST_MAX:
        return [coded(table, v) for v in values]
    return [{"code": v, "name": n} for v, n in _named(table, values)]


@functools.lru_cache(maxsize=1024)
def _named(table: str, values: tuple[int, ...]) -> tuple[tuple[int, str | None], ...]:
    """(value, name) of each value. Cached: a capture's hellos repeat a few lists."""
    return tuple((v, name(table, v)) for v in values)


class _Parts:
    """How a report makes the pieces that connections repeat: fresh dicts (copied, or
    shared when ``copy`` is False; see :func:`connection_to_dict`)."""

    def __init__(self, copy: bool = True) -> None:
        self.copy = copy

    def extension(self, ext: m.Extension) -> Any:
        return extension_dict(ext, copy=self.copy)

    def extensions(self, exts: tuple[m.Extension, ...]) -> list[Any]:
        return [self.extension(e) for e in exts]

    def messages(self, messages: tuple[Any, ...]) -> Any:
        return _message_dicts(messages)

    def coded_list(self, table: str, values: tuple[int, ...]) -> Any:
        return _coded_list(table, values)

    def certificate(self, cert: Any, entry_extensions: tuple[m.Extension, ...]) -> Any:
        return cert.to_dict([self.extension(e) for e in entry_extensions], copy=self.copy)

    def versions(self, values: tuple[int, ...]) -> Any:
        return _versions_list(values)

    def fingerprints(self, fps: Any) -> Any:
        return fps.to_dict()


class _FragmentParts(_Parts):
    """The same pieces as pre-encoded fragments shared across connections
    (:mod:`tlslens.report.json_fragments`), for :func:`connection_json` alone."""

    def __init__(self) -> None:
        super().__init__(copy=False)

    def extension(self, ext: m.Extension) -> Any:
        return json_fragments.extension(ext, _plain_extension)

    def extensions(self, exts: tuple[m.Extension, ...]) -> list[Any]:
        return json_fragments.extensions(exts, _plain_extension)

    def messages(self, messages: tuple[Any, ...]) -> Any:
        # the ladder is the connection's own (times, frames): encoded here, not remembered
        raw = MESSAGES_JSON(messages, _second_template) if MESSAGES_JSON is not None \
            else None
        return orjson.Fragment(raw) if raw is not None else _message_dicts(messages)

    def coded_list(self, table: str, values: tuple[int, ...]) -> Any:
        if len(values) > CACHED_LIST_MAX:
            return _coded_list(table, values)
        return json_fragments.coded_list(table, values, _coded_list)

    def certificate(self, cert: Any, entry_extensions: tuple[m.Extension, ...]) -> Any:
        if entry_extensions:  # TLS 1.3 entries: per connection (OCSP, SCTs)
            return super().certificate(cert, entry_extensions)
        return json_fragments.certificate(cert, _plain_certificate)

    def versions(self, values: tuple[int, ...]) -> Any:
        if len(values) > CACHED_LIST_MAX:
            return _versions_list(values)
        return json_fragments.coded_list(_VERSIONS, values, _versions_of)

    def fingerprints(self, fps: Any) -> Any:
        # the Fingerprints objects come from analysis.fingerprints' caches: one per
        # client stack and capture, so the object is the key
        return json_fragments.by_object(fps, _fingerprints_dict)


#: The code-list cache's name for version lists (named by version_name, not a registry
#: table; the brackets keep it apart from every table name).
_VERSIONS = "<versions>"


def _versions_list(values: tuple[int, ...]) -> list[dict[str, Any] | None]:
    return [version_coded(v) for v in values]


def _versions_of(_table: str, values: tuple[int, ...]) -> list[dict[str, Any] | None]:
    return _versions_list(values)


def _fingerprints_dict(fps: Any) -> Any:
    return fps.to_dict()


def _plain_extension(ext: m.Extension) -> Any:
    return extension_dict(ext, copy=False)


def _plain_certificate(cert: Any) -> Any:
    return cert.to_dict(copy=False)


_COPY, _SHARE, _FRAGMENTS = _Parts(True), _Parts(False), _FragmentParts()


def client_hello_dict(ch: m.ClientHello, fps: Any, *, copy: bool = True,
                      _parts: _Parts | None = None) -> dict[str, Any]:
    parts = _parts or (_COPY if copy else _SHARE)
    coded_list = parts.coded_list
    table = "sslv2_cipher_specs" if ch.sslv2_format else "cipher_suites"
    random_time = None
    if ch.random is not None:
        random_time = seconds_time(int.from_bytes(ch.random[:4], "big"))
    return {  # keys in sorted order (see connection_json)
        "alpn": list(ch.alpn),
        "challenge": ch.challenge.hex() if ch.challenge is not None else None,
        "cipher_suites": coded_list(table, ch.cipher_suites),
        "compression_methods": list(ch.compression_methods),
        "ec_point_formats": list(ch.ec_point_formats),
        "extensions": parts.extensions(ch.extensions),
        "fingerprints": parts.fingerprints(fps),
        "key_share_groups": coded_list("groups", ch.key_share_groups),
        "psk_identities": ch.psk_identities,
        "psk_key_exchange_modes": list(ch.psk_key_exchange_modes),
        "random": ch.random.hex() if ch.random is not None else None,
        "random_time": random_time,
        "record_version": ch.record_version,
        "server_name": ch.server_name,
        "session_id": ch.legacy_session_id.hex(),
        "signature_algorithms": coded_list("signature_schemes", ch.signature_algorithms),
        "signature_algorithms_cert": coded_list("signature_schemes",
                                                ch.signature_algorithms_cert),
        "sslv2_format": ch.sslv2_format,
        "supported_groups": coded_list("groups", ch.supported_groups),
        "supported_versions": parts.versions(ch.supported_versions),
        "version": ch.legacy_version,
    }


def server_hello_dict(sh: m.ServerHello, fps: Any, *, copy: bool = True,
                      _parts: _Parts | None = None) -> dict[str, Any]:
    parts = _parts or (_COPY if copy else _SHARE)
    return {  # keys in sorted order (see connection_json)
        "alpn": sh.alpn,
        "cipher_suite": coded("cipher_suites", sh.cipher_suite)
        if sh.cipher_suite is not None else None,
        "cipher_suites": parts.coded_list("sslv2_cipher_specs", sh.sslv2_cipher_specs),
        "compression_method": sh.compression_method,
        "downgrade_sentinel": sh.downgrade_sentinel,
        "ec_point_formats": list(sh.ec_point_formats),
        "extensions": parts.extensions(sh.extensions),
        "fingerprints": {"ja3s": fps.ja3s, "ja3s_full": fps.ja3s_full},
        "hello_retry_request": sh.hello_retry_request,
        "key_share_group": coded("groups", sh.key_share_group)
        if sh.key_share_group is not None else None,
        "random": sh.random.hex() if sh.random is not None else None,
        "record_version": sh.record_version,
        "selected_version": version_coded(sh.selected_version),
        "session_id": sh.legacy_session_id.hex(),
        "sslv2_format": sh.sslv2_format,
        "version": sh.legacy_version,
    }


def server_key_exchange_dict(ske: m.ServerKeyExchange, valid: bool | None) -> dict[str, Any]:
    return {  # keys in sorted order (see connection_json)
        "curve_type": ske.curve_type,
        "dh_g": ske.dh_g.hex() if ske.dh_g is not None else None,
        "dh_p_bits": _bits(ske.dh_p),
        "dh_ys": ske.dh_ys.hex() if ske.dh_ys is not None else None,
        "kind": ske.kind,
        "named_curve": coded("groups", ske.named_curve) if ske.named_curve is not None
        else None,
        "psk_identity_hint": wire_text(ske.psk_identity_hint)
        if ske.psk_identity_hint is not None else None,
        "public_key": ske.public_key.hex() if ske.public_key is not None else None,
        "rsa_modulus_bits": _bits(ske.rsa_modulus),
        "signature": ske.signature.hex() if ske.signature is not None else None,
        "signature_algorithm": coded("signature_schemes", ske.signature_algorithm)
        if ske.signature_algorithm is not None else None,
        "signature_valid": valid,
    }


def _bits(b: bytes | None) -> int | None:
    return int.from_bytes(b, "big").bit_length() if b is not None else None


def certificate_request_dict(cr: m.CertificateRequest,
                             _parts: _Parts | None = None) -> dict[str, Any]:
    coded_list = (_parts or _COPY).coded_list
    return {"certificate_types": list(cr.certificate_types),
            "signature_algorithms": coded_list("signature_schemes", cr.signature_algorithms),
            "certificate_authorities": [dn_rfc4514(dn) or dn.hex()
                                        for dn in cr.certificate_authorities]}


def connection_to_dict(c: TlsConnection, lang: str = "en", *,
                       copy: bool = True) -> dict[str, Any]:
    """One connection; findings and the verdict summary in ``lang``.

    The dict is the caller's to change. ``copy=False`` skips copying the decoded values
    (extension bodies, certificate extension values) that tlslens shares between
    connections through its caches: only for a caller that encodes the dict at once and
    never changes it, such as the streaming JSON outputs, where the copies were about
    two fifths of this function's time."""
    return _connection_doc(c, lang, _COPY if copy else _SHARE)


def connection_json(c: TlsConnection, lang: str = "en") -> bytes:
    """One connection as a compact JSON line (no newline), UTF-8: exactly the bytes of
    ``encode(connection_to_dict(c, lang), indent=False)``, made faster by encoding the
    pieces that connections repeat once per capture (:mod:`tlslens.report.json_fragments`).
    For the NDJSON report and the parallel workers' texts.

    The dicts this module builds list their keys in sorted order: orjson sorts every
    dict anyway (OPT_SORT_KEYS, so the bytes never depend on it), but a dict already in
    order sorts in one pass; on the issue-9 benchmark's connections that took 5 us off
    the 14 us of encoding a line. A key out of place costs only that time back
    (tests/unit/report/test_json_sorted_literals.py keeps them in order)."""
    try:
        raw = orjson.dumps(_connection_doc(c, lang, _FRAGMENTS), option=orjson.OPT_SORT_KEYS)
    except TypeError:  # a piece only the fallback encoders take: all of it their way
        return encode(connection_to_dict(c, lang, copy=False), indent=False).encode("utf-8")
    return json_safe_bytes(raw)


def _connection_doc(c: TlsConnection, lang: str, parts: _Parts) -> dict[str, Any]:
    t = translator(lang)
    entry_exts = c.certificate_entry_extensions
    cert_dicts = [parts.certificate(cert, entry_exts[i] if i < len(entry_exts) else ())
                  for i, cert in enumerate(c.certificates)]
    return {  # keys in sorted order (see connection_json)
        "alerts": [{"decrypted": a.decrypted,
                    "description": coded("alerts", a.description)
                    if a.description is not None else None,
                    "direction": a.direction, "encrypted": a.encrypted, "frame": a.frame,
                    "level": a.level, "time": packet_time(a.ts_ns)} for a in c.alerts],
        "alpn": c.alpn,
        "anomalies": [a.to_dict() for a in c.anomalies],
        "application_data": {"client": _app_data(c.app_data["client"]),
                             "server": _app_data(c.app_data["server"])},
        "certificate_request": certificate_request_dict(c.certificate_request, parts)
        if c.certificate_request is not None else None,
        "certificate_status": {"ocsp": c.ocsp, "type": c.certificate_status.status_type}
        if c.certificate_status is not None else None,
        "certificate_verify": [{"direction": d, "signature_algorithm":
                                coded("signature_schemes", cv.signature_algorithm)
                                if cv.signature_algorithm is not None else None,
                                "signature_valid": valid}
                               for d, cv, valid in c.certificate_verify],
        "certificates": cert_dicts,
        "chain": [{"index": ln.index, "issuer_index": ln.issuer_index,
                   "key_id_chained": ln.key_id_chained, "name_chained": ln.name_chained,
                   "out_of_order": ln.out_of_order, "self_signed": ln.self_signed,
                   "signature_valid": ln.signature_valid, "validity": ln.validity}
                  for ln in c.chain],
        "cipher_suite": coded("cipher_suites", c.cipher_suite)
        if c.cipher_suite is not None else None,
        "client": {"ip": c.client.ip, "port": c.client.port},
        "client_certificates": [parts.certificate(cert, ()) for cert in c.client_certificates]
        if c.client_certificates is not None else None,
        "client_hellos": [_framed(client_hello_dict(h.hello, fp, _parts=parts), h.frame)
                          for h, fp in zip(c.client_hellos, c.hello_fingerprints)],
        "client_key_exchange": {
            "kind": c.client_key_exchange.kind,
            "public_key_length": len(c.client_key_exchange.public_key)
            if c.client_key_exchange.public_key is not None else None}
        if c.client_key_exchange is not None else None,
        "decryption": c.decryption,
        "direction_inferred": c.direction_inferred,
        "encrypted_extensions": parts.extensions(c.encrypted_extensions)
        if c.encrypted_extensions is not None else None,
        "end_time": packet_time(c.end_ns),
        "esim": esim_localized(c.esim, lang),
        "findings": [_finding_dict(f, *finding_text(f, t)) for f in c.findings],
        "fingerprints": parts.fingerprints(c.fingerprints),
        "history": c.history,
        "hostname_match": c.hostname_match,
        "id": c.id,
        "messages": parts.messages(c.messages),
        "new_session_tickets": [{"age_add": t.age_add,
                                 "extensions": parts.extensions(t.extensions),
                                 "lifetime": t.lifetime, "ticket_length": len(t.ticket)}
                                for t in c.new_session_tickets],
        "resumed": c.resumed,
        "server": {"ip": c.server.ip, "port": c.server.port},
        "server_hellos": [_framed(server_hello_dict(h.hello, fp, _parts=parts), h.frame)
                          for h, fp in zip(c.server_hellos, c.server_hello_fingerprints)],
        "server_key_exchange": server_key_exchange_dict(c.server_key_exchange,
                                                        c.server_key_exchange_valid)
        if c.server_key_exchange is not None else None,
        "server_name": c.server_name,
        "start_time": packet_time(c.start_ns),
        "state": c.state,
        "transport": "tcp",
        "verdict": {"level": c.verdict.level, "summary": verdict_summary(c.verdict, t)},
        "version": version_coded(c.version),
    }


def _app_data(counts: tuple[int, int]) -> dict[str, int]:
    return {"bytes": counts[1], "records": counts[0]}


def _framed(hello: dict[str, Any], frame: int) -> dict[str, Any]:
    """The hello's dict with its frame added last (it is new: no copy needed)."""
    hello["frame"] = frame
    return hello


def _finding_dict(f: Any, title: str, detail: str) -> dict[str, Any]:
    return {"detail": detail, "id": f.id, "severity": f.severity, "title": title}


def result_to_dict(result: AnalysisResult, lang: str = "en") -> dict[str, Any]:
    cap = result.capture
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "tlslens", "version": __version__},
        "capture": {"path": cap.path, "format": cap.format, "compressed": cap.compressed,
                    "link_types": list(cap.link_types), "packets": cap.packets,
                    "bytes": cap.bytes, "first_time": packet_time(cap.first_ns),
                    "last_time": packet_time(cap.last_ns)},
        "connections": [c.to_dict(lang) for c in result.connections],
        "stats": dict(result.stats),
        "anomalies": [a.to_dict() for a in result.anomalies],
    }


def encode(doc: Any, indent: bool = True) -> str:
    """Deterministic JSON text: sorted keys, UTF-8, 2-space indent (or compact).

    orjson (Rust) writes exactly what ``json.dumps(sort_keys=True, indent=2,
    ensure_ascii=False)`` writes, 10-20x faster: on a big capture the pure-Python
    indenting encoder was half of the run. A report's keys are strings, so orjson first
    runs without OPT_NON_STR_KEYS (a fifth faster); it refuses other keys with TypeError,
    and the document is then written with it. Integers beyond 64 bits (which orjson
    refuses too) fall back to the standard library. Terminal-unsafe characters are
    escaped after."""
    option = orjson.OPT_SORT_KEYS | (orjson.OPT_INDENT_2 if indent else 0)
    try:
        raw = orjson.dumps(doc, option=option)
    except TypeError:
        try:
            raw = orjson.dumps(doc, option=option | orjson.OPT_NON_STR_KEYS)
        except TypeError:
            return json_safe(json.dumps(doc, sort_keys=True, indent=2 if indent else None,
                                        separators=None if indent else (",", ":"),
                                        ensure_ascii=False))
    return json_safe(raw.decode("utf-8"))


def dumps(doc: dict[str, Any]) -> str:
    return encode(doc) + "\n"
