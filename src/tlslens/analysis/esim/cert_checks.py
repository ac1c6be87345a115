"""Checks: the certificate profile (CERT.DP.TLS / CERT.DS.TLS) and the chain."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence

from tlslens.analysis.esim.certfields import _aki, _ext, _policies, _san, _ski
from tlslens.analysis.esim.checks import _broken, _check
from tlslens.analysis.esim.ci import match_ci
from tlslens.analysis.esim.lookup import _TLS_POLICIES
from tlslens.analysis.esim.values import (
    _EC_CURVES,
    _RSP_ROLE_ARC,
    _SERVER_AUTH,
    Check,
    CiMatch,
)
from tlslens.analysis.memo import IdentityCache
from tlslens.registry import esim_data as data
from tlslens.x509.certs import CertSummary, verify_signed_by


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


#: Link signatures by (child, parent) objects: an eSIM capture sends the same chains
#: again and again, and identical certificates are verified once.
_LINKS: IdentityCache[tuple[bool | None]] = IdentityCache(512)


def _link(child: CertSummary, parent: CertSummary) -> bool | None:
    """Does ``parent``'s key verify ``child``'s signature? None when it cannot tell."""
    key = IdentityCache.key((child, parent))
    hit = _LINKS.get(key)
    if hit is None:
        hit = _LINKS.put(key, (child, parent), (_verify_link(child, parent),))
    return hit[0]


def _verify_link(child: CertSummary, parent: CertSummary) -> bool | None:
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
