"""The text report's findings section: each finding's severity, id, title and detail.

Titles and details are rendered from the catalogue in the report's language
(report/messages/findings.py); the id stays as is, since it is the stable name scripts and
docs/findings.md use.
"""

from __future__ import annotations

from typing import Any

from tlslens.analysis.model import TlsConnection
from tlslens.report.i18n import Translator
from tlslens.report.messages.findings import finding_text

_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan",
          "info": "dim"}


def findings_section(w: Any, c: TlsConnection, t: Translator) -> None:
    if not c.findings:
        return
    w.line((t("conn.findings"), "bold"), indent=2)
    for f in c.findings:
        title, detail = finding_text(f, t)
        w.line((f"[{t('severity.' + f.severity)}] ", _STYLE.get(f.severity, "yellow")),
               (f.id, "bold"), f": {title}", indent=4)
        if detail:
            w.line(detail, indent=8)
