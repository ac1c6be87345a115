"""The eSIM profile: recognise LPA <-> SM-DP+/SM-DS traffic and check it against SGP.22.

GSMA SGP.22 remote SIM provisioning runs HTTPS between the LPA (on the device) and the
SM-DP+ (ES9+) or SM-DS (ES11). Its TLS has rules of its own (suites, curves, a server
certificate profile, a chain to a GSMA Certificate Issuer) that a generic TLS judge does
not know. This module, a pure function of a :class:`TlsConnection`, decides whether a
connection belongs to that world, names the operator (vendor) with evidence, finds the CI
the chain leads to and how sure that is, and checks every rule of
``registry/esim_data.py`` (generated from the research notes, each rule with sources and
a confidence). A broken high-confidence rule fails; a broken medium/low one warns,
because the SGP.22 text itself was not available for those (docs/esim.md).

Never trust a name alone: a certificate that carries a CI's name or key id but not its key
is an impostor (match ``mismatch``, finding ``ci-impostor``).

Results are language-neutral (catalogue keys + params); :func:`esim_dict` renders them in
one language. The build step stores an :class:`EsimReport`: the English dict the report
contract describes, which keeps its profile so a report can render it in another language
(:func:`localized`).
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import ipaddress
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.x509.oid import NameOID

from tlslens.analysis.model import Finding, TlsConnection
from tlslens.registry import esim_data as data
from tlslens.registry import name, version_name
from tlslens.x509.certs import CertSummary, verify_signed_by

Params = tuple[tuple[str, Any], ...]

ROLE_CLIENT = "LPA"
#: recognized_by values, in the contract's order
SIGNALS = ("sni-rule", "ci-key", "ci-name", "policy-oid", "es9plus-path", "es11-path")
_RSP_ROLE_ARC = "2.23.146.1.2.1."
_SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
_EC_CURVES = ("secp256r1", "brainpoolP256r1")


# ---------------------------------------------------------------------------------------
# Values
# ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class CiInfo:
    """A Certificate Issuer tlslens knows; ``public_key`` is SPKI DER (None: key unknown)."""

    key_id: str
    name: str
    kind: str  # gsma-production | gsma-test | gsma-m2m | test | regional | private | other
    production: bool
    common_names: tuple[str, ...] = ()
    sha256: tuple[str, ...] = ()
    public_key: bytes | None = None


@dataclass(frozen=True, slots=True)
class CiMatch:
    """The CI a chain leads to (or claims), how sure, and which certificate said so."""

    ci: CiInfo
    match: str  # verified | claimed | mismatch
    via: str  # fingerprint | ski | subject-name | aki | aki-prefix | issuer-name
    index: int  # the certificate (as sent) that matched
    signal: str  # ci-key | ci-name
    own_key_id: str | None = None  # mismatch: the key id of the key really used


@dataclass(frozen=True, slots=True)
class Check:
    """One SGP.22 rule applied: its words are catalogue keys (``esim.rule.<id>``, ``reason``)."""

    id: str
    subject: str | None
    result: str  # pass | fail | warn | not_observable
    reason: str
    params: Params
    sources: tuple[str, ...]
    confidence: str


@dataclass(frozen=True, slots=True)
class Vendor:
    name: str
    formerly: str | None
    product: str | None
    evidence: tuple[tuple[str, Params], ...]


@dataclass(frozen=True, slots=True)
class EsimProfile:
    role_server: str  # SM-DP+ | SM-DS
    recognized_by: tuple[str, ...]
    vendor: Vendor | None
    ci: CiMatch | None
    checks: tuple[Check, ...]


class EsimReport(dict):  # type: ignore[type-arg]
    """The contract's ``esim`` dict (English), carrying its profile for other languages."""

    __slots__ = ("profile",)

    def __init__(self, profile: EsimProfile, lang: str = "en") -> None:
        super().__init__(esim_dict(profile, lang))
        self.profile = profile

    def __reduce__(self) -> tuple[Any, ...]:  # pickles for process pools
        return (EsimReport, (self.profile,))


