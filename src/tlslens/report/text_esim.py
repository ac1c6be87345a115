"""The text report's eSIM section (LPA <-> SM-DP+/SM-DS), from the eSIM profile.

Shown only for a connection the profile recognised (``conn.esim`` set): who the server
belongs to and why, the Certificate Issuer the chain leads to and how sure that is, then
every SGP.22 check with its result, reason, confidence and sources, in the report
language. Wire strings inside reasons go through the writer's ``safe_text``.
"""

from __future__ import annotations

from typing import Any

from tlslens.analysis.esim import EsimReport, localized
from tlslens.analysis.model import TlsConnection
from tlslens.report.i18n import Translator

_RESULT_STYLE = {"pass": "green", "fail": "bold red", "warn": "yellow",
                 "not_observable": "dim"}
_MATCH_STYLE = {"verified": "green", "claimed": "yellow", "mismatch": "bold red"}


def esim_roles(c: TlsConnection) -> tuple[str, str] | None:
    """(client role, server role) when the connection is eSIM provisioning, else None."""
    if not c.esim:
        return None
    return str(c.esim.get("role_client", "LPA")), str(c.esim.get("role_server", "SM-DP+"))


def esim_section(w: Any, c: TlsConnection, t: Translator) -> None:
    esim = localized(c.esim, t.lang)
    if not esim:
        return
    w.line((t("esim.heading", client=esim["role_client"], server=esim["role_server"]),
            "bold"), indent=2)
    signals = t("esim.list_sep").join(t(f"esim.by.{s}") for s in esim["recognized_by"])
    w.line(t("esim.recognized", signals=signals), indent=4)
    _vendor(w, esim.get("vendor"), t)
    _ci(w, c, esim.get("ci"), t)
    _checks(w, esim.get("checks") or [], t)


def _vendor(w: Any, vendor: dict[str, Any] | None, t: Translator) -> None:
    if vendor is None:
        w.line(t("esim.vendor.unknown"), indent=4)
        return
    label = t("esim.vendor.label", name=vendor["name"], detail=vendor["detail"]) \
        if vendor.get("detail") else vendor["name"]
    w.line((t("esim.vendor", name=label), "bold"), indent=4)
    for ev in vendor.get("evidence", []):
        w.line(f"- {ev}", indent=6)


def _ci(w: Any, c: TlsConnection, ci: dict[str, Any] | None, t: Translator) -> None:
    if ci is None:
        w.line(t("esim.ci.none"), indent=4)
        return
    kind = None
    if isinstance(c.esim, EsimReport) and c.esim.profile.ci is not None:
        kind = c.esim.profile.ci.ci.kind
    label = t(f"esim.ci.kind.{kind}") if kind else \
        t("esim.ci.production" if ci["production"] else "esim.ci.test")
    w.line((t("esim.ci", name=ci["name"], key_id=ci["key_id"], kind=label), "bold"),
           indent=4)
    w.line((t(f"esim.match.{ci['match']}"), _MATCH_STYLE.get(ci["match"], "bold")), indent=6)


def _checks(w: Any, checks: list[dict[str, Any]], t: Translator) -> None:
    counts = {r: sum(1 for k in checks if k["result"] == r) for r in _RESULT_STYLE}
    w.line((t("esim.checks", passed=counts["pass"], failed=counts["fail"],
              warned=counts["warn"], unobserved=counts["not_observable"]), "bold"), indent=4)
    for k in checks:
        result = k["result"]
        where = f" ({k['subject']})" if k.get("subject") else ""
        tag = (f"[{t('esim.result.' + result)}]", _RESULT_STYLE.get(result, "bold"))
        if result == "pass":  # one line: what holds and why
            w.line(tag, f" {k['id']}{where}: {k['rule']}: {k['reason']}", indent=6)
            continue
        w.line(tag, f" {k['id']}{where}: ", (k["rule"], "bold"), indent=6)
        w.line(k["reason"], indent=10)
        sources = ", ".join(s.split(": ", 1)[0] for s in k.get("sources", []))
        w.line((t("esim.check.meta", confidence=t(f"esim.confidence.{k['confidence']}"),
                  sources=sources), "dim"), indent=10)
