"""The text report's decryption section: status, why not, Finished checks, and the first
plaintext bytes of each direction (made safe: decrypted bytes are hostile wire text)."""

from __future__ import annotations

from typing import Any

from tlslens.analysis.model import TlsConnection
from tlslens.report.i18n import Translator

_STATUS_STYLE = {"decrypted": "green", "partial": "yellow", "wrong_key": "bold red"}


def decryption_section(w: Any, c: TlsConnection, t: Translator) -> None:
    d = c.decryption
    if not d:
        return
    w.line((t("dec.title"), "bold"), indent=2)
    status = d.get("status", "")
    w.line((t("dec.status", status=t(f"dec.status.{status}")),
            _STATUS_STYLE.get(status, "yellow")), indent=4)
    reason_id = d.get("reason_id")
    if reason_id:
        reason = t(f"dec.reason.{reason_id}", **(d.get("reason_args") or {}))
        w.line(t("dec.reason", reason=reason), indent=4)
    if d.get("key_source"):
        w.line(t("dec.key_source", source=t(f"dec.source.{d['key_source']}")), indent=4)
    rec = d.get("records") or {}
    w.line(t("dec.records", ok=rec.get("ok", 0), failed=rec.get("failed", 0)), indent=4)

    def check(v: bool | None) -> str:
        return t("dec.unchecked") if v is None else t("dec.valid") if v else t("dec.invalid")

    w.line(t("dec.finished", client=check(d.get("client_finished_valid")),
             server=check(d.get("server_finished_valid"))), indent=4)
    early = d.get("early_data")
    if early:
        w.line(t("dec.early", bytes=early["bytes"]), indent=4)
        w.line(t("dec.first", text=early["first_text"]), indent=6)
    for direction in ("client", "server"):
        app = (d.get("application_data") or {}).get(direction) or {}
        if not app.get("bytes"):
            continue
        w.line(t("dec.app", direction=t(f"dir.{direction}"), bytes=app["bytes"]), indent=4)
        w.line(t("dec.first", text=app["first_text"]), indent=6)
