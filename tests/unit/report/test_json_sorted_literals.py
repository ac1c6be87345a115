"""The report dicts that json_report builds list their keys in sorted order.

The JSON is sorted by orjson whatever the order (the bytes are checked elsewhere); an
already sorted dict only makes that sorting cheap (``connection_json``'s docstring).
This keeps a new or renamed key from silently undoing that: every dict the module builds
for a connection is checked on every fixture and corpus connection."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.corpus.truth_compare import corpus_captures
from tlslens.pipeline import Options, iter_connections
from tlslens.report.json_report import connection_to_dict

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CAPTURES = [*sorted(FIXTURES.rglob("*.pcap*")), *corpus_captures()]

#: Top-level keys whose values are lists of dicts built by json_report.
_LISTS_OF_OWN = ("alerts", "anomalies", "certificate_verify", "chain", "findings",
                 "messages", "new_session_tickets")
#: Top-level keys whose values are one dict built by json_report (or None).
_OWN = ("application_data", "certificate_status", "client", "client_key_exchange",
        "server", "server_key_exchange", "verdict")


def _assert_sorted(d: dict[str, Any], where: str) -> None:
    keys = list(d)
    assert keys == sorted(keys), where


def _own_dicts(doc: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = [("connection", doc)]
    for key in _LISTS_OF_OWN:
        out += [(f"{key}[{i}]", d) for i, d in enumerate(doc[key])]
    for key in _OWN:
        if doc[key] is not None:
            out.append((key, doc[key]))
    out += [(f"application_data.{side}", doc["application_data"][side])
            for side in ("client", "server")]
    return out


def _check_capture(path: Path) -> int:
    """Check every connection of ``path``; how many there were."""
    seen = 0
    for conn in iter_connections(str(path), options=Options()):
        doc = connection_to_dict(conn, copy=False)
        for where, d in _own_dicts(doc):
            _assert_sorted(d, where)
        for key in ("client_hellos", "server_hellos"):
            for hello in doc[key]:
                # the frame is added last, after the hello's own dict is built
                *own, last = list(hello)
                assert last == "frame" and own == sorted(own), key
                for ext in hello["extensions"]:
                    _assert_sorted(ext, f"{key} extension {ext['code']}")
        seen += 1
    return seen


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_built_dicts_are_in_sorted_order(path: Path) -> None:
    _check_capture(path)  # (some corpus captures hold no TLS over TCP: nothing to see)


def test_the_seed_connections_are_checked() -> None:
    assert _check_capture(FIXTURES / "seed" / "seed.pcap") >= 1


def test_the_check_sees_an_unsorted_dict() -> None:
    with pytest.raises(AssertionError):
        _assert_sorted({"b": 1, "a": 2}, "example")
