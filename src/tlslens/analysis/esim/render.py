"""Rendering (the contract's dict, in one language)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tlslens.analysis.esim.values import ROLE_CLIENT, EsimProfile, Vendor
from tlslens.registry import esim_data as data


class EsimReport(dict):  # type: ignore[type-arg]
    """The contract's ``esim`` dict (English), carrying its profile for other languages."""

    __slots__ = ("profile",)

    def __init__(self, profile: EsimProfile, lang: str = "en") -> None:
        super().__init__(esim_dict(profile, lang))
        self.profile = profile

    def __reduce__(self) -> tuple[Any, ...]:  # pickles for process pools
        return (EsimReport, (self.profile,))


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