# ---------------------------------------------------------------------------------------
# Data indexes (built once from the generated module; read-only afterwards)
# ---------------------------------------------------------------------------------------

def _ci_infos() -> tuple[CiInfo, ...]:
    return tuple(CiInfo(c["key_id"], c["name"], c["kind"], c["production"],
                        tuple(c["common_names"]), tuple(c["sha256"]),
                        bytes.fromhex(c["public_key"])) for c in data.CIS)


_CIS = _ci_infos()
_CI_BY_KEY = {c.key_id: c for c in _CIS}
_CI_BY_SHA256 = {h: c for c in _CIS for h in c.sha256}


def _by_common_name(cis: tuple[CiInfo, ...]) -> dict[str, list[CiInfo]]:
    out: dict[str, list[CiInfo]] = {}
    for ci in cis:
        for common_name in ci.common_names:
            out.setdefault(common_name.casefold(), []).append(ci)
    return out


_CI_BY_CN = _by_common_name(_CIS)
_HOSTS_EXACT = {r["match"]: r for r in data.HOST_RULES if r["exact"]}
_HOSTS_SUFFIX = {r["match"]: r for r in data.HOST_RULES if not r["exact"]}
_TLS_POLICIES = {"SM-DP+": tuple(data.OIDS["dp_tls"]), "SM-DS": tuple(data.OIDS["ds_tls"])}


@functools.lru_cache(maxsize=64)
def _ci_key(spki: bytes) -> Any:
    return serialization.load_der_public_key(spki)


def host_rule(host: str | None) -> dict[str, Any] | None:
    """The SM-DP+/SM-DS rule for a host name: exact host first, then the longest suffix."""
    if not host:
        return None
    host = host.rstrip(".").lower()
    if host in _HOSTS_EXACT:
        return _HOSTS_EXACT[host]
    labels = host.split(".")
    for i in range(1, len(labels)):
        rule = _HOSTS_SUFFIX.get("." + ".".join(labels[i:]))
        if rule is not None:
            return rule
    return None


def oid_vendor(oid: str) -> dict[str, Any] | None:
    """The vendor whose SM-DP+ OID arc holds ``oid`` (longest prefix wins)."""
    best = None
    for e in data.OID_VENDORS:
        p = e["prefix"]
        if (oid == p or oid.startswith(p + ".")) and (best is None or
                                                       len(p) > len(best["prefix"])):
            best = e
    return best


# ---------------------------------------------------------------------------------------
# Certificate accessors (tolerant: a field that did not decode reads as absent)
# ---------------------------------------------------------------------------------------

def _ext(cert: CertSummary, ext_name: str) -> tuple[bool, Any] | None:
    """(critical, decoded value) or None when absent; value None when not decoded."""
    e = cert.extension(ext_name)
    if e is None:
        return None
    value = e.value
    if isinstance(value, dict) and set(value) == {"der"}:
        value = None
    return e.critical, value


def _ski(cert: CertSummary) -> str | None:
    e = _ext(cert, "subjectKeyIdentifier")
    return e[1] if e is not None and isinstance(e[1], str) else None


def _aki(cert: CertSummary) -> str | None:
    e = _ext(cert, "authorityKeyIdentifier")
    if e is None or not isinstance(e[1], dict):
        return None
    return e[1].get("key_identifier")


def _san(cert: CertSummary, kind: str) -> list[str]:
    e = _ext(cert, "subjectAltName")
    if e is None or not isinstance(e[1], list):
        return []
    return [g["value"] for g in e[1] if isinstance(g, dict) and g.get("type") == kind]


def _policies(cert: CertSummary) -> list[str]:
    e = _ext(cert, "certificatePolicies")
    if e is None or not isinstance(e[1], list):
        return []
    return [p["policy"] for p in e[1] if isinstance(p, dict) and "policy" in p]


