"""Every string a report shows, from one message catalogue per language.

Reports never build sentences inline: they call :func:`t` with a key. A language is a
dict of key -> ``str.format`` template; a test fails when a catalogue lacks a key that
English has, so no report ever mixes languages.
"""

from __future__ import annotations

import locale
import os

from tlslens.report.catalog_en import MESSAGES as EN

CATALOGUES: dict[str, dict[str, str]] = {"en": EN}


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
            raise ValueError(f"unknown language {lang!r} (have: {', '.join(CATALOGUES)})")
        self.lang = lang
        self.catalogue = CATALOGUES[lang]

    def __call__(self, key: str, **kwargs: object) -> str:
        template = self.catalogue.get(key)
        if template is None:
            template = EN[key]
        return template.format(**kwargs) if kwargs else template
