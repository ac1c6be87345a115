"""Security findings: rules in one table, each a pure function of a :class:`TlsConnection`.

A rule looks at a finished connection (verification results included, see assess.py)
and returns zero or more hits ``(severity, params)``. Ids are stable kebab-case names
(a contract: the JSON report carries them); the words live in the catalogues
(report/messages/findings.py: ``finding.<id>.title`` and ``.detail``, English and
Chinese), so a finding is rendered in the report's language, never stored as a sentence.
docs/findings.md lists every id with its severity and explanation.

Why rules are small functions in a table: each can be tested on a hand-built connection,
read on its own against the RFC it cites, and a new one is one line in :data:`RULES`.
"""

from __future__ import annotations

import datetime as _dt
import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from tlslens.analysis.model import Finding, Term, TlsConnection
from tlslens.fastinit import fast_init
from tlslens.registry import name, version_name
from tlslens.registry.ciphers import CipherSuite, components
from tlslens.tls import messages as m

__all__ = ["RULES", "SEVERITIES", "Rule", "evaluate", "random_reads_as_time"]

SEVERITIES = ("info", "low", "medium", "high", "critical")
#: A hello random whose first 4 bytes are this close to the capture time holds a clock.
PLAUSIBLE_CLOCK_SKEW = 86_400
#: The longest hello lists whose verdicts are cached (real hellos offer at most ~100
#: values; a hostile capture's longer lists would fill the caches' memory).
CACHED_LIST_MAX = 256

Hit = tuple[str, dict[str, Any]]  # (severity, params)

# Extension and suite code points the rules read (IANA).
EXT_HEARTBEAT = 15
EXT_ENCRYPT_THEN_MAC = 22
EXT_EXTENDED_MASTER_SECRET = 23
EXT_SESSION_TICKET = 35
EXT_PRE_SHARED_KEY = 41
EXT_RENEGOTIATION_INFO = 0xFF01
SCSV_RENEGOTIATION = 0x00FF
SCSV_FALLBACK = 0x5600


@fast_init
@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    check: Callable[[TlsConnection], Iterable[Hit]]
    why: str  # one line: the RFC or attack behind the rule (docs, not reports)
    #: The rule reads only the server's certificates and key exchange and what was
    #: verified of them: it finds nothing in a connection without any (a TLS 1.3
    #: handshake not decrypted, a resumption), and evaluate() does not ask it there.
    needs_certificates: bool = False


# -- helpers ------------------------------------------------------------------------------

def is_grease(v: int) -> bool:
    """RFC 8701: 0x0A0A, 0x1A1A, ... 0xFAFA."""
    return (v & 0x0F0F) == 0x0A0A and (v >> 8) == (v & 0xFF)


def is_tls13(version: int | None) -> bool:
    return version is not None and (version == 0x0304 or 0x7F00 < version <= 0x7FFF)


def _final_sh(c: TlsConnection) -> m.ServerHello | None:
    for h in reversed(c.server_hellos):
        if not h.hello.hello_retry_request:
            return h.hello  # type: ignore[no-any-return]
    return None


def _first_ch(c: TlsConnection) -> m.ClientHello | None:
    return c.client_hellos[0].hello if c.client_hellos else None


def _last_ch(c: TlsConnection) -> m.ClientHello | None:
    return c.client_hellos[-1].hello if c.client_hellos else None


def _suite(c: TlsConnection) -> CipherSuite | None:
    comp = components(c.cipher_suite) if c.cipher_suite is not None else None
    return comp if comp is not None and comp.kind == "cipher_suite" else None


def _at(c: TlsConnection) -> _dt.datetime:
    return _dt.datetime.fromtimestamp(c.start_ns / 1e9, _dt.UTC)


def _suite_name(code: int) -> str:
    return name("cipher_suites", code) or f"0x{code:04x}"


def cert_name(cert: Any) -> str:
    """The certificate's CN, else its whole subject: what a person calls it."""
    subject = getattr(cert, "subject_name", None)
    if subject is not None:
        try:
            from cryptography.x509.oid import NameOID

            cns = subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        except Exception:  # noqa: BLE001 - a malformed name falls back to the string
            cns = []
        if cns:
            return str(cns[-1].value)
    return getattr(cert, "subject", None) or "?"


