"""The compiled ladder encoder (report/_fastjson.c) writes the bytes orjson writes for
json_report._message_dicts: on ladders made up to reach every branch (times before
1970, far ahead, missing; odd strings and numbers, which it declines) and on every
fixture and corpus capture's NDJSON lines."""

from __future__ import annotations

import random
from typing import Any

import orjson
import pytest

from tlslens.analysis.model import MessageLine
from tlslens.report import json_report
from tlslens.report.json_report import _message_dicts, _second_template

pytestmark = pytest.mark.skipif(json_report.MESSAGES_JSON is None,
                                reason="tlslens.report._fastjson is not built")

TIMES = [0, 1, 999, 10**9 - 1, 10**9, -1, -999, -(10**9), -(10**9) - 1, -500_000_000,
         1_764_100_997_862_293_123, 253_402_300_799 * 10**9, 2**63 - 1, -(2**63), None]


def _dicts_json(messages: tuple[Any, ...]) -> bytes:
    return orjson.dumps(_message_dicts(messages), option=orjson.OPT_SORT_KEYS)


def _compiled(messages: tuple[Any, ...]) -> bytes | None:
    assert json_report.MESSAGES_JSON is not None
    return json_report.MESSAGES_JSON(messages, _second_template)


@pytest.mark.parametrize("seed", range(30))
def test_plain_ladders_are_the_bytes_orjson_writes(seed: int) -> None:
    rng = random.Random(seed)
    base = rng.choice(TIMES[:-1] + [rng.randrange(-(10**18), 10**19)])
    messages = tuple(
        MessageLine(rng.randrange(1, 2**40), base if rng.random() < 0.2 else
                    (rng.choice(TIMES) if rng.random() < 0.3 else base + rng.randrange(3 * 10**9)
                     if base is not None and base < 2**63 - 4 * 10**9 else None),
                    rng.choice(["client", "server"]),
                    rng.choice(["client_hello", "encrypted_record", "unknown_99", "alert", ""]),
                    rng.randrange(2**24), rng.random() < 0.5, rng.random() < 0.5)
        for _ in range(rng.randint(0, 30)))
    try:
        expected: object = _dicts_json(messages)
    except (OverflowError, ValueError, OSError) as exc:  # a time datetime cannot write
        expected = type(exc)
    try:
        got: object = _compiled(messages)
    except (OverflowError, ValueError, OSError) as exc:
        got = type(exc)
    # None: declined (a time beyond 64 bits), the caller then encodes the dicts
    assert got == expected or (got is None and any(
        m.ts_ns is not None and not -(2**63) <= m.ts_ns < 2**63 for m in messages))
    if all(m.ts_ns is None or abs(m.ts_ns) < 10**18 for m in messages):
        assert got == expected  # the plain case: always taken


@pytest.mark.parametrize("odd", [
    {"type": "caf\u00e9"}, {"type": 'a"b'}, {"type": "a\\b"}, {"type": "a\nb"},
    {"type": "a\x7fb"}, {"direction": 0}, {"encrypted": 1}, {"decrypted": None},
    {"frame": 2**64}, {"frame": 2**63}, {"length": -(2**63) - 1}, {"frame": 1.5},
    {"ts_ns": 2**70}, {"ts_ns": 1.5}])
def test_values_it_cannot_vouch_for_are_declined(odd: dict[str, Any]) -> None:
    fields = {"frame": 1, "ts_ns": 10**18, "direction": "client", "type": "client_hello",
              "length": 5, "encrypted": False, "decrypted": False, **odd}
    line = MessageLine(**fields)
    assert _compiled((line,)) is None
    assert _compiled((MessageLine(1, 10**18, "client", "x", 1, False, False),)) is not None


def test_other_line_objects_are_read_by_name() -> None:
    """Lines that are not MessageLine slots (read by getattr) give the same bytes, before
    and after MessageLines (whose slots are read by offset)."""
    from types import SimpleNamespace

    plain = MessageLine(7, 10**18, "server", "finished", 40, True, False)
    other = SimpleNamespace(frame=8, ts_ns=10**18 + 5, direction="client", type="alert",
                            length=2, encrypted=True, decrypted=True)
    for messages in ((other,), (plain, other, plain), (other, plain)):
        assert _compiled(messages) == _dicts_json(messages)  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        _compiled((SimpleNamespace(frame=1),))  # type: ignore[arg-type]


def test_lines_are_the_same_without_the_compiled_encoder(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fixture and corpus capture: each NDJSON line, ladder encoded in C or not."""
    from pathlib import Path

    from tests.corpus.truth_compare import corpus_captures
    from tlslens.pipeline import analyze

    fixtures = Path(__file__).resolve().parents[2] / "fixtures"
    captures = [*sorted(fixtures.rglob("*.pcap*")), *corpus_captures()]
    conns = [c for p in captures for c in analyze(str(p)).connections]
    assert conns
    with_c = [json_report.connection_json(c) for c in conns]
    monkeypatch.setattr(json_report, "MESSAGES_JSON", None)
    assert [json_report.connection_json(c) for c in conns] == with_c


def test_a_time_in_the_second_before_1970_is_written() -> None:
    """A pcapng interface's negative time offset can put packets before 1970; the second
    before it used to meet the ladder's "no second yet" marker (-1) and fail."""
    line = MessageLine(1, -500_000_000, "client", "client_hello", 5, False, False)
    [d] = _message_dicts((line,))
    assert d["time"] == json_report.packet_time(-500_000_000) == "1969-12-31T23:59:59.500000Z"
