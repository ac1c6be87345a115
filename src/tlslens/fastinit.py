"""``@fast_init``: frozen slots dataclasses get a compiled ``__init__`` when it is built.

The report model is made of frozen dataclasses, and the ``__init__`` dataclasses
generates for a frozen class sets each field through ``object.__setattr__``: about an
eighth of a full analysis went there. ``tlslens._fastinit`` (src/tlslens/_fastinit.c,
optional) takes the same arguments and puts the values straight into the slots. Classes
it cannot serve exactly (a ``__post_init__``, a ``default_factory``, ...) keep their own
``__init__`` and are listed in :data:`REFUSED`; without the extension every class keeps
its own.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

try:
    from tlslens._fastinit import install as _install
except ImportError:  # not built: the dataclasses' own __init__ runs
    _install = None  # type: ignore[assignment]

#: Whether the compiled __init__ is available.
COMPILED = _install is not None
#: Each class given the compiled __init__, with the __init__ dataclasses generated for
#: it (the reference the tests compare with).
PYTHON_INIT: dict[type, Callable[..., None]] = {}
#: Classes decorated but left with their own __init__ (and why).
REFUSED: dict[type, str] = {}

C = TypeVar("C", bound=type)


def fast_init(cls: C) -> C:
    """Class decorator, above ``@dataclass(frozen=True, slots=True)``."""
    if _install is None:
        return cls
    own: Any = cls.__dict__["__init__"]
    try:
        _install(cls)
    except ValueError as exc:
        REFUSED[cls] = str(exc)
    else:
        PYTHON_INIT[cls] = own
    return cls
