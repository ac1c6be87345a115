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


#: What JSON may carry raw (RFC 8259 escapes only C0) but a terminal must not see when the
#: report is printed: C1 controls, bidi and invisible format characters, line separators.
_JSON_UNSAFE = re.compile(r"[\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


def json_safe(text: str) -> str:
    """A serialised JSON document with those characters as ``\\uXXXX`` escapes.

    They can only occur inside JSON strings (the syntax is ASCII), so the document
    decodes to exactly the same values; it is only safe to ``cat`` as well."""
    # Fast path: in ASCII text only DEL can be unsafe (JSON already escapes C0).
    if (text.isascii() and "\x7f" not in text) or _JSON_UNSAFE.search(text) is None:
        return text
    return _JSON_UNSAFE.sub(lambda mt: f"\\u{ord(mt.group()):04x}", text)


def json_safe_bytes(raw: bytes) -> bytes:
    """:func:`json_safe` of a UTF-8 serialised document, as UTF-8 bytes. The common
    case, ASCII without DEL, is checked on the bytes and returns them unchanged."""
    if raw.isascii() and b"\x7f" not in raw:
        return raw
    return json_safe(raw.decode("utf-8")).encode("utf-8")


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
