"""TLS fingerprints of a connection's hellos: JA3, JA3S, ja3n and JA4 (with its raw forms).

Pure functions of the decoded :class:`ClientHello` / :class:`ServerHello`; no I/O, no state.
Every fingerprint is rendered from one set of *parts* (GREASE already dropped, lists already
in the orders each form needs), so the hashed and the raw forms can never drift apart, and
the report layer can show the parts to explain a fingerprint.

Rules (details and every case where reference implementations disagree: docs/fingerprints.md)

* JA3 (salesforce/ja3, as tshark): ``legacy_version,ciphers,extensions,groups,point_formats``
  in decimal, ``-``-joined, GREASE (RFC 8701) removed from ciphers, extensions and groups;
  ``ja3`` is the MD5 of that string. An SSLv2-format hello has no JA3 (as tshark).
* ja3n: JA3 with the extension list sorted numerically, so Chrome's random extension order
  (since Chrome 110) no longer changes it.
* JA3S: ``legacy_version,cipher,extensions`` of the ServerHello (771 for TLS 1.3).
* JA4 (FoxIO, technical_details/JA4.md, BSD-3 part): ``a_b_c`` where ``a`` is protocol,
  version, SNI marker, cipher and extension counts, ALPN marker; ``b`` the SHA-256 (first 12
  hex) of the sorted cipher list; ``c`` of the sorted extension list without SNI/ALPN, then
  ``_`` and the signature algorithms in wire order.
"""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, replace
from typing import NamedTuple

from tlslens.fastinit import fast_init
from tlslens.tls.messages import ClientHello, ServerHello
from tlslens.tls.reader import DecodeError, Reader

EXT_SERVER_NAME = 0x0000
EXT_ALPN = 0x0010

#: JA4 version field. Unknown values (TLS 1.3 drafts 0x7fxx, 0x0200, ...) give "00".
JA4_VERSIONS: dict[int, str] = {
    0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3", 0x0002: "s2",
    0xFEFF: "d1", 0xFEFD: "d2", 0xFEFC: "d3",
}
#: JA4's marker for "this list is empty" (instead of the hash of an empty string).
EMPTY_HASH = "000000000000"


@fast_init
@dataclass(frozen=True, slots=True)
class Fingerprints:
    """The JSON contract's ``fingerprints`` object: the same keys everywhere, None if n/a."""

    ja3: str | None = None
    ja3_full: str | None = None
    ja3n: str | None = None
    ja4: str | None = None
    ja4_r: str | None = None
    ja4_o: str | None = None
    ja4_ro: str | None = None
    ja3s: str | None = None
    ja3s_full: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        # Spelled out: dataclasses.asdict deep-copies and was a visible cost per hello.
        return {"ja3": self.ja3, "ja3_full": self.ja3_full, "ja3n": self.ja3n,
                "ja4": self.ja4, "ja4_r": self.ja4_r, "ja4_o": self.ja4_o,
                "ja4_ro": self.ja4_ro, "ja3s": self.ja3s, "ja3s_full": self.ja3s_full}


class Ja4Parts(NamedTuple):
    """Everything JA4 is built from, lists as 4-digit lowercase hex, GREASE removed.

    ``extensions_sorted`` already lacks SNI and ALPN (JA4's ``c`` part);
    ``extensions_original`` keeps them, in wire order (JA4_o / JA4_ro)."""

    prefix: str  # the ``a`` part, e.g. "t13d1516h2"
    ciphers_sorted: tuple[str, ...]
    ciphers_original: tuple[str, ...]
    extensions_sorted: tuple[str, ...]
    extensions_original: tuple[str, ...]
    signature_algorithms: tuple[str, ...]


# -- helpers ------------------------------------------------------------------------------

def _md5(text: str) -> str:
    return hashlib.md5(text.encode("ascii"), usedforsecurity=False).hexdigest()


