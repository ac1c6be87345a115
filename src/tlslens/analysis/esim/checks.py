"""Checks: the SGP.22 rules on the handshake (version, suites, groups, signatures, SNI...)."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from tlslens.analysis.esim.certfields import _san
from tlslens.analysis.esim.values import Check
from tlslens.analysis.model import TlsConnection
from tlslens.registry import esim_data as data
from tlslens.registry import name, version_name


def _check(check_id: str, rule: str, subject: str | None, result: str, reason: str,
           **params: Any) -> Check:
    r = data.RULES[rule]
    return Check(check_id, subject, result, f"esim.reason.{check_id}.{reason}",
                 tuple(params.items()), tuple(r["sources"]), r["confidence"])


def _broken(rule: str) -> str:
    """A broken rule fails when its confidence is high, else it warns."""
    return "fail" if data.RULES[rule]["confidence"] == "high" else "warn"


def _suite(code: int) -> str:
    return name("cipher_suites", code) or f"0x{code:04x}"


def _group(code: int) -> str:
    return name("groups", code) or f"0x{code:04x}"


def _scheme(code: int) -> str:
    return name("signature_schemes", code) or f"0x{code:04x}"


def _tls13(version: int | None) -> bool:
    return version is not None and (version == 0x0304 or 0x7F00 < version <= 0x7FFF)


def _first_hello(c: TlsConnection) -> Any:
    return c.client_hellos[0].hello if c.client_hellos else None


def _final_server_hello(c: TlsConnection) -> Any:
    for h in reversed(c.server_hellos):
        if not h.hello.hello_retry_request:
            return h.hello
    return None


def check_version(c: TlsConnection) -> list[Check]:
    v = c.version
    if v is None:
        return [_check("tls-version", "tls12", "server_hello", "not_observable", "unknown")]
    if v == 0x0303:
        return [_check("tls-version", "tls12", "server_hello", "pass", "tls12")]
    if _tls13(v):
        return [_check("tls-version", "tls13", "server_hello", "pass", "tls13")]
    return [_check("tls-version", "below_tls12", "server_hello", _broken("below_tls12"),
                   "old", version=version_name(v) or f"0x{v:04x}")]


def check_suite(c: TlsConnection) -> list[Check]:
    s = c.cipher_suite
    rule = "suites_tls13" if _tls13(c.version) else "suites_tls12"
    codes = data.RULES[rule]["codes"]
    allowed = ", ".join(f"{_suite(x)} (0x{x:04x})" for x in codes)
    if s is None:
        return [_check("cipher-suite", rule, "server_hello", "not_observable", "unknown",
                       allowed=allowed)]
    if s in codes:
        return [_check("cipher-suite", rule, "server_hello", "pass", "listed",
                       suite=f"{_suite(s)} (0x{s:04x})")]
    return [_check("cipher-suite", rule, "server_hello", _broken(rule), "outside",
                   suite=f"{_suite(s)} (0x{s:04x})", allowed=allowed)]


def check_client_suites(c: TlsConnection) -> list[Check]:
    ch = _first_hello(c)
    codes = tuple(data.RULES["suites_tls12"]["codes"]) + tuple(data.RULES["suites_tls13"]["codes"])
    if ch is None:
        return [_check("client-cipher-suites", "suites_tls12", "client_hellos[0]",
                       "not_observable", "unknown")]
    offered = [s for s in ch.cipher_suites if s in codes]
    if offered:
        return [_check("client-cipher-suites", "suites_tls12", "client_hellos[0]", "pass",
                       "offered", suites=", ".join(_suite(s) for s in offered))]
    return [_check("client-cipher-suites", "suites_tls12", "client_hellos[0]",
                   _broken("suites_tls12"), "none",
                   allowed=", ".join(_suite(s) for s in codes))]


def check_group(c: TlsConnection) -> list[Check]:
    tls13 = _tls13(c.version)
    group, subject = None, "server_key_exchange"
    if tls13:
        sh = _final_server_hello(c)
        group, subject = (sh.key_share_group if sh is not None else None), "server_hello"
    elif c.server_key_exchange is not None:
        group = c.server_key_exchange.named_curve
    allowed_codes = data.RULES["groups"]["tls13" if tls13 else "tls12"]
    allowed = ", ".join(_group(g) for g in allowed_codes)
    if group is None:
        return [_check("key-exchange-group", "groups", subject, "not_observable", "unknown",
                       allowed=allowed)]
    if group in allowed_codes:
        return [_check("key-exchange-group", "groups", subject, "pass", "listed",
                       group=_group(group))]
    return [_check("key-exchange-group", "groups", subject, _broken("groups"), "outside",
                   group=_group(group), allowed=allowed)]


def check_server_signature(c: TlsConnection) -> list[Check]:
    codes = data.RULES["signature_schemes"]["codes"]
    allowed = ", ".join(_scheme(x) for x in codes)
    scheme, subject = None, "server_key_exchange"
    if c.server_key_exchange is not None:
        scheme = c.server_key_exchange.signature_algorithm
    for direction, cv, _ in c.certificate_verify:
        if direction == "server" and cv.signature_algorithm is not None:
            scheme, subject = cv.signature_algorithm, "certificate_verify"
    if scheme is None:
        return [_check("server-signature-scheme", "signature_schemes", subject,
                       "not_observable", "unknown", allowed=allowed)]
    if scheme in codes:
        return [_check("server-signature-scheme", "signature_schemes", subject, "pass",
                       "listed", scheme=_scheme(scheme))]
    return [_check("server-signature-scheme", "signature_schemes", subject,
                   _broken("signature_schemes"), "outside", scheme=_scheme(scheme),
                   allowed=allowed)]


def check_client_signatures(c: TlsConnection) -> list[Check]:
    ch = _first_hello(c)
    want = data.RULES["signature_schemes"]["codes"][0]  # ecdsa_secp256r1_sha256
    if ch is None or not ch.signature_algorithms:
        return [_check("client-signature-schemes", "signature_schemes", "client_hellos[0]",
                       "not_observable", "unknown", scheme=_scheme(want))]
    if want in ch.signature_algorithms:
        return [_check("client-signature-schemes", "signature_schemes", "client_hellos[0]",
                       "pass", "offered", scheme=_scheme(want))]
    return [_check("client-signature-schemes", "signature_schemes", "client_hellos[0]",
                   _broken("signature_schemes"), "missing", scheme=_scheme(want))]


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def check_sni(c: TlsConnection) -> list[Check]:
    ch = _first_hello(c)
    if ch is None:
        return [_check("sni", "sni", "client_hellos[0]", "not_observable", "unknown")]
    sni = ch.server_name
    if not sni:
        return [_check("sni", "sni", "client_hellos[0]", _broken("sni"), "absent")]
    if _is_ip(sni):
        return [_check("sni", "sni", "client_hellos[0]", _broken("sni"), "ip", sni=sni)]
    return [_check("sni", "sni", "client_hellos[0]", "pass", "fqdn", sni=sni)]


def _dns_match(host: str, pattern: str) -> bool:
    host, pattern = host.rstrip(".").lower(), pattern.rstrip(".").lower()
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return host == pattern


def check_sni_certificate(c: TlsConnection) -> list[Check]:
    sni = c.server_name
    if not sni or not c.certificates or not c.certificates[0].parsed:
        return [_check("sni-certificate-match", "sni", "certificates[0]", "not_observable",
                       "unknown")]
    names = _san(c.certificates[0], "dNSName")
    if any(_dns_match(sni, n) for n in names):
        return [_check("sni-certificate-match", "sni", "certificates[0]", "pass", "match",
                       sni=sni)]
    return [_check("sni-certificate-match", "sni", "certificates[0]", _broken("sni"),
                   "nomatch", sni=sni, names=", ".join(names) or "-")]


def check_client_certificate(c: TlsConnection) -> list[Check]:
    if c.certificate_request is None and c.client_certificates is None:
        return [_check("no-client-certificate", "client_certificate", "certificate_request",
                       "pass", "none")]
    return [_check("no-client-certificate", "client_certificate", "certificate_request",
                   _broken("client_certificate"), "requested")]


def check_resumption(c: TlsConnection) -> list[Check]:
    if c.resumed:
        return [_check("session-resumption", "resumption", "server_hello",
                       _broken("resumption"), "resumed")]
    return [_check("session-resumption", "resumption", "server_hello", "pass", "fresh")]


def check_alpn(c: TlsConnection) -> list[Check]:
    if c.alpn is None or c.alpn == "http/1.1":
        return [_check("alpn", "alpn", "server_hello", "pass", "http1",
                       alpn=c.alpn or "-")]
    return [_check("alpn", "alpn", "server_hello", _broken("alpn"), "other", alpn=c.alpn)]


HANDSHAKE_CHECKS: tuple[Callable[[TlsConnection], list[Check]], ...] = (
    check_version, check_suite, check_client_suites, check_group, check_server_signature,
    check_client_signatures, check_sni, check_sni_certificate, check_client_certificate,
    check_resumption, check_alpn,
)
