"""The overall verdict of a connection and the basic findings behind it.

The verdict answers "is this connection safe?" in one word: ``failed`` when the handshake
failed, else the worst of what was negotiated (protocol version, cipher suite class) and
of the certificate dates judged at the capture's time (never "now").
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any

from tlslens.analysis.model import Finding, Verdict
from tlslens.registry import name, version_name
from tlslens.registry.ciphers import components

_ORDER = ["good", "acceptable", "weak", "insecure"]


def _worse(a: str, b: str) -> str:
    return a if _ORDER.index(a) >= _ORDER.index(b) else b


def basic_findings(version: int | None, cipher_suite: int | None,
                   certificates: Sequence[Any], at_ns: int) -> list[Finding]:
    """Findings every report needs: version, suite and certificate dates."""
    out: list[Finding] = []
    vname = version_name(version) if version is not None else None
    if version is not None and version in (0x0002, 0x0300):
        out.append(Finding("obsolete-protocol", "critical", f"{vname} negotiated",
                           f"{vname} is broken (RFC 6176, RFC 7568) and must not be used."))
    elif version is not None and version in (0x0301, 0x0302):
        out.append(Finding("deprecated-protocol", "high", f"{vname} negotiated",
                           f"{vname} is deprecated by RFC 8996; use TLS 1.2 or 1.3."))
    comp = components(cipher_suite) if cipher_suite is not None else None
    if comp is not None and comp.kind == "cipher_suite":
        suite = comp.name
        if comp.security == "insecure":
            out.append(Finding("insecure-cipher-suite", "high", f"insecure suite {suite}",
                               "; ".join(comp.security_basis) or "rated insecure"))
        elif comp.security == "weak":
            out.append(Finding("weak-cipher-suite", "medium", f"weak suite {suite}",
                               "; ".join(comp.security_basis) or "rated weak"))
        if comp.fs is False:
            out.append(Finding("no-forward-secrecy", "medium", "no forward secrecy",
                               f"{suite} uses {comp.kx} key exchange: recorded traffic can be "
                               "decrypted later with the server's private key."))
    at = _dt.datetime.fromtimestamp(at_ns / 1e9, _dt.timezone.utc)
    for i, cert in enumerate(certificates):
        if cert.not_after is not None and cert.not_after < at:
            out.append(Finding("cert-expired", "high", f"certificate {i} expired",
                               f"{cert.subject} expired on {cert.not_after:%Y-%m-%d}, before "
                               f"the capture ({at:%Y-%m-%d})."))
        if cert.not_before is not None and cert.not_before > at:
            out.append(Finding("cert-not-yet-valid", "high", f"certificate {i} not yet valid",
                               f"{cert.subject} is valid only from {cert.not_before:%Y-%m-%d}"
                               f", after the capture ({at:%Y-%m-%d})."))
    return out


_SEVERITY_LEVEL = {"critical": "insecure", "high": "weak", "medium": "acceptable",
                   "low": "good", "info": "good"}


def judge(state: str, version: int | None, cipher_suite: int | None,
          findings: Sequence[Finding], failure: str | None = None) -> Verdict:
    if state == "failed":
        return Verdict("failed", failure or "the handshake failed")
    if cipher_suite is None:
        return Verdict("acceptable", "not judged: the capture does not show what the server "
                                     "chose")
    level = "good"
    comp = components(cipher_suite)
    if comp is not None and comp.security:
        level = {"recommended": "good", "secure": "acceptable", "weak": "weak",
                 "insecure": "insecure"}.get(comp.security, "acceptable")
    for f in findings:
        level = _worse(level, _SEVERITY_LEVEL[f.severity])
    suite = name("cipher_suites", cipher_suite) or f"0x{cipher_suite:04x}"
    parts = [f"{version_name(version) or 'unknown version'} with {suite}"]
    worst = [f.title for f in findings if f.severity in ("critical", "high")]
    if worst:
        parts.append("; ".join(worst))
    if state == "incomplete":
        parts.append("handshake not seen to completion")
    return Verdict(level, "; ".join(parts))