def _hash12(items: tuple[str, ...], suffix: tuple[str, ...] = ()) -> str:
    """JA4's truncated SHA-256 of a comma list (plus ``_suffix`` when there is one).

    An empty main list gives :data:`EMPTY_HASH` rather than a hash of nothing (JA4.md)."""
    if not items:
        return EMPTY_HASH
    return hashlib.sha256(_join(items, suffix).encode("ascii")).hexdigest()[:12]


def _join(items: tuple[str, ...], suffix: tuple[str, ...] = ()) -> str:
    text = ",".join(items)
    return f"{text}_{','.join(suffix)}" if suffix else text


#: The 16 RFC 8701 GREASE values 0x0A0A, 0x1A1A, ... 0xFAFA (exactly what
#: ``registry.is_grease`` accepts): a set lookup per value, since a hello's lists are
#: filtered several times per fingerprint.
_GREASE = frozenset(range(0x0A0A, 0x10000, 0x1010))


def _no_grease(values: tuple[int, ...]) -> tuple[int, ...]:
    return tuple([v for v in values if v not in _GREASE])


def _dash(values: tuple[int, ...]) -> str:
    return "-".join(map(str, values))


#: Hex forms by value: formatting is most of JA4's cost, and hellos name the same few
#: hundred code points. Bounded; cleared when full.
_HEX: dict[int, str] = {}
_HEX_MAX = 8192


def _hex4(values: tuple[int, ...]) -> tuple[str, ...]:
    """4-digit lowercase hex; a 24-bit SSLv2 cipher spec above 0xffff keeps 6 digits.

    A TLS suite carried in an SSLv2-format hello (0x00XXXX) thus renders as the same
    "XXXX" it has in a normal hello (docs/fingerprints.md)."""
    try:
        return tuple([_HEX[v] for v in values])
    except KeyError:
        if len(_HEX) + len(values) > _HEX_MAX:
            _HEX.clear()
        for v in values:
            _HEX[v] = f"{v:04x}" if v <= 0xFFFF else f"{v:06x}"
        return tuple([_HEX[v] for v in values])


# -- JA3 / ja3n / JA3S --------------------------------------------------------------------

def ja3_string(ch: ClientHello, *, sort_extensions: bool = False) -> str | None:
    """The JA3 string (``ja3_full``), or the ja3n string with ``sort_extensions``.

    None for an SSLv2-format hello: it has no extensions, groups or point formats, and tshark
    (our JA3 reference) computes none."""
    if ch.sslv2_format:
        return None
    exts = _no_grease(ch.extension_types)
    if sort_extensions:
        exts = tuple(sorted(exts))
    return ",".join((
        str(ch.legacy_version),
        _dash(_no_grease(ch.cipher_suites)),
        _dash(exts),
        _dash(_no_grease(ch.supported_groups)),
        _dash(ch.ec_point_formats),
    ))


def ja3s_string(sh: ServerHello) -> str | None:
    """The JA3S string (``ja3s_full``); None for an SSLv2 SERVER-HELLO (no single cipher)."""
    if sh.sslv2_format or sh.cipher_suite is None:
        return None
    return _ja3s(sh.legacy_version, sh.cipher_suite, sh.extension_types)


def _ja3s(version: int, cipher_suite: int, extension_types: tuple[int, ...]) -> str:
    return f"{version},{cipher_suite},{_dash(_no_grease(extension_types))}"


# -- JA4 ----------------------------------------------------------------------------------

def ja4_version(ch: ClientHello) -> str:
    """Highest non-GREASE supported_versions value, else legacy_version; "00" if unknown.

    "Highest" is numeric, as the spec and every FoxIO implementation read it (for DTLS,
    whose numbers go down, that picks the oldest offered version; see the docs)."""
    offered = _no_grease(ch.supported_versions)  # empty if absent or unreadable
    version = max(offered) if offered else ch.legacy_version
    return JA4_VERSIONS.get(version, "00")