def _cn(name_obj: x509.Name | None) -> str | None:
    if name_obj is None:
        return None
    try:
        attrs = name_obj.get_attributes_for_oid(NameOID.COMMON_NAME)
        value = attrs[0].value if attrs else None
    except Exception:  # noqa: BLE001 - an undecodable name is simply no name
        return None
    return value if isinstance(value, str) else None


def _spki(cert: CertSummary) -> bytes | None:
    if cert.cert is None:
        return None
    try:
        return cert.cert.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    except Exception:  # noqa: BLE001 - an unreadable key cannot match any CI
        return None


def _same_key(cert: CertSummary, ci: CiInfo) -> bool | None:
    mine = _spki(cert)
    if mine is None or ci.public_key is None:
        return None
    try:
        theirs = _ci_key(ci.public_key).public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    except Exception:  # noqa: BLE001
        return None
    return mine == theirs


def _key_id(cert: CertSummary) -> str | None:
    """The certificate's own key id: its SKI, else SHA-1 of its public key (RFC 5280
    4.2.1.2 method 1, as the GSMA CIs compute theirs)."""
    ski = _ski(cert)
    if ski:
        return ski
    if cert.cert is None:
        return None
    try:
        point = cert.cert.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    except Exception:  # noqa: BLE001 - not an EC key, or unreadable
        return None
    return hashlib.sha1(point).hexdigest()


def _signed_by_ci(cert: CertSummary, ci: CiInfo) -> bool | None:
    if cert.cert is None or ci.public_key is None:
        return None
    try:
        key = _ci_key(ci.public_key)
    except Exception:  # noqa: BLE001 - a CI key cryptography cannot load: unchecked
        return None
    return verify_signed_by(cert.cert, key)


# ---------------------------------------------------------------------------------------
# CI: which Certificate Issuer the chain leads to, and whether that is true
# ---------------------------------------------------------------------------------------

_MATCH = {True: "verified", False: "mismatch", None: "claimed"}


def match_ci(certs: Sequence[CertSummary]) -> CiMatch | None:
    """The CI the chain (as sent) leads to or claims, from the strongest evidence down.

    A certificate whose SHA-256 is a CI's is that CI (verified). One that carries a CI's
    key id (SKI) or name as its subject must also carry the CI's key, else it is an
    impostor (mismatch). A certificate issued by a CI that was not sent (AKI = CI key id,
    or issuer name = CI name) is verified with the CI's public key: it checks (verified),
    it does not (mismatch), or it cannot be checked (claimed).
    """
    parsed = [(i, c) for i, c in enumerate(certs) if c.parsed]
    top_down = list(reversed(parsed))
    for i, c in top_down:
        ci = _CI_BY_SHA256.get(c.sha256)
        if ci is not None:
            return CiMatch(ci, "verified", "fingerprint", i, "ci-key")
    for i, c in top_down:
        ci = _CI_BY_KEY.get(_ski(c) or "")
        if ci is not None:
            same = _same_key(c, ci)
            return CiMatch(ci, _MATCH[same], "ski", i, "ci-key",
                           _key_id(c) if same is False else None)
    for i, c in top_down:
        cands = _CI_BY_CN.get((_cn(c.subject_name) or "").casefold(), [])
        if cands:
            for ci in cands:
                if _same_key(c, ci):
                    return CiMatch(ci, "verified", "subject-name", i, "ci-name")
            return CiMatch(cands[0], "mismatch", "subject-name", i, "ci-name", _key_id(c))
    for i, c in top_down:
        aki = _aki(c) or ""
        ci = _CI_BY_KEY.get(aki)
        if ci is not None:
            return CiMatch(ci, _MATCH[_signed_by_ci(c, ci)], "aki", i, "ci-key")
        for k in data.KNOWN_CI_PREFIXES:
            if aki.startswith(k["prefix"]):
                info = CiInfo(aki, k["name"], "known-no-key", k["production"])
                return CiMatch(info, "claimed", "aki-prefix", i, "ci-key")
    for i, c in top_down:
        cands = _CI_BY_CN.get((_cn(c.issuer_name) or "").casefold(), [])
        if cands:
            results = [(ci, _signed_by_ci(c, ci)) for ci in cands]
            for ci, ok in results:
                if ok:
                    return CiMatch(ci, "verified", "issuer-name", i, "ci-name")
            checked = [ci for ci, ok in results if ok is False]
            if checked:
                return CiMatch(checked[0], "mismatch", "issuer-name", i, "ci-name",
                               _aki(c))
            return CiMatch(cands[0], "claimed", "issuer-name", i, "ci-name")
    return None


