"""Recognition, vendor, the profile: whether a connection is eSIM and what it says."""

from __future__ import annotations

import datetime as _dt
from typing import Any

from tlslens.analysis.esim.cert_checks import certificate_checks
from tlslens.analysis.esim.certfields import _policies, _san
from tlslens.analysis.esim.checks import HANDSHAKE_CHECKS, _check
from tlslens.analysis.esim.ci import match_ci
from tlslens.analysis.esim.lookup import _TLS_POLICIES, host_rule, oid_vendor
from tlslens.analysis.esim.render import EsimReport, _translator
from tlslens.analysis.esim.values import (
    _RSP_ROLE_ARC,
    SIGNALS,
    Check,
    CiMatch,
    EsimProfile,
    Params,
    Vendor,
)
from tlslens.analysis.model import Finding, TlsConnection
from tlslens.registry import esim_data as data
from tlslens.x509.certs import CertSummary


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
