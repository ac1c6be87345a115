"""Report string catalogues, one module per area, each with ``EN`` and ``ZH`` dicts.

Areas: core (text report), findings, esim, html, decryption, ... A module may be added by
the work that needs it; :mod:`tlslens.report.i18n` merges every area listed in AREAS.
"""

AREAS = ("core", "findings", "esim", "html", "decryption", "diff", "capture")