# ---------------------------------------------------------------------------------------
# Checks
# ---------------------------------------------------------------------------------------

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


# -- the certificate profile (CERT.DP.TLS / CERT.DS.TLS) and the chain ------------------

def _leaf_checks(leaf: CertSummary, role: str) -> list[Check]:
    s = "certificates[0]"
    out = []
    ku = _ext(leaf, "keyUsage")
    bits = ku[1] if ku is not None and isinstance(ku[1], list) else None
    if ku is None:
        out.append(_check("leaf-key-usage", "cert_key_usage", s, _broken("cert_key_usage"),
                          "absent"))
    elif bits is None:
        out.append(_check("leaf-key-usage", "cert_key_usage", s, "not_observable",
                          "unreadable"))
    elif not ku[0] or bits != ["digitalSignature"]:
        out.append(_check("leaf-key-usage", "cert_key_usage", s, _broken("cert_key_usage"),
                          "wrong", bits=", ".join(bits) or "-",
                          critical="critical" if ku[0] else "non-critical"))
    else:
        out.append(_check("leaf-key-usage", "cert_key_usage", s, "pass", "ok"))

    eku = _ext(leaf, "extKeyUsage")
    purposes = [p.get("name") or p.get("oid") for p in eku[1]] \
        if eku is not None and isinstance(eku[1], list) else None
    oids = [p.get("oid") for p in eku[1]] if purposes is not None and eku is not None else []
    rule = "cert_extended_key_usage"
    if eku is None:
        out.append(_check("leaf-extended-key-usage", rule, s, _broken(rule), "absent"))
    elif purposes is None:
        out.append(_check("leaf-extended-key-usage", rule, s, "not_observable", "unreadable"))
    elif _SERVER_AUTH not in oids:
        out.append(_check("leaf-extended-key-usage", rule, s, _broken(rule), "no_server_auth",
                          purposes=", ".join(str(p) for p in purposes) or "-"))
    elif not eku[0]:
        out.append(_check("leaf-extended-key-usage", rule, s, _broken(rule), "not_critical",
                          purposes=", ".join(str(p) for p in purposes)))
    else:
        out.append(_check("leaf-extended-key-usage", rule, s, "pass", "ok",
                          purposes=", ".join(str(p) for p in purposes)))

    wanted = _TLS_POLICIES[role]
    policies = _policies(leaf)
    roles = data.OIDS["rsp_roles"]
    found = [p for p in policies if p in wanted]
    rsp = [p for p in policies if p.startswith(_RSP_ROLE_ARC)]
    def label(oid: str) -> str:
        return f"{oid} ({roles.get(oid, '?').split(' (')[0]})"

    expected = ", ".join(label(p) for p in wanted)
    if found:
        out.append(_check("leaf-policy", "cert_policies", s, "pass", "ok", oid=label(found[0])))
    elif rsp:
        out.append(_check("leaf-policy", "cert_policies", s, _broken("cert_policies"),
                          "other_role", oid=label(rsp[0]), expected=expected))
    else:
        out.append(_check("leaf-policy", "cert_policies", s, _broken("cert_policies"),
                          "absent", expected=expected))

    dns, rid = _san(leaf, "dNSName"), _san(leaf, "registeredID")
    if dns and rid:
        out.append(_check("leaf-subject-alt-name", "cert_san", s, "pass", "ok",
                          dns=", ".join(dns), rid=", ".join(rid)))
    else:
        out.append(_check("leaf-subject-alt-name", "cert_san", s, _broken("cert_san"),
                          "missing", dns=", ".join(dns) or "-", rid=", ".join(rid) or "-"))

    crl = _ext(leaf, "cRLDistributionPoints")
    uris = [g["value"] for dp in (crl[1] if crl is not None and isinstance(crl[1], list)
                                  else []) if isinstance(dp, dict)
            for g in (dp.get("full_name") or []) if g.get("type") == "uniformResourceIdentifier"]
    if uris:
        out.append(_check("leaf-crl-distribution-points", "cert_crl_dp", s, "pass", "ok",
                          uris=", ".join(uris)))
    else:
        out.append(_check("leaf-crl-distribution-points", "cert_crl_dp", s,
                          _broken("cert_crl_dp"), "absent"))

    ski, aki = _ski(leaf), _aki(leaf)
    if ski and aki:
        out.append(_check("leaf-key-identifiers", "cert_aki", s, "pass", "ok"))
    else:
        out.append(_check("leaf-key-identifiers", "cert_aki", s, _broken("cert_aki"),
                          "missing", missing=", ".join(n for n, v in (("SKI", ski),
                                                                      ("AKI", aki)) if not v)))

    bc = _ext(leaf, "basicConstraints")
    if bc is not None and isinstance(bc[1], dict) and bc[1].get("ca"):
        out.append(_check("leaf-basic-constraints", "cert_basic_constraints", s,
                          _broken("cert_basic_constraints"), "ca"))
    else:
        out.append(_check("leaf-basic-constraints", "cert_basic_constraints", s, "pass",
                          "end_entity"))

    pk = leaf.public_key
    if pk is None:
        out.append(_check("leaf-public-key", "cert_public_key", s, "not_observable",
                          "unreadable"))
    elif pk.type == "ec" and pk.curve in _EC_CURVES:
        out.append(_check("leaf-public-key", "cert_public_key", s, "pass", "ok",
                          key=f"EC {pk.curve}"))
    else:
        out.append(_check("leaf-public-key", "cert_public_key", s,
                          _broken("cert_public_key"), "other",
                          key=f"{pk.type} {pk.curve or pk.bits}"))
    return out


