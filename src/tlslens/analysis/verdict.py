"""The overall verdict of a connection: one word and a one-line summary (the "conclusion").

The level answers "is this connection safe?": ``failed`` when the handshake failed, else
the worst of the negotiated suite's class and the findings' severities. Certificate
problems count because a validating client would have refused the connection: the
seed's strong suite (ECDHE, AES-256-GCM) does not make up for an expired intermediate.

The summary is a list of catalogue keys with params (``Verdict.parts``), rendered in the
report language by report/messages/findings.py; it names what was negotiated, what the
suite gives (forward secrecy, AEAD) and the high and critical findings.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tlslens.analysis.model import Finding, Term, TlsConnection, Verdict
from tlslens.registry import name, version_name
from tlslens.registry.ciphers import components

LEVELS = ("good", "acceptable", "weak", "insecure")
#: What a finding of each severity does to the level (at least this bad).
SEVERITY_LEVEL = {"critical": "insecure", "high": "weak", "medium": "acceptable",
                  "low": "good", "info": "good"}
#: ciphersuite.info's class of the chosen suite -> the level it allows at best.
SUITE_LEVEL = {"recommended": "good", "secure": "good", "weak": "acceptable",
               "insecure": "insecure"}

Part = tuple[str, tuple[tuple[str, Any], ...]]


def worse(a: str, b: str) -> str:
    return a if LEVELS.index(a) >= LEVELS.index(b) else b


def _suite_part(cipher_suite: int) -> Part | None:
    comp = components(cipher_suite)
    if comp is None or comp.kind != "cipher_suite":
        return None
    if comp.fs and comp.aead:
        return ("verdict.suite_strong", ())
    if comp.fs:
        return ("verdict.suite_fs_no_aead", ())
    if comp.aead:
        return ("verdict.suite_aead_no_fs", ())
    return ("verdict.suite_neither", ())


def judge(c: TlsConnection, findings: Sequence[Finding]) -> Verdict:
    """The verdict from the connection's state, suite and findings."""
    if c.state == "failed":
        failed = next((f for f in findings if f.id == "handshake-failed"), None)
        parts: list[Part] = [("verdict.failed", ())]
        if failed is not None:
            parts.append(("finding.handshake-failed.detail", failed.params))
        return Verdict("failed", "the handshake failed", tuple(parts))
    if c.cipher_suite is None:
        return Verdict("acceptable", "not judged", (("verdict.not_judged", ()),))
    level = "good"
    comp = components(c.cipher_suite)
    if comp is not None and comp.security:
        level = SUITE_LEVEL.get(comp.security, "acceptable")
    for f in findings:
        level = worse(level, SEVERITY_LEVEL.get(f.severity, "good"))
    suite = name("cipher_suites", c.cipher_suite) or f"0x{c.cipher_suite:04x}"
    version = version_name(c.version) if c.version is not None else None
    parts = [("verdict.negotiated", (("version", version or Term("unknown")),
                                     ("suite", suite)))]
    suite_part = _suite_part(c.cipher_suite)
    if suite_part is not None:
        parts.append(suite_part)
    serious = [f for f in findings if f.severity in ("critical", "high")]
    if serious:
        parts.append(("verdict.but", ()))
        parts.extend((f"finding.{f.id}.title", f.params) for f in serious)
    if c.state == "incomplete":
        parts.append(("verdict.incomplete", ()))
    english = f"{version or 'unknown version'} with {suite}"
    return Verdict(level, english, tuple(parts))