def cert_role(c: TlsConnection, i: int) -> Term:
    """Leaf, intermediate or root, by position and self-signature."""
    if i == 0:
        return Term("role.leaf")
    if c.certificates[i].self_signed:
        return Term("role.root")
    return Term("role.intermediate")


def duration(seconds: float) -> Term:
    """A human duration: years and months, months and days, or days (or hours)."""
    days = int(seconds // 86_400)
    if days >= 365:
        return Term("dur.years", (("y", days // 365), ("m", (days % 365) // 30)))
    if days >= 31:
        return Term("dur.months", (("m", days // 30), ("d", days % 30)))
    if days >= 1:
        return Term("dur.days", (("d", days),))
    return Term("dur.hours", (("h", max(int(seconds // 3600), 0)),))


def random_reads_as_time(random: bytes, at_ns: int) -> bool:
    """True when the random's first 4 bytes (gmt_unix_time) are near the capture time."""
    secs = int.from_bytes(random[:4], "big")
    return abs(secs - at_ns / 1e9) <= PLAUSIBLE_CLOCK_SKEW


def _day(t: _dt.datetime) -> str:
    """``YYYY-MM-DD``, spelled out rather than strftime'd (a few per connection): the
    same text for every four-digit year; earlier years keep strftime's own form."""
    if t.year < 1000:
        return f"{t:%Y-%m-%d}"
    return f"{t.year}-{t.month:02d}-{t.day:02d}"


# -- rules --------------------------------------------------------------------------------

def legacy_protocol(c: TlsConnection) -> Iterable[Hit]:
    v = c.version
    if v in (0x0002, 0x0300):
        yield "critical", {"version": version_name(v), "why": Term("why.ssl")}
    elif v in (0x0301, 0x0302, 0xFEFF):  # TLS 1.0, 1.1, DTLS 1.0 (TLS 1.1 based)
        yield "high", {"version": version_name(v), "why": Term("why.tls10")}


def _weak_reasons(s: CipherSuite) -> list[tuple[str, str]]:
    """(severity, reason key) of each broken part of a suite."""
    out = []
    if s.enc_cipher == "NULL":
        out.append(("critical", "weak.null"))
    if s.export:
        out.append(("critical", "weak.export"))
    if s.au == "anon":
        out.append(("critical", "weak.anon"))
    if s.enc_cipher == "RC4":
        out.append(("high", "weak.rc4"))
    if s.enc_cipher == "DES":
        out.append(("high", "weak.des"))
    if s.enc_cipher in ("RC2", "IDEA"):
        out.append(("high", "weak.old_cipher"))
    if s.enc_cipher == "3DES":
        out.append(("medium", "weak.3des"))
    if s.mac == "HMAC-MD5":
        out.append(("medium", "weak.md5_mac"))
    return out


def _worst(severities: Iterable[str]) -> str:
    return max(severities, key=SEVERITIES.index, default="info")


def weak_cipher(c: TlsConnection) -> Iterable[Hit]:
    s = _suite(c)
    if s is None:
        return
    reasons = _weak_reasons(s)
    if reasons:
        yield _worst(r[0] for r in reasons), {
            "suite": s.name, "reasons": tuple(Term(k) for _, k in reasons)}


def no_forward_secrecy(c: TlsConnection) -> Iterable[Hit]:
    s = _suite(c)
    if s is not None and s.fs is False and s.au != "anon" and s.enc_cipher != "NULL":
        yield "medium", {"suite": s.name, "kx": s.kx}


def cbc_mode(c: TlsConnection) -> Iterable[Hit]:
    s, sh = _suite(c), _final_sh(c)
    if s is None or sh is None or s.enc_mode != "CBC" or is_tls13(c.version):
        return
    if sh.extension(EXT_ENCRYPT_THEN_MAC) is None:
        yield "low", {"suite": s.name}


def _cert_sig_hash(cert: Any) -> str | None:
    sa = getattr(cert, "signature_algorithm", None)
    label = (sa.name or "").lower() if sa is not None else ""
    if "md5" in label or "md2" in label:
        return "md5"
    if "sha1" in label.replace("-", ""):
        return "sha1"
    return None


def _ske_hash(c: TlsConnection) -> str | None:
    ske = c.server_key_exchange
    if ske is None or ske.signature_algorithm is None:
        return None
    return {1: "md5", 2: "sha1"}.get(ske.signature_algorithm >> 8) \
        if ske.signature_algorithm < 0x0700 else None


def _signature_hits(c: TlsConnection, which: str, severity: str) -> Iterable[Hit]:
    """Certificates (not a self-signed root: its signature is not relied on) and the
    ServerKeyExchange signed with ``which`` (sha1 | md5)."""
    for i, cert in enumerate(c.certificates):
        if not cert.parsed or (cert.self_signed and i > 0):
            continue
        if _cert_sig_hash(cert) == which:
            yield severity, {"what": Term("what.cert", (("i", i), ("name", cert_name(cert)))),
                             "algorithm": cert.signature_algorithm.name}
    if _ske_hash(c) == which and c.server_key_exchange is not None:
        scheme = c.server_key_exchange.signature_algorithm
        yield severity, {"what": Term("what.ske"),
                         "algorithm": name("signature_schemes", scheme) or f"0x{scheme:04x}"}


def sha1_signature(c: TlsConnection) -> Iterable[Hit]:
    yield from _signature_hits(c, "sha1", "medium")


def md5_signature(c: TlsConnection) -> Iterable[Hit]:
    yield from _signature_hits(c, "md5", "high")


#: (key type, minimum bits): below it a key is weak (NIST SP 800-57, BSI TR-02102).
MIN_BITS = {"rsa": 2048, "dsa": 2048, "dh": 2048, "ec": 224}


def weak_key(c: TlsConnection) -> Iterable[Hit]:
    for i, cert in enumerate(c.certificates):
        pk = cert.public_key if cert.parsed else None
        if pk is None or pk.type not in MIN_BITS or not pk.bits:
            continue
        if pk.bits < MIN_BITS[pk.type]:
            sev = "high" if pk.bits < MIN_BITS[pk.type] // 2 else "medium"
            yield sev, {"what": Term("what.cert", (("i", i), ("name", cert_name(cert)))),
                        "type": pk.type.upper(), "bits": pk.bits, "min": MIN_BITS[pk.type]}
    ske = c.server_key_exchange
    if ske is not None and ske.dh_p is not None:
        bits = int.from_bytes(ske.dh_p, "big").bit_length()
        if bits < MIN_BITS["dh"]:
            yield ("high" if bits < 1024 else "medium"), {
                "what": Term("what.ske_dh"), "type": "DH", "bits": bits, "min": MIN_BITS["dh"]}
    if ske is not None and ske.rsa_modulus is not None:
        bits = int.from_bytes(ske.rsa_modulus, "big").bit_length()
        if bits < MIN_BITS["rsa"]:
            yield "high", {"what": Term("what.ske_rsa"), "type": "RSA", "bits": bits,
                           "min": MIN_BITS["rsa"]}


def _links_with(c: TlsConnection, validity: str
                ) -> Iterable[tuple[Any, _dt.datetime, dict[str, Any]]]:
    """(certificate, capture time, the params every date finding names) of each
    chain link with this validity."""
    for link in c.chain:
        if link.validity == validity:
            at = _at(c)
            cert = c.certificates[link.index]
            yield cert, at, {
                "i": link.index, "role": cert_role(c, link.index), "name": cert_name(cert),
                "subject": cert.subject, "capture": _day(at)}


def cert_expired(c: TlsConnection) -> Iterable[Hit]:
    for cert, at, params in _links_with(c, "expired"):
        yield "high", {**params, "date": _day(cert.not_after),
                       "ago": duration((at - cert.not_after).total_seconds())}


def cert_not_yet_valid(c: TlsConnection) -> Iterable[Hit]:
    for cert, at, params in _links_with(c, "not_yet_valid"):
        yield "high", {**params, "date": _day(cert.not_before),
                       "wait": duration((cert.not_before - at).total_seconds())}


def hostname_mismatch(c: TlsConnection) -> Iterable[Hit]:
    if c.hostname_match is False and c.certificates:
        from tlslens.analysis.verify import leaf_dns_names

        dns, ips, cn = leaf_dns_names(c.certificates[0])
        names = ", ".join(dns + ips) or (cn or "-")
        yield "high", {"sni": c.server_name, "names": names}


def chain_broken(c: TlsConnection) -> Iterable[Hit]:
    for link in c.chain:
        if link.issuer_index is None or link.out_of_order:
            continue
        if link.name_chained is False or link.signature_valid is False \
                or link.key_id_chained is False:
            cert = c.certificates[link.index]
            if link.signature_valid is False:
                why = Term("chain.bad_signature")
            elif link.name_chained is False:
                why = Term("chain.bad_name")
            else:
                why = Term("chain.bad_key_id")
            yield "high", {"i": link.index, "next": link.issuer_index,
                           "name": cert_name(cert), "why": why}


def chain_order(c: TlsConnection) -> Iterable[Hit]:
    for link in c.chain:
        if link.out_of_order:
            yield "low", {"i": link.index, "issuer": link.index if link.self_signed
                          else link.issuer_index}


def self_signed_leaf(c: TlsConnection) -> Iterable[Hit]:
    if c.certificates and c.certificates[0].parsed and c.certificates[0].self_signed:
        yield "high", {"name": cert_name(c.certificates[0])}


def ske_signature_invalid(c: TlsConnection) -> Iterable[Hit]:
    if c.server_key_exchange_valid is False:
        yield "critical", {"name": cert_name(c.certificates[0]) if c.certificates else "?"}


def _tls12_or_older_with_sh(c: TlsConnection) -> m.ServerHello | None:
    sh = _final_sh(c)
    if sh is None or sh.sslv2_format or is_tls13(c.version) or c.version is None:
        return None
    return sh


def no_extended_master_secret(c: TlsConnection) -> Iterable[Hit]:
    sh = _tls12_or_older_with_sh(c)
    if sh is None or c.version == 0x0300:
        return
    if sh.extension(EXT_EXTENDED_MASTER_SECRET) is None:
        ch = _last_ch(c)
        offered = ch is not None and ch.extension(EXT_EXTENDED_MASTER_SECRET) is not None
        yield "medium", {"who": Term("who.server_declined" if offered else "who.neither")}


def no_secure_renegotiation(c: TlsConnection) -> Iterable[Hit]:
    sh = _tls12_or_older_with_sh(c)
    if sh is None:
        return
    if sh.extension(EXT_RENEGOTIATION_INFO) is None:
        yield "medium", {}


def tls_compression(c: TlsConnection) -> Iterable[Hit]:
    sh = _final_sh(c)
    if sh is not None and sh.compression_method not in (None, 0):
        method = {1: "DEFLATE", 64: "LZS"}.get(sh.compression_method,
                                               str(sh.compression_method))
        yield "high", {"method": method}


def heartbeat_enabled(c: TlsConnection) -> Iterable[Hit]:
    sh = _final_sh(c)
    if (sh is not None and sh.extension(EXT_HEARTBEAT) is not None) or any(
            e.code == EXT_HEARTBEAT for e in c.encrypted_extensions or ()):
        yield "low", {}


def fallback_scsv(c: TlsConnection) -> Iterable[Hit]:
    ch = _first_ch(c)
    if ch is not None and not ch.sslv2_format and SCSV_FALLBACK in ch.cipher_suites:
        yield "low", {"version": version_name(ch.legacy_version)
                      or f"0x{ch.legacy_version:04x}"}


def downgrade_sentinel(c: TlsConnection) -> Iterable[Hit]:
    sh = _final_sh(c)
    if sh is None or sh.downgrade_sentinel is None:
        return
    ch = _last_ch(c)
    offered13 = ch is not None and any(is_tls13(v) for v in ch.supported_versions)
    what = "TLS 1.2" if sh.downgrade_sentinel == "tls12" else "TLS 1.1"
    if offered13 and not is_tls13(c.version):
        yield "critical", {"what": what, "why": Term("downgrade.attack")}
    else:
        yield "info", {"what": what, "why": Term("downgrade.client_max")}


def random_not_time(c: TlsConnection) -> Iterable[Hit]:
    sides = []
    ch, sh = _first_ch(c), _final_sh(c)
    if ch is not None and ch.random is not None and not random_reads_as_time(
            ch.random, c.start_ns):
        sides.append(("client", ch.random))
    if sh is not None and sh.random is not None and not is_tls13(c.version) \
            and not random_reads_as_time(sh.random, c.start_ns):
        sides.append(("server", sh.random))
    if sides:
        yield "info", {"sides": tuple([_SIDE_TERMS[s] for s, _ in sides]),
                       "read": _gmt(sides[0][1]), "capture": _capture_day(c.start_ns)}


#: The sides as terms (made once: a hit per connection names them).
_SIDE_TERMS = {"client": Term("side.client"), "server": Term("side.server")}
#: Day texts by day number since 1970 (the rule names two days per connection; a
#: capture spans few days, its randoms many). Bounded; cleared when full.
_DAYS: dict[int, str] = {}


def _day_text(days: int) -> str:
    text = _DAYS.get(days)
    if text is None:
        if len(_DAYS) >= 4096:
            _DAYS.clear()
        text = _DAYS[days] = _dt.date.fromordinal(_EPOCH_ORDINAL + days).isoformat()
    return text


def _capture_day(start_ns: int) -> str:
    """``_day(_at(c))`` without a datetime per connection. Exact: away from midnight (a
    second either side) the float in ``_at`` cannot round across the day, and for 1970
    to 9999 ``isoformat`` spells the date as ``_day`` does; anything else goes the long
    way."""
    secs = start_ns // 1_000_000_000
    if 0 <= secs < 253_402_214_400 and 0 < secs % 86_400 < 86_399:  # before 9999-12-31
        return _day_text(secs // 86_400)
    return _day(_dt.datetime.fromtimestamp(start_ns / 1e9, _dt.UTC))


#: The proleptic ordinal of 1970-01-01, day 0 of gmt_unix_time.
_EPOCH_ORDINAL = _dt.date(1970, 1, 1).toordinal()


def _gmt(random: bytes) -> str:
    """The UTC day of the random's gmt_unix_time (an unsigned 32-bit count of seconds,
    so 1970 to 2106, always a four-digit year, which ``isoformat`` spells as strftime's
    ``%Y-%m-%d`` does). A date from the day number: a third of the cost of strftime of
    gmtime; randoms are random, so a cache of day texts (as for the capture's own day)
    would seldom hit."""
    return _from_ordinal(_EPOCH_ORDINAL + int.from_bytes(random[:4], "big") // 86_400
                         ).isoformat()


_from_ordinal = _dt.date.fromordinal


def session_new(c: TlsConnection) -> Iterable[Hit]:
    if c.resumed:
        return
    sh = _final_sh(c)
    if sh is None or sh.sslv2_format:
        return
    if c.new_session_tickets:
        yield "info", {"how": Term("session.ticket", (("n", len(c.new_session_tickets)),))}
    elif not is_tls13(c.version) and sh.legacy_session_id:
        ch = _last_ch(c)
        offered = Term("session.offered_other" if ch is not None and ch.legacy_session_id
                       else "session.offered_none")
        yield "info", {"how": Term("session.id", (("n", len(sh.legacy_session_id)),
                                                  ("offered", offered)))}


def session_resumed(c: TlsConnection) -> Iterable[Hit]:
    if not c.resumed:
        return
    sh, ch = _final_sh(c), _last_ch(c)
    if is_tls13(c.version):
        how = Term("resumed.psk")
    elif ch is not None and sh is not None and ch.legacy_session_id \
            and ch.legacy_session_id == sh.legacy_session_id:
        how = Term("resumed.id")
    else:
        how = Term("resumed.ticket")
    yield "info", {"how": how}


#: Alert descriptions (RFC 8446 6.2, RFC 5246 7.2) with a "likely cause" entry.
ALERT_CAUSES = (0, 10, 20, 21, 22, 30, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 60,
                70, 71, 80, 86, 90, 100, 109, 110, 111, 112, 113, 114, 115, 116, 120)


def handshake_failed(c: TlsConnection) -> Iterable[Hit]:
    if c.state != "failed":
        return
    for a in c.alerts:
        if a.level == 2 and a.description is not None:
            alert = name("alerts", a.description) or str(a.description)
            cause = f"cause.{a.description}" if a.description in ALERT_CAUSES \
                else "cause.other"
            yield "medium", {"who": Term(f"side.{a.direction}"), "alert": alert,
                             "frame": a.frame, "cause": Term(cause)}
            return
    encrypted = next((a for a in c.alerts if a.encrypted and a.description is None), None)
    if encrypted is not None:
        yield "medium", {"who": Term(f"side.{encrypted.direction}"), "alert": "-",
                         "frame": encrypted.frame, "cause": Term("cause.encrypted")}
        return
    yield "medium", {"who": Term("side.unknown"), "alert": "-", "frame": "-",
                     "cause": Term("cause.reset")}


def weak_offer(c: TlsConnection) -> Iterable[Hit]:
    ch = _first_ch(c)
    if ch is None or ch.sslv2_format:
        return
    suites = ch.cipher_suites
    offer = (_weak_offer_cached if len(suites) <= CACHED_LIST_MAX else _weak_offer)(suites)
    if offer is not None:
        n, shown = offer
        yield "low", {"n": n, "total": len(ch.cipher_suites), "suites": shown}


def _weak_offer(suites: tuple[int, ...]) -> tuple[int, str] | None:
    """(how many, the list as shown) of the broken suites in an offer; None if none.
    Cached below for lists of real size: a capture's clients send the same few."""
    bad = []
    for code in suites:
        s = components(code)
        if s is not None and s.kind == "cipher_suite" and any(
                sev in ("critical", "high") for sev, _ in _weak_reasons(s)):
            bad.append(code)
    if not bad:
        return None
    shown = ", ".join(_suite_name(x) for x in bad[:4])
    more = len(bad) - 4
    return len(bad), shown + (f", ... (+{more})" if more > 0 else "")


_weak_offer_cached = functools.lru_cache(maxsize=1024)(_weak_offer)


def grease(c: TlsConnection) -> Iterable[Hit]:
    ch = _first_ch(c)
    if ch is None or ch.sslv2_format:
        return
    lists = (ch.cipher_suites, ch.extension_types, ch.supported_groups,
             ch.supported_versions)
    cached = sum(map(len, lists)) <= CACHED_LIST_MAX
    where = (_grease_where_cached if cached else _grease_where)(*lists)
    if where:
        yield "info", {"where": where}


def _grease_where(suites: tuple[int, ...], extensions: tuple[int, ...],
                  groups: tuple[int, ...], versions: tuple[int, ...]) -> str:
    """The hello lists that hold GREASE values, comma-joined ("" for none). Cached below
    for lists of real size: a capture's clients send the same few."""
    where = []
    if any(is_grease(v) for v in suites):
        where.append("cipher_suites")
    if any(is_grease(v) for v in extensions):
        where.append("extensions")
    if any(is_grease(v) for v in groups):
        where.append("supported_groups")
    if any(is_grease(v) for v in versions):
        where.append("supported_versions")
    return ", ".join(where)


_grease_where_cached = functools.lru_cache(maxsize=1024)(_grease_where)


def hello_retry(c: TlsConnection) -> Iterable[Hit]:
    for h in c.server_hellos:
        sh = h.hello
        if sh.hello_retry_request:
            group = sh.key_share_group
            label = (name("groups", group) or f"0x{group:04x}") if group is not None else "-"
            ch = _first_ch(c)
            offered = ", ".join(name("groups", g) or f"0x{g:04x}"
                                for g in (ch.key_share_groups if ch else ())) or "-"
            yield "info", {"group": label, "offered": offered}
            return


RULES: tuple[Rule, ...] = (
    Rule("handshake-failed", handshake_failed, "a fatal alert or reset ended the handshake"),
    Rule("legacy-protocol", legacy_protocol, "RFC 6176, RFC 7568, RFC 8996"),
    Rule("weak-cipher", weak_cipher, "RFC 7465 (RC4), Sweet32, export and NULL suites"),
    Rule("no-forward-secrecy", no_forward_secrecy, "static key exchange (RFC 7525 4.1)"),
    Rule("cbc-mode", cbc_mode, "Lucky13, POODLE-TLS; RFC 7366 encrypt_then_mac"),
    Rule("md5-signature", md5_signature, "MD5 collisions (RFC 6151)",
         needs_certificates=True),
    Rule("sha1-signature", sha1_signature, "SHA-1 collisions (SHAttered, RFC 9155)",
         needs_certificates=True),
    Rule("weak-key", weak_key, "key sizes below NIST SP 800-57 minimums; Logjam",
         needs_certificates=True),
    Rule("cert-expired", cert_expired, "RFC 5280 4.1.2.5, judged at capture time",
         needs_certificates=True),
    Rule("cert-not-yet-valid", cert_not_yet_valid, "RFC 5280 4.1.2.5",
         needs_certificates=True),
    Rule("hostname-mismatch", hostname_mismatch, "RFC 6125 6.4",
         needs_certificates=True),
    Rule("chain-broken", chain_broken, "RFC 5280 6.1 path validation",
         needs_certificates=True),
    Rule("chain-order", chain_order, "RFC 5246 7.4.2 certificate_list order",
         needs_certificates=True),
    Rule("self-signed-leaf", self_signed_leaf, "no third party vouches for the key",
         needs_certificates=True),
    Rule("ske-signature-invalid", ske_signature_invalid, "RFC 5246 7.4.3",
         needs_certificates=True),
    Rule("no-extended-master-secret", no_extended_master_secret, "RFC 7627, triple handshake"),
    Rule("no-secure-renegotiation", no_secure_renegotiation, "RFC 5746"),
    Rule("tls-compression", tls_compression, "CRIME; RFC 7457 2.6"),
    Rule("heartbeat-enabled", heartbeat_enabled, "RFC 6520; Heartbleed (CVE-2014-0160)"),
    Rule("fallback-scsv", fallback_scsv, "RFC 7507"),
    Rule("downgrade-sentinel", downgrade_sentinel, "RFC 8446 4.1.3"),
    Rule("hello-retry", hello_retry, "RFC 8446 4.1.4"),
    Rule("weak-offer", weak_offer, "the client would accept broken suites"),
    Rule("grease", grease, "RFC 8701"),
    Rule("random-not-time", random_not_time, "RFC 8446 dropped gmt_unix_time"),
    Rule("session-new", session_new, "RFC 5246 7.4.1.3, RFC 5077"),
    Rule("session-resumed", session_resumed, "RFC 5246 7.3, RFC 8446 2.2"),
)


def evaluate(c: TlsConnection, rules: Iterable[Rule] = RULES) -> tuple[Finding, ...]:
    """Every rule's hits as findings, the worst first (stable within a severity)."""
    out: list[Finding] = []
    certified = has_certificate_facts(c)
    for rule in rules:
        if rule.needs_certificates and not certified:
            continue  # (it would find nothing: a third of the rules, most connections)
        for severity, params in rule.check(c):
            out.append(Finding(rule.id, severity, params=tuple(params.items())))
    return tuple(sorted(out, key=_severity_rank))


def has_certificate_facts(c: TlsConnection) -> bool:
    """Whether the capture shows anything of the server's certificates or key exchange:
    certificates, their chain, a ServerKeyExchange, or a verification result. Without
    any, every rule with ``needs_certificates`` finds nothing (they read only these)."""
    return bool(c.certificates or c.chain or c.server_key_exchange is not None
                or c.server_key_exchange_valid is not None or c.hostname_match is not None)


#: Sort rank of each severity: the worst first, unknown ones last.
_RANK = {s: i for i, s in enumerate(reversed(SEVERITIES))}


def _severity_rank(f: Finding) -> int:
    return _RANK.get(f.severity, 99)