def _chain_shape_checks(certs: Sequence[CertSummary]) -> list[Check]:
    out = []
    want = data.RULES["certificate_signature"]["oid"]
    parsed = [(i, c) for i, c in enumerate(certs) if c.parsed]
    others = [f"[{i}] {c.signature_algorithm.name or c.signature_algorithm.oid}"
              for i, c in parsed if c.signature_algorithm is not None
              and c.signature_algorithm.oid != want]
    if others:
        out.append(_check("chain-signature-algorithm", "certificate_signature", "certificates",
                          _broken("certificate_signature"), "other", found="; ".join(others)))
    else:
        out.append(_check("chain-signature-algorithm", "certificate_signature", "certificates",
                          "pass", "ok"))
    curves = {c.public_key.curve or c.public_key.type for _, c in parsed
              if c.public_key is not None}
    if len(curves) <= 1:
        out.append(_check("chain-same-curve", "cert_public_key", "certificates", "pass", "ok",
                          curve=", ".join(sorted(curves)) or "-"))
    else:
        out.append(_check("chain-same-curve", "cert_public_key", "certificates",
                          _broken("cert_public_key"), "mixed", curves=", ".join(sorted(curves))))
    return out


def _validity_checks(certs: Sequence[CertSummary], at: _dt.datetime) -> list[Check]:
    out = []
    when = f"{at:%Y-%m-%d %H:%M:%S} UTC"
    for i, c in enumerate(certs):
        s = f"certificates[{i}]"
        subject = c.subject or "?"
        if c.not_before is None or c.not_after is None:
            out.append(_check("cert-validity", "validity", s, "not_observable", "unknown",
                              cert=subject))
        elif c.not_after < at:
            out.append(_check("cert-validity", "validity", s, _broken("validity"), "expired",
                              cert=subject, not_after=f"{c.not_after:%Y-%m-%d %H:%M:%S} UTC",
                              at=when))
        elif c.not_before > at:
            out.append(_check("cert-validity", "validity", s, _broken("validity"),
                              "not_yet_valid", cert=subject,
                              not_before=f"{c.not_before:%Y-%m-%d %H:%M:%S} UTC", at=when))
        else:
            out.append(_check("cert-validity", "validity", s, "pass", "valid", cert=subject,
                              not_after=f"{c.not_after:%Y-%m-%d}"))
    return out


