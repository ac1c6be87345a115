"""The compiled ladder (analysis/_fastbuild.c) makes what build_connection's
comprehensions make: the MessageLine tuple and the history letters, on ladders made up
to reach every branch and on every fixture and corpus capture's whole report."""

from __future__ import annotations

import random
from typing import Any

import pytest

from tlslens.analysis import build
from tlslens.analysis.model import MessageLine
from tlslens.tls.session import HISTORY_LETTERS, Entry

pytestmark = pytest.mark.skipif(build.LADDER is None,
                                reason="tlslens.analysis._fastbuild is not built")

LETTERS = (build._HISTORY_UPPER, HISTORY_LETTERS)


def _python(entries: list[Any], names: tuple[str, str],
            letters: tuple[dict[str, str], dict[str, str]]) -> tuple[tuple[Any, ...], str]:
    """build_connection's comprehensions, as they are there."""
    messages = tuple([MessageLine(frame, ts_ns, names[side], kind, length, encrypted,
                                  decrypted)
                      for side, kind, length, frame, ts_ns, encrypted, decrypted in entries
                      if kind != "limit"])
    history = "".join([letters[e[0]].get(e[1], "?") for e in entries[:build.HISTORY_ENTRIES]])
    return messages, history


KINDS = [*HISTORY_LETTERS, "limit", "unknown_99", "encrypted_record", "alert"]


@pytest.mark.parametrize("seed", range(30))
def test_ladders_of_every_shape(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.choice([1, 2, 12, 199, 200, 201, 450])
    entries = [Entry(rng.randrange(2), rng.choice(KINDS), rng.randrange(70_000),
                     rng.randrange(1, 10**6), rng.randrange(10**18), rng.random() < 0.5,
                     rng.random() < 0.2) for _ in range(n)]
    names = rng.choice([("client", "server"), ("server", "client")])
    letters = LETTERS if names[0] == "client" else LETTERS[::-1]
    assert build.LADDER is not None
    got = build.LADDER(entries, names, letters, MessageLine)
    assert got == _python(entries, names, letters)
    assert len(got[1]) == min(n, build.HISTORY_ENTRIES)


def test_declines_what_the_comprehensions_would_read_differently() -> None:
    assert build.LADDER is not None
    ok = Entry(0, "client_hello", 10, 1, 2, False)
    assert build.LADDER([ok, (0, "alert")], ("client", "server"), LETTERS, MessageLine) is None
    assert build.LADDER([ok, Entry(2, "alert", 2, 3, 4, False)], ("client", "server"),
                        LETTERS, MessageLine) is None
    assert build.LADDER([ok, [0, "alert", 2, 3, 4, False, False]], ("client", "server"),
                        LETTERS, MessageLine) is None
    with pytest.raises(TypeError):
        build.LADDER((ok,), ("client", "server"), LETTERS, MessageLine)


def test_reports_are_the_same_without_the_compiled_ladder(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fixture and corpus capture: the whole JSON report, ladder in C or not."""
    from pathlib import Path

    from tests.corpus.truth_compare import corpus_captures
    from tlslens.pipeline import analyze
    from tlslens.report.json_report import encode, result_to_dict

    fixtures = Path(__file__).resolve().parents[2] / "fixtures"
    captures = [*sorted(fixtures.rglob("*.pcap*")), *corpus_captures()]
    with_c = [encode(result_to_dict(analyze(str(p)))) for p in captures]
    monkeypatch.setattr(build, "LADDER", None)
    assert [encode(result_to_dict(analyze(str(p)))) for p in captures] == with_c
