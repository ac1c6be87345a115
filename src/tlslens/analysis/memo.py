"""Per-process caches for the per-connection work: building, assessing, reporting.

Why: a capture repeats itself. The same few certificate chains, client stacks and
servers come back connection after connection, and what tlslens derives from them is a
pure function of immutable values. Every cache here is bounded and simply emptied when
full, so memory stays flat on a capture of any size (and on a hostile one).

Value-keyed caches use :func:`functools.lru_cache` (C, bounded). :class:`IdentityCache`
is for values derived from objects that are shared rather than cheap to hash, such as a
:class:`~tlslens.x509.certs.CertSummary` (the same DER gives the same object).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

V = TypeVar("V")


class IdentityCache(Generic[V]):
    """Values keyed by the identity of a few objects (and optional hashable extras).

    Each entry keeps its objects alive, so while it exists no other object can take
    their ids: a hit is always for the very same objects. Equal but distinct objects
    (a hand-built copy) simply miss and are computed afresh. Values must not be None
    (:meth:`get` says "not cached" with None).
    """

    __slots__ = ("_entries", "_maxsize")

    def __init__(self, maxsize: int) -> None:
        self._entries: dict[tuple[object, ...], tuple[tuple[object, ...], V]] = {}
        self._maxsize = maxsize

    @staticmethod
    def key(objs: Sequence[object], extra: tuple[object, ...] = ()) -> tuple[object, ...]:
        """The lookup key of ``objs`` (by identity) and ``extra`` (by value)."""
        return (*map(id, objs), *extra)

    def get(self, key: tuple[object, ...]) -> V | None:
        entry = self._entries.get(key)
        return None if entry is None else entry[1]

    def put(self, key: tuple[object, ...], objs: Sequence[object], value: V) -> V:
        """Remember ``value`` for ``key`` (made by :meth:`key` from ``objs``)."""
        if len(self._entries) >= self._maxsize:
            self._entries.clear()
        self._entries[key] = (tuple(objs), value)
        return value

    def clear(self) -> None:
        self._entries.clear()