def _link(child: CertSummary, parent: CertSummary) -> bool | None:
    if child.cert is None or parent.cert is None:
        return None
    try:
        key = parent.cert.public_key()
    except Exception:  # noqa: BLE001 - an unreadable key leaves the link unchecked
        return None
    return verify_signed_by(child.cert, key)


def _chain_signature_checks(certs: Sequence[CertSummary], ci: CiMatch | None) -> list[Check]:
    """Each certificate is signed by the next one; the top by itself (a root) or, when the
    root was not sent, by the CI whose key id its AKI names."""
    rule = "chain_signatures"
    if not certs:
        return [_check("chain-signatures", rule, "certificates", "not_observable", "empty")]
    results: list[tuple[int, bool | None]] = []
    for i in range(len(certs) - 1):
        results.append((i, _link(certs[i], certs[i + 1])))
    top = len(certs) - 1
    last = certs[top]
    if last.self_signed:
        results.append((top, last.self_signature_valid))
    elif ci is not None and ci.index == top and ci.via in ("aki", "issuer-name") \
            and ci.match != "claimed":
        results.append((top, ci.match == "verified"))
    bad = [i for i, ok in results if ok is False]
    unknown = [i for i, ok in results if ok is None]
    if bad:
        return [_check("chain-signatures", rule, "certificates", _broken(rule), "broken",
                       certs=", ".join(f"[{i}]" for i in bad))]
    if unknown or not results:
        return [_check("chain-signatures", rule, "certificates", "not_observable", "unchecked",
                       certs=", ".join(f"[{i}]" for i in unknown) or "-")]
    return [_check("chain-signatures", rule, "certificates", "pass", "ok", n=len(results))]


def _ci_checks(ci: CiMatch | None) -> list[Check]:
    if ci is None:
        return [_check("ci-genuine", "ci_genuine", "certificates", "not_observable", "none"),
                _check("chain-gsma-ci", "anchor", "certificates", _broken("anchor"), "none")]
    s = f"certificates[{ci.index}]"
    info = ci.ci
    params = {"ci": info.name, "key_id": info.key_id}
    if ci.match == "mismatch":
        genuine = _check("ci-genuine", "ci_genuine", s, _broken("ci_genuine"), "impostor",
                         own=ci.own_key_id or "?", **params)
    elif ci.match == "verified":
        genuine = _check("ci-genuine", "ci_genuine", s, "pass", "verified_" + ci.via.replace(
            "-", "_"), **params)
    else:
        genuine = _check("ci-genuine", "ci_genuine", s, "not_observable", "claimed", **params)
    if ci.match == "mismatch":
        anchor = _check("chain-gsma-ci", "anchor", s, _broken("anchor"), "impostor", **params)
    elif info.kind == "gsma-production" and ci.match == "verified":
        anchor = _check("chain-gsma-ci", "anchor", s, "pass", "production", **params)
    elif info.kind == "gsma-production":
        anchor = _check("chain-gsma-ci", "anchor", s, _broken("anchor"), "unverified",
                        **params)
    elif info.kind == "gsma-test":
        anchor = _check("chain-gsma-ci", "anchor", s, _broken("anchor"), "test", **params)
    else:
        anchor = _check("chain-gsma-ci", "anchor", s, _broken("anchor"), "not_gsma",
                        **params)
    return [genuine, anchor]


