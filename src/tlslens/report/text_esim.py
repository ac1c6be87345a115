"""The text report's eSIM section (LPA <-> SM-DP+): filled by the eSIM profile."""

from __future__ import annotations

from typing import Any

from tlslens.analysis.model import TlsConnection
from tlslens.report.i18n import Translator


def esim_section(w: Any, c: TlsConnection, t: Translator) -> None:
    if not c.esim:
        return
