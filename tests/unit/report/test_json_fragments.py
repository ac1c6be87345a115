"""The NDJSON line made from shared pre-encoded pieces is the plain encoder's line.

``connection_json`` encodes the pieces that connections repeat (extensions, code lists,
certificates) once and splices them in (:mod:`tlslens.report.json_fragments`). On every
fixture and corpus capture, in every language, its bytes must be exactly those of
``encode(connection_to_dict(...), indent=False)``; and the pieces orjson refuses alone,
the bounds of the caches and reused addresses must not change that.
"""

from __future__ import annotations

import gc
from pathlib import Path

import orjson
import pytest

from tests.corpus.truth_compare import corpus_captures
from tlslens.analysis.model import evolve
from tlslens.pipeline import Options, iter_connections
from tlslens.report import json_fragments
from tlslens.report.i18n import CATALOGUES
from tlslens.report.json_report import connection_json, connection_to_dict, encode
from tlslens.tls.messages import Extension

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CAPTURES = [*sorted(FIXTURES.rglob("*.pcap*")), *corpus_captures()]
SEED = FIXTURES / "seed" / "seed.pcap"


def _plain_line(conn: object, lang: str) -> bytes:
    return encode(connection_to_dict(conn, lang), indent=False).encode("utf-8")  # type: ignore[arg-type]


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_line_is_the_plain_encoding(path: Path) -> None:
    conns = list(iter_connections(str(path), options=Options()))
    for lang in CATALOGUES:
        for conn in conns:
            assert connection_json(conn, lang) == _plain_line(conn, lang), (lang, conn.id)


def test_seed_lines_are_the_same_twice_and_after_the_caches_are_cleared() -> None:
    conns = list(iter_connections(str(SEED), options=Options()))
    assert conns
    first = [connection_json(c) for c in conns]
    assert [connection_json(c) for c in conns] == first  # from the caches
    json_fragments.clear()
    assert [connection_json(c) for c in conns] == first
    assert all(orjson.loads(line) == connection_to_dict(c) for line, c in zip(first, conns))


def test_a_piece_orjson_refuses_stays_plain_and_the_line_falls_back() -> None:
    big = {"n": 1 << 70}
    assert json_fragments.fragment(big) is big
    keyed = {1: "x"}
    assert json_fragments.fragment(keyed) is keyed
    conn = next(iter_connections(str(SEED), options=Options()))
    odd = evolve(conn, decryption={"counter": 1 << 70})
    assert connection_json(odd) == _plain_line(odd, "en")
    assert b'"counter":1180591620717411303424' in connection_json(odd)


def test_an_extension_orjson_refuses_alone_still_encodes_the_same() -> None:
    conn = next(iter_connections(str(SEED), options=Options()))
    hello = conn.client_hellos[0]
    ext = Extension(0xAAAA, b"\x01", data={"big": 1 << 70})
    odd_hello = evolve(hello.hello, extensions=(*hello.hello.extensions, ext))
    odd = evolve(conn, client_hellos=(evolve(hello, hello=odd_hello),))
    assert connection_json(odd) == _plain_line(odd, "en")


def test_caches_stay_bounded() -> None:
    json_fragments.clear()
    kept = [Extension(0xAAAA, bytes([i % 256, i // 256])) for i in range(
        json_fragments.CACHE_MAX + 10)]
    for ext in kept:
        json_fragments.extension(ext, lambda e: {"code": e.code})
    assert len(json_fragments._EXTENSIONS) <= json_fragments.CACHE_MAX
    for i in range(json_fragments.CACHE_MAX + 10):
        json_fragments.coded_list("groups", (i,), lambda t, v: [{"code": v[0]}])
    assert len(json_fragments._LISTS) <= json_fragments.CACHE_MAX


def test_an_address_reused_by_another_object_is_not_a_hit() -> None:
    json_fragments.clear()
    # The entry keeps its object alive, so a new object can never take its address
    # while the entry is there; after a clear, the new object gets its own piece.
    first = Extension(0xAAAA, b"a", data="first")
    piece = json_fragments.extension(first, lambda e: {"data": e.data})
    assert bytes(orjson.dumps(piece)) == b'{"data":"first"}'
    json_fragments.clear()
    del first
    gc.collect()
    for n in range(200):  # whatever address they land at, each gets its own text
        ext = Extension(0xAAAA, b"a", data=f"other{n}")
        piece = json_fragments.extension(ext, lambda e: {"data": e.data})
        assert orjson.dumps(piece) == f'{{"data":"other{n}"}}'.encode()
        json_fragments.clear()