def certificate_checks(certs: Sequence[CertSummary], role: str, at: _dt.datetime,
                       ci: CiMatch | None = None) -> list[Check]:
    """The certificate-profile and chain checks of a server chain (as sent) at time ``at``.

    Public so a single certificate (e.g. an SGP.26 CERT.DP.TLS) can be checked alone.
    """
    if ci is None:
        ci = match_ci(certs)
    out: list[Check] = []
    if certs and certs[0].parsed:
        out += _leaf_checks(certs[0], role)
    out += _chain_shape_checks(certs)
    out += _validity_checks(certs, at)
    out += _chain_signature_checks(certs, ci)
    out += _ci_checks(ci)
    return out


# ---------------------------------------------------------------------------------------
# Recognition, vendor, the profile
# ---------------------------------------------------------------------------------------

def _http_signal(c: TlsConnection) -> str | None:
    """es9plus-path / es11-path from the first decrypted client bytes, when decrypted."""
    dec = c.decryption
    if not isinstance(dec, dict):
        return None
    app = dec.get("application_data")
    client = app.get("client") if isinstance(app, dict) else None
    text = client.get("first_text") if isinstance(client, dict) else None
    if not isinstance(text, str):
        return None
    method, _, rest = text.partition(" ")
    if method != "POST":
        return None
    if rest.startswith(data.PATHS["es9plus"]):
        return "es9plus-path"
    if rest.startswith(data.PATHS["es11"]):
        return "es11-path"
    return None


def _vendor(sni_rule: dict[str, Any] | None, sni: str | None,
            leaf: CertSummary | None) -> Vendor | None:
    evidence: list[tuple[str, Params]] = []
    chosen: dict[str, Any] | None = None
    if sni_rule is not None:
        chosen = sni_rule
        evidence.append(("esim.ev.host", (("host", sni), ("rule", _rule_text(sni_rule)),
                                          ("hosts", sni_rule["hosts"]),
                                          ("confidence",
                                           (f"esim.confidence.{sni_rule['confidence']}",)))))
    elif leaf is not None:
        for dns in _san(leaf, "dNSName"):
            rule = host_rule(dns)
            if rule is not None:
                chosen = rule
                evidence.append(("esim.ev.cert_host", (("host", dns),
                                                       ("rule", _rule_text(rule)))))
                break
    for rid in (_san(leaf, "registeredID") if leaf is not None else []):
        ov = oid_vendor(rid)
        if ov is None:
            continue
        if chosen is None:
            chosen = {"vendor": ov["vendor"], "formerly": ov["formerly"], "product": None}
        key = "esim.ev.oid" if ov["vendor"] == chosen["vendor"] else "esim.ev.oid_other"
        evidence.append((key, (("oid", rid), ("prefix", ov["prefix"]),
                               ("orgs", ", ".join(ov["organisations"][:3])),
                               ("vendor", ov["vendor"]))))
        break
    if chosen is None:
        return None
    return Vendor(chosen["vendor"], chosen.get("formerly"), chosen.get("product"),
                  tuple(evidence))


def _rule_text(rule: dict[str, Any]) -> str:
    return rule["match"] if rule["exact"] else "*" + rule["match"]


def recognize(c: TlsConnection) -> tuple[tuple[str, ...], dict[str, Any] | None,
                                         CiMatch | None]:
    """(signals, SNI host rule, CI match); no signals: not eSIM."""
    signals = set()
    rule = host_rule(c.server_name)
    if rule is not None:
        signals.add("sni-rule")
    ci = match_ci(c.certificates)
    if ci is not None:
        signals.add(ci.signal)
    if any(p.startswith(_RSP_ROLE_ARC) for cert in c.certificates if cert.parsed
           for p in _policies(cert)):
        signals.add("policy-oid")
    http = _http_signal(c)
    if http is not None:
        signals.add(http)
    return tuple(s for s in SIGNALS if s in signals), rule, ci


