"""The compiled __init__ (tlslens._fastinit via tlslens.fastinit.fast_init) builds what
the dataclass-generated __init__ builds.

Every class that got it is built both ways from the same arguments (all positional, all
by name, only the required ones) and must hold the same objects in every field; bad
calls fail with TypeError both ways; the classes stay frozen, comparable, replaceable
and picklable. Skipped when the extension is not built.
"""

from __future__ import annotations

import copy
import dataclasses
import pickle
from typing import Any

import pytest

import tlslens.analysis.findings
import tlslens.pipeline  # noqa: F401 - imports the model, messages, anomalies
from tlslens.fastinit import COMPILED, PYTHON_INIT, REFUSED, fast_init

pytestmark = pytest.mark.skipif(not COMPILED, reason="tlslens._fastinit is not built")

CLASSES = sorted(PYTHON_INIT, key=lambda c: c.__qualname__)


def _reference(cls: type, *args: Any, **kwargs: Any) -> Any:
    obj = cls.__new__(cls)
    PYTHON_INIT[cls](obj, *args, **kwargs)
    return obj


def _fields(obj: Any) -> list[Any]:
    return [getattr(obj, f.name) for f in dataclasses.fields(obj)]


def test_the_model_classes_all_have_it() -> None:
    assert REFUSED == {}
    names = {c.__name__ for c in PYTHON_INIT}
    assert {"TlsConnection", "MessageLine", "Anomaly", "Fingerprints", "ClientHello",
            "Extension", "Finding"} <= names


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__qualname__)
def test_same_fields_both_ways(cls: type) -> None:
    fields = dataclasses.fields(cls)
    values = [object() for _ in fields]
    fast = cls(*values)
    assert all(a is b for a, b in zip(_fields(fast), values, strict=True))
    assert all(a is b for a, b in zip(_fields(_reference(cls, *values)), values,
                                      strict=True))
    by_name = cls(**{f.name: v for f, v in zip(fields, values, strict=True)})
    assert all(a is b for a, b in zip(_fields(by_name), values, strict=True))
    # only the required ones (by name, reversed order): the defaults fill the rest
    required = {f.name: v for f, v in zip(fields, values, strict=True)
                if f.default is dataclasses.MISSING}
    short = cls(**dict(reversed(required.items())))
    ref = _reference(cls, **required)
    assert all(a is b for a, b in zip(_fields(short), _fields(ref), strict=True))
    # half positional, half by name
    half = len(fields) // 2
    mixed = cls(*values[:half], **{f.name: v for f, v in zip(fields[half:], values[half:],
                                                             strict=True)})
    assert all(a is b for a, b in zip(_fields(mixed), values, strict=True))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda c: c.__qualname__)
def test_bad_calls_fail_both_ways(cls: type) -> None:
    fields = dataclasses.fields(cls)
    values = [0] * len(fields)
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = [
        ((*values, 0), {}),                                  # one too many
        (tuple(values), {"no_such_field": 1}),               # unknown name
        (tuple(values), {fields[0].name: 1}),                # given twice
    ]
    if fields[0].default is dataclasses.MISSING:
        calls.append(((), {}))                               # a required one missing
    for args, kwargs in calls:
        with pytest.raises(TypeError):
            cls(*args, **kwargs)
        with pytest.raises(TypeError):
            _reference(cls, *args, **kwargs)


def test_objects_stay_frozen_comparable_and_copyable() -> None:
    from tlslens.analysis.model import Endpoint, MessageLine
    from tlslens.anomalies import Anomaly

    e = Endpoint("192.0.2.1", 443)
    assert e == Endpoint(ip="192.0.2.1", port=443) and hash(e) == hash(Endpoint("192.0.2.1",
                                                                                443))
    with pytest.raises(dataclasses.FrozenInstanceError):
        e.port = 1  # type: ignore[misc]
    line = MessageLine(3, 10, "client", "client_hello", 200, False, False)
    assert dataclasses.replace(line, frame=4).frame == 4
    assert pickle.loads(pickle.dumps(line)) == line and copy.copy(line) == line
    a = Anomaly("tcp.midstream", "x", 1)
    assert a.offset is None  # a default
    assert repr(e) == "Endpoint(ip='192.0.2.1', port=443)"


def test_a_plain_subclass_still_builds() -> None:
    from tlslens.analysis.model import Endpoint

    class Named(Endpoint):
        __slots__ = ("label",)

    n = Named("192.0.2.7", 8443)
    assert (n.ip, n.port) == ("192.0.2.7", 8443) and isinstance(n, Endpoint)
    with pytest.raises(TypeError):
        Endpoint.__init__(object(), "192.0.2.7", 1)  # not an Endpoint at all


def test_classes_it_cannot_serve_keep_their_own_init() -> None:
    @fast_init
    @dataclasses.dataclass(slots=True)
    class NotFrozen:
        a: int

    @fast_init
    @dataclasses.dataclass(frozen=True, slots=True)
    class Factory:
        a: list[int] = dataclasses.field(default_factory=list)

    @fast_init
    @dataclasses.dataclass(frozen=True, slots=True)
    class PostInit:
        a: int

        def __post_init__(self) -> None:
            object.__setattr__(self, "a", self.a + 1)

    @fast_init
    @dataclasses.dataclass(frozen=True)
    class NoSlots:
        a: int

    for cls in (NotFrozen, Factory, PostInit, NoSlots):
        assert cls in REFUSED and cls not in PYTHON_INIT
        del REFUSED[cls]  # (the model test above wants REFUSED empty)
    assert PostInit(1).a == 2 and Factory().a == [] and NoSlots(3).a == 3
