"""What differs between two handshakes: a pure function of two :class:`TlsConnection`.

"The phone that fails and the one that works": the useful answer is the list of
differences (a suite the server picks that one client does not offer, an extension only
one sends, a certificate swapped), not two reports side by side. Each compared aspect
becomes one :class:`FieldDiff`; lists (offered suites, extensions, groups, ...) say what
was added, removed, and whether the common entries changed order, because the order of
an offer is itself a preference (and part of a fingerprint).

Values stay raw (code points as ints) with the registry table that names them; reports
name them through :meth:`FieldDiff.label`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from tlslens.analysis.model import TlsConnection
from tlslens.registry import coded, name, version_name


@dataclass(frozen=True, slots=True)
class FieldDiff:
    """One compared aspect. ``kind`` is ``"value"`` (one value each) or ``"list"``."""

    field: str  # stable id, also the catalogue key suffix: diff.field.<field>
    kind: str
    table: str | None  # registry table naming the values ("versions" too), None: strings
    a: Any
    b: Any
    added: tuple[Any, ...] = ()  # in b, not in a (list kind)
    removed: tuple[Any, ...] = ()  # in a, not in b
    reordered: bool = False  # the entries both have come in another order

    @property
    def same(self) -> bool:
        return self.a == self.b

    def label(self, value: Any) -> str:
        """A value as a report shows it: ``TLS_..._SHA384 (0xc02c)``, ``TLS 1.3``, text."""
        if value is None:
            return "-"
        if self.table is None or not isinstance(value, int):
            return str(value)
        if self.table == "versions":
            return f"{version_name(value) or 'unknown'} (0x{value:04x})"
        found = name(self.table, value)
        return f"{found} (0x{value:04x})" if found else f"0x{value:04x}"

    def to_dict(self) -> dict[str, Any]:
        def enc(v: Any) -> Any:
            if isinstance(v, tuple):
                return [enc(x) for x in v]
            if self.table is not None and isinstance(v, int):
                return {"code": v, "name": version_name(v)} if self.table == "versions" \
                    else coded(self.table, v)
            return v

        return {"field": self.field, "kind": self.kind, "same": self.same,
                "a": enc(self.a), "b": enc(self.b), "added": enc(self.added),
                "removed": enc(self.removed), "reordered": self.reordered}


@dataclass(frozen=True, slots=True)
class HandshakeDiff:
    a_label: str  # how the two sides were named on the command line (CAPTURE#ID)
    b_label: str
    fields: tuple[FieldDiff, ...]

    @property
    def differences(self) -> tuple[FieldDiff, ...]:
        return tuple(f for f in self.fields if not f.same)

    def to_dict(self) -> dict[str, Any]:
        return {"a": self.a_label, "b": self.b_label,
                "same": not self.differences,
                "differences": len(self.differences),
                "fields": [f.to_dict() for f in self.fields]}


def list_diff(field: str, table: str | None, a: tuple[Any, ...], b: tuple[Any, ...]
              ) -> FieldDiff:
    """Added, removed, and whether the shared entries changed their relative order."""
    in_a, in_b = set(a), set(b)
    added = tuple(x for x in b if x not in in_a)
    removed = tuple(x for x in a if x not in in_b)
    common_a = [x for x in a if x in in_b]
    common_b = [x for x in b if x in in_a]
    return FieldDiff(field, "list", table, tuple(a), tuple(b), added, removed,
                     common_a != common_b)


def _first_ch(c: TlsConnection) -> Any:
    return c.client_hellos[0].hello if c.client_hellos else None


def _first_sh(c: TlsConnection) -> Any:
    return c.server_hellos[0].hello if c.server_hellos else None


def _ch(attr: str) -> Callable[[TlsConnection], tuple[Any, ...]]:
    def get(c: TlsConnection) -> tuple[Any, ...]:
        ch = _first_ch(c)
        return tuple(getattr(ch, attr)) if ch is not None else ()
    return get


def _sh_ext_types(c: TlsConnection) -> tuple[int, ...]:
    sh = _first_sh(c)
    return tuple(e.code for e in sh.extensions) if sh is not None else ()


def _offered_versions(c: TlsConnection) -> tuple[int, ...]:
    """supported_versions when sent, else the hello's legacy version alone."""
    ch = _first_ch(c)
    if ch is None:
        return ()
    return tuple(ch.supported_versions) or (ch.legacy_version,)


def _certs(c: TlsConnection) -> tuple[str, ...]:
    return tuple(f"{cert.subject or '?'} [sha256 {cert.sha256[:16]}]"
                 for cert in c.certificates)


def _findings(c: TlsConnection) -> tuple[str, ...]:
    return tuple(sorted(f"{f.id} ({f.severity})" for f in c.findings))


#: (field, table, getter) of the single-valued aspects, in report order.
_VALUES: tuple[tuple[str, str | None, Callable[[TlsConnection], Any]], ...] = (
    ("state", None, lambda c: c.state),
    ("version", "versions", lambda c: c.version),
    ("cipher_suite", "cipher_suites", lambda c: c.cipher_suite),
    ("server_name", None, lambda c: c.server_name),
    ("alpn", None, lambda c: c.alpn),
    ("resumed", None, lambda c: c.resumed),
    ("key_share_group", "groups",
     lambda c: getattr(_first_sh(c), "key_share_group", None)),
    ("ske_group", "groups",
     lambda c: c.server_key_exchange.named_curve if c.server_key_exchange else None),
    ("verdict", None, lambda c: c.verdict.level),
)

#: (field, table, getter) of the list aspects, in report order.
_LISTS: tuple[tuple[str, str | None, Callable[[TlsConnection], tuple[Any, ...]]], ...] = (
    ("offered_versions", "versions", _offered_versions),
    ("cipher_suites", "cipher_suites", _ch("cipher_suites")),
    ("extensions", "extensions", _ch("extension_types")),
    ("server_extensions", "extensions", _sh_ext_types),
    ("supported_groups", "groups", _ch("supported_groups")),
    ("key_share_groups", "groups", _ch("key_share_groups")),
    ("signature_algorithms", "signature_schemes", _ch("signature_algorithms")),
    ("alpn_offered", None, _ch("alpn")),
    ("certificates", None, _certs),
    ("findings", None, _findings),
)

FINGERPRINT_KEYS = ("ja3", "ja3n", "ja4", "ja4_r", "ja3s")


def diff_connections(a: TlsConnection, b: TlsConnection, a_label: str = "A",
                     b_label: str = "B") -> HandshakeDiff:
    """Every compared aspect of two connections, equal ones included (``same``)."""
    fields = [FieldDiff(f, "value", table, get(a), get(b)) for f, table, get in _VALUES]
    fields += [list_diff(f, table, get(a), get(b)) for f, table, get in _LISTS]
    fields += [FieldDiff(f"fingerprint.{k}", "value", None, getattr(a.fingerprints, k),
                         getattr(b.fingerprints, k)) for k in FINGERPRINT_KEYS]
    return HandshakeDiff(a_label, b_label, tuple(fields))