def profile(c: TlsConnection) -> EsimProfile | None:
    """The eSIM profile of a connection, or None when nothing says it is eSIM."""
    signals, rule, ci = recognize(c)
    if not signals:
        return None
    leaf = c.certificates[0] if c.certificates and c.certificates[0].parsed else None
    role = "SM-DP+"
    if (rule is not None and rule["role"] == "SM-DS") or "es11-path" in signals or (
            leaf is not None and any(p in _TLS_POLICIES["SM-DS"] for p in _policies(leaf))):
        role = "SM-DS"
    at = _dt.datetime.fromtimestamp(c.start_ns / 1e9, _dt.UTC)
    checks: list[Check] = []
    for fn in HANDSHAKE_CHECKS:
        checks += fn(c)
    if c.certificates:
        checks += certificate_checks(c.certificates, role, at, ci)
    else:
        checks.append(_check("chain-gsma-ci", "anchor", "certificates", "not_observable",
                             "no_certificates"))
    return EsimProfile(role, signals, _vendor(rule, c.server_name, leaf), ci, tuple(checks))


def findings(p: EsimProfile) -> tuple[Finding, ...]:
    """The findings the profile adds: ``ci-impostor`` when a CI's name or key id lies."""
    if p.ci is None or p.ci.match != "mismatch":
        return ()
    ci = p.ci
    params = (("ci", ci.ci.name), ("key_id", ci.ci.key_id), ("index", ci.index))
    t = _translator("en")
    return (Finding("ci-impostor", "high", t("finding.ci-impostor.title", **dict(params)),
                    t("finding.ci-impostor.detail", **dict(params)), params),)


def esim_for(c: TlsConnection) -> tuple[EsimReport | None, tuple[Finding, ...]]:
    """The build step: the connection's ``esim`` value and the findings it adds."""
    p = profile(c)
    if p is None:
        return None, ()
    return EsimReport(p), findings(p)


# ---------------------------------------------------------------------------------------
# Rendering (the contract's dict, in one language)
# ---------------------------------------------------------------------------------------

def _translator(lang: str) -> Callable[..., str]:
    """Catalogue lookup for ``lang`` (English for any key the language lacks)."""
    from tlslens.report import i18n

    en = i18n.ALL["en"]
    cat = i18n.ALL.get(lang, en)

    def tr(key: str, /, **kwargs: Any) -> str:
        template = cat.get(key) or en[key]
        # a one-element tuple holds a catalogue key: a word to translate, not a value
        words = {k: tr(v[0]) if isinstance(v, tuple) and len(v) == 1 else v
                 for k, v in kwargs.items()}
        return template.format(**words) if kwargs else template

    return tr


def vendor_detail(v: Vendor, lang: str) -> str | None:
    t = _translator(lang)
    parts = []
    if v.formerly:
        parts.append(t("esim.vendor.formerly", name=v.formerly))
    if v.product:
        parts.append(v.product)
    return t("esim.list_sep").join(parts) or None


def esim_dict(p: EsimProfile, lang: str = "en") -> dict[str, Any]:
    """The report contract's ``esim`` object, its words in ``lang``."""
    t = _translator(lang)
    vendor = None
    if p.vendor is not None:
        vendor = {"name": p.vendor.name, "detail": vendor_detail(p.vendor, lang),
                  "evidence": [t(k, **dict(params)) for k, params in p.vendor.evidence]}
    ci = None
    if p.ci is not None:
        ci = {"name": p.ci.ci.name, "key_id": p.ci.ci.key_id,
              "production": p.ci.ci.production, "match": p.ci.match}
    return {
        "role_client": ROLE_CLIENT, "role_server": p.role_server,
        "recognized_by": list(p.recognized_by), "vendor": vendor, "ci": ci,
        "checks": [{"id": k.id, "rule": t(f"esim.rule.{k.id}"), "subject": k.subject,
                    "result": k.result, "reason": t(k.reason, **dict(k.params)),
                    "sources": [f"{s}: {data.SOURCES[s]}" if s in data.SOURCES else s
                                for s in k.sources],
                    "confidence": k.confidence} for k in p.checks],
    }


def localized(esim: dict[str, Any] | None, lang: str) -> dict[str, Any] | None:
    """``conn.esim`` rendered in ``lang`` (as is when it carries no profile)."""
    if isinstance(esim, EsimReport):
        return esim_dict(esim.profile, lang)
    return esim
