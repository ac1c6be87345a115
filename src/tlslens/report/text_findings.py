"""The text report's findings section (one function, so its owner can grow it alone)."""

from __future__ import annotations

from typing import Any

from tlslens.analysis.model import TlsConnection
from tlslens.report.i18n import Translator


def findings_section(w: Any, c: TlsConnection, t: Translator) -> None:
    if not c.findings:
        return
    w.line((t("conn.findings"), "bold"), indent=2)
    for f in c.findings:
        w.line((f"[{f.severity}] {f.id}", "yellow"), f": {f.title}. {f.detail}", indent=4)