def first_alpn_bytes(ch: ClientHello) -> bytes | None:
    """The first ALPN protocol name as raw bytes; None when there is no ALPN extension.

    Read from the extension bytes because ``ClientHello.alpn`` is text (undecodable bytes
    escaped) and JA4 looks at the first and last *byte*. An empty list gives ``b""``."""
    ext = ch.extension(EXT_ALPN)
    if ext is None:
        return None
    raw = ext.raw
    # The common case read directly (what the Reader below does, without its calls):
    # an empty list, or a first name that fits.
    if len(raw) >= 2 and not raw[0] and not raw[1]:
        return b""
    if len(raw) >= 3 and len(raw) >= 3 + raw[2]:
        return raw[3:3 + raw[2]]
    try:
        r = Reader(ext.raw)
        if r.u16("protocol_name_list") == 0:
            return b""
        return r.opaque(1, "ProtocolName")
    except DecodeError:
        # Unreadable list: fall back to the decoded view, if the parser made one.
        return ch.alpn[0].encode("utf-8", "surrogateescape") if ch.alpn else b""


def ja4_alpn(name: bytes | None) -> str:
    """JA4's 2-character ALPN marker for the first ALPN value (JA4.md, "ALPN Extension").

    "00" when absent or empty; first+last character when both are ASCII alphanumeric (a
    1-byte value repeats its character); otherwise the first and last hex digit of the
    whole value's hex (0xAB -> "ab", 0x30 0xAB -> "3b")."""
    if not name:
        return "00"
    first, last = name[0], name[-1]
    if _alnum(first) and _alnum(last):
        return chr(first) + chr(last)
    hx = name.hex()
    return hx[0] + hx[-1]


def _alnum(b: int) -> bool:
    return 0x30 <= b <= 0x39 or 0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A


def ja4_parts(ch: ClientHello, transport: str = "t") -> Ja4Parts:
    """Build JA4's parts once; :func:`render_ja4` turns them into the four forms.

    ``transport`` is "t" (TLS over TCP), "q" (QUIC) or "d" (DTLS)."""
    ciphers = _no_grease(ch.cipher_suites)
    exts = _no_grease(ch.extension_types)
    sni = "d" if EXT_SERVER_NAME in exts else "i"
    prefix = (f"{transport}{ja4_version(ch)}{sni}{min(len(ciphers), 99):02d}"
              f"{min(len(exts), 99):02d}{ja4_alpn(first_alpn_bytes(ch))}")
    ciphers_hex, exts_hex = _hex4(ciphers), _hex4(exts)
    kept = [h for e, h in zip(exts, exts_hex) if e != EXT_SERVER_NAME and e != EXT_ALPN]
    return Ja4Parts(
        prefix=prefix,
        ciphers_sorted=tuple(sorted(ciphers_hex)),
        ciphers_original=ciphers_hex,
        extensions_sorted=tuple(sorted(kept)),
        extensions_original=exts_hex,
        signature_algorithms=_hex4(_no_grease(ch.signature_algorithms)),
    )


def render_ja4(p: Ja4Parts) -> tuple[str, str, str, str]:
    """(ja4, ja4_r, ja4_o, ja4_ro) from the parts."""
    sigs = p.signature_algorithms
    ja4 = f"{p.prefix}_{_hash12(p.ciphers_sorted)}_{_hash12(p.extensions_sorted, sigs)}"
    ja4_o = f"{p.prefix}_{_hash12(p.ciphers_original)}_{_hash12(p.extensions_original, sigs)}"
    ja4_r = f"{p.prefix}_{_join(p.ciphers_sorted)}_{_join(p.extensions_sorted, sigs)}"
    ja4_ro = f"{p.prefix}_{_join(p.ciphers_original)}_{_join(p.extensions_original, sigs)}"
    return ja4, ja4_r, ja4_o, ja4_ro


# -- public entry points ------------------------------------------------------------------

