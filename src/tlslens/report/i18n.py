"""Every string a report shows, from one message catalogue per language.

Reports never build sentences inline: they call a :class:`Translator` with a key. The
catalogue of a language is merged from the area modules of :mod:`tlslens.report.messages`
(each has ``EN`` and ``ZH`` dicts). A language is offered only when it has every key
English has, and a test fails when one is missing, so no report mixes languages.
"""

from __future__ import annotations

import functools
import importlib
import locale
import os

from tlslens.report.messages import AREAS

LANGS = ("en", "zh")


def _load() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {lang: {} for lang in LANGS}
    for area in AREAS:
        try:
            mod = importlib.import_module(f"tlslens.report.messages.{area}")
        except ModuleNotFoundError:
            continue
        for lang in LANGS:
            merged[lang].update(getattr(mod, lang.upper(), {}))
    return merged


ALL: dict[str, dict[str, str]] = _load()
#: Languages whose catalogue is complete (every English key present).
CATALOGUES: dict[str, dict[str, str]] = {
    lang: cat for lang, cat in ALL.items() if lang == "en" or set(ALL["en"]) <= set(cat)}


def missing_keys(lang: str) -> set[str]:
    """English keys the ``lang`` catalogue lacks (the catalogue test asserts none)."""
    return set(ALL["en"]) - set(ALL.get(lang, {}))


def default_lang() -> str:
    """The report language from the environment's locale (LC_ALL, LC_MESSAGES, LANG)."""
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(var)
        if value:
            return "zh" if value.lower().startswith("zh") and "zh" in CATALOGUES else "en"
    loc = locale.getlocale()[0] or ""
    return "zh" if loc.lower().startswith("zh") and "zh" in CATALOGUES else "en"


class Translator:
    """``tr("key", name=value)`` in one language."""

    def __init__(self, lang: str = "en") -> None:
        if lang not in CATALOGUES:
            raise ValueError(f"unknown or incomplete language {lang!r} "
                             f"(have: {', '.join(CATALOGUES)})")
        self.lang = lang
        self.catalogue = CATALOGUES[lang]

    def __call__(self, key: str, **kwargs: object) -> str:
        template = self.catalogue[key]
        return template.format(**kwargs) if kwargs else template


@functools.lru_cache(maxsize=16)
def translator(lang: str = "en") -> Translator:
    """The shared :class:`Translator` of ``lang`` (a report renders each connection
    with one; it holds nothing but the language and its catalogue)."""
    return Translator(lang)
