"""Make wire text safe to show: no terminal escapes, no markup.

Anything that came off the wire (SNI, ALPN, certificate names, decrypted text) may be
hostile. Control characters (C0, DEL, C1) and the Unicode bidi/format controls that can
reorder a line are replaced by visible ``\\xNN``/``\\u{NNNN}`` escapes before any text
reaches a terminal, a file or an HTML page (HTML escaping is the template engine's job).
"""

from __future__ import annotations

import re
import unicodedata

_UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def _escape(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{{{code:04x}}}"


def safe_text(value: object) -> str:
    """``str(value)`` with every control or reordering character made visible."""
    text = str(value)
    if _UNSAFE.search(text) is None and text.isprintable():
        return text
    text = _UNSAFE.sub(_escape, text)
    return "".join(ch if ch.isprintable() or ch == " " or unicodedata.category(ch)[0] != "C"
                   else f"\\u{{{ord(ch):04x}}}" for ch in text)
