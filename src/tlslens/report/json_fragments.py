"""Pre-encoded pieces of the compact JSON report, remembered across connections.

Why: most of a connection's report is made of values that every connection of a capture
repeats: the same extension bodies, cipher-suite and group lists, certificates. Building
their dicts and encoding them again for each connection was about half the cost of an
NDJSON line. Each such piece is encoded once (orjson, sorted keys, compact) and kept as an
``orjson.Fragment``, which orjson then copies into the line as it is.

Only for compact output: a fragment is written verbatim, so an indented document would
not be indented inside it. The bytes are the same as encoding the plain dicts
(``tests/unit/report/test_json_fragments.py`` compares both on every fixture and corpus
connection). A piece orjson cannot encode alone (a key that is not a string, an integer
beyond 64 bits) stays a plain value, and the caller's fallback encoder sees it as before.

The caches are bounded (cleared when full): a hostile capture of all-different values
costs at most one encoding each, as without them.
"""

from __future__ import annotations

from typing import Any

import orjson

from tlslens.tls import messages as m
from tlslens.tls.extensions import recurring_body

#: Entries per cache before it is cleared.
CACHE_MAX = 4096
_EXTENSIONS: dict[int, tuple[Any, Any]] = {}
_LISTS: dict[tuple[str, tuple[int, ...]], Any] = {}
_CERTIFICATES: dict[int, tuple[Any, Any]] = {}
_OBJECTS: dict[int, tuple[Any, Any]] = {}


def fragment(value: Any) -> Any:
    """``value`` encoded once as a fragment, or ``value`` itself when orjson refuses it
    alone (the whole document's encoder then handles it, as for a plain dict)."""
    try:
        return orjson.Fragment(orjson.dumps(value, option=orjson.OPT_SORT_KEYS))
    except TypeError:
        return value


def _remember(cache: dict[Any, Any], key: Any, value: Any) -> Any:
    if len(cache) >= CACHE_MAX:
        cache.clear()
    cache[key] = value
    return value


def extension(ext: m.Extension, make: Any) -> Any:
    """The report form of ``ext`` (``make(ext)`` builds the dict), as a fragment shared by
    the hellos that sent it. The decoder hands out one ``Extension`` object per recurring
    body and context (:func:`tlslens.tls.extensions.recurring_body`; the context matters:
    a ServerHello's ALPN decodes to a string, a ClientHello's to a list), so the object
    is the key, kept in the entry as for :func:`certificate`. Bodies that differ in every
    hello (key shares, binders, tickets) are made afresh and not remembered."""
    hit = _EXTENSIONS.get(id(ext))
    if hit is not None and hit[0] is ext:
        return hit[1]
    if not recurring_body(ext.code, ext.raw):
        return make(ext)
    value = fragment(make(ext))
    _remember(_EXTENSIONS, id(ext), (ext, value))
    return value


def extensions(exts: tuple[m.Extension, ...], make: Any) -> list[Any]:
    """:func:`extension` of each of a message's extensions, the hits taken in this one
    loop (a hello has a dozen extensions, nearly all of them hits)."""
    cache = _EXTENSIONS
    out = []
    for ext in exts:
        hit = cache.get(id(ext))
        out.append(hit[1] if hit is not None and hit[0] is ext else extension(ext, make))
    return out


def coded_list(table: str, values: tuple[int, ...], make: Any) -> Any:
    """``make(table, values)`` (a list of code/name dicts) as a shared fragment."""
    key = (table, values)
    hit = _LISTS.get(key)
    if hit is None:
        hit = _remember(_LISTS, key, fragment(make(table, values)))
    return hit


def certificate(cert: Any, make: Any) -> Any:
    """``make(cert)`` (the certificate's dict) as a fragment shared by the connections
    that sent this certificate. Summaries are cached per DER (one object per certificate
    and capture), so the object itself is the key; the entry keeps it, so a hit is for
    that very object and not a later one at a reused address."""
    return _by_object(_CERTIFICATES, cert, make)


def by_object(obj: Any, make: Any) -> Any:
    """``make(obj)`` as a fragment shared by every use of this very object (for values
    that tlslens's caches hand out as shared objects, like Fingerprints)."""
    return _by_object(_OBJECTS, obj, make)


def _by_object(cache: dict[int, tuple[Any, Any]], obj: Any, make: Any) -> Any:
    hit = cache.get(id(obj))
    if hit is not None and hit[0] is obj:
        return hit[1]
    value = fragment(make(obj))
    _remember(cache, id(obj), (obj, value))
    return value


def clear() -> None:
    """Forget every piece (tests)."""
    _EXTENSIONS.clear()
    _LISTS.clear()
    _CERTIFICATES.clear()
    _OBJECTS.clear()