#: Fingerprints by the hello fields they are made of: a capture's connections mostly
#: come from a few client stacks, whose hellos differ only in randoms, session ids and
#: key shares, which no fingerprint reads. Bounded; cleared when full.
_CLIENT_CACHE: dict[tuple[object, ...], Fingerprints] = {}
_CLIENT_CACHE_MAX = 4096


def client_fingerprints(ch: ClientHello, transport: str = "t") -> Fingerprints:
    """JA3, ja3n and JA4 (all forms) of one ClientHello; the ``ja3s*`` keys stay None."""
    key = (transport, ch.sslv2_format, ch.legacy_version, ch.cipher_suites,
           ch.extension_types, ch.supported_groups, ch.ec_point_formats,
           ch.signature_algorithms, ch.supported_versions, first_alpn_bytes(ch))
    cached = _CLIENT_CACHE.get(key)
    if cached is None:
        if len(_CLIENT_CACHE) >= _CLIENT_CACHE_MAX:
            _CLIENT_CACHE.clear()
        cached = _CLIENT_CACHE[key] = _client_fingerprints(ch, transport)
    return cached


def _client_fingerprints(ch: ClientHello, transport: str) -> Fingerprints:
    full = ja3_string(ch)
    ja3n_full = ja3_string(ch, sort_extensions=True)
    ja4, ja4_r, ja4_o, ja4_ro = render_ja4(ja4_parts(ch, transport))
    return Fingerprints(
        ja3=_md5(full) if full is not None else None,
        ja3_full=full,
        ja3n=_md5(ja3n_full) if ja3n_full is not None else None,
        ja4=ja4, ja4_r=ja4_r, ja4_o=ja4_o, ja4_ro=ja4_ro,
    )


def server_fingerprints(sh: ServerHello) -> Fingerprints:
    """JA3S of one ServerHello (a HelloRetryRequest too); every other key None."""
    if sh.sslv2_format or sh.cipher_suite is None:
        return Fingerprints()
    exts = sh.extension_types
    make = _server_fingerprints_cached if len(exts) <= 256 else _server_fingerprints
    return make(sh.legacy_version, sh.cipher_suite, exts)


def _server_fingerprints(version: int, cipher_suite: int,
                         extension_types: tuple[int, ...]) -> Fingerprints:
    """JA3S by the only fields it reads: a server answers alike connection after
    connection."""
    full = _ja3s(version, cipher_suite, extension_types)
    return Fingerprints(ja3s=_md5(full), ja3s_full=full)


#: Cached for any real ServerHello (a hostile one's long list is not kept).
_server_fingerprints_cached = functools.lru_cache(maxsize=4096)(_server_fingerprints)


def with_server(client: Fingerprints, server: Fingerprints) -> Fingerprints:
    """``client``'s fingerprints with ``server``'s JA3S: a connection's, made once per
    pair. Both come from the caches above, so the pair of objects is the key (hashing
    two nine-field dataclasses per connection was a visible cost); the entry keeps both,
    so a hit is for those very objects, never for later ones at reused addresses."""
    key = (id(client), id(server))
    hit = _WITH_SERVER.get(key)
    if hit is not None and hit[0] is client and hit[1] is server:
        return hit[2]
    value = replace(client, ja3s=server.ja3s, ja3s_full=server.ja3s_full)
    if len(_WITH_SERVER) >= _CLIENT_CACHE_MAX:
        _WITH_SERVER.clear()
    _WITH_SERVER[key] = (client, server, value)
    return value


_WITH_SERVER: dict[tuple[int, int], tuple[Fingerprints, Fingerprints, Fingerprints]] = {}


def connection_fingerprints(ch: ClientHello | None, sh: ServerHello | None,
                            transport: str = "t") -> Fingerprints:
    """A connection's fingerprints: the client keys from ``ch``, the ``ja3s*`` from ``sh``."""
    client = client_fingerprints(ch, transport) if ch is not None else Fingerprints()
    if sh is None:
        return client
    return with_server(client, server_fingerprints(sh))
