"""The ServerKeyExchange signature verifies on every corpus capture where it can be seen.

tshark's truth says which TCP streams show a ClientHello, a ServerHello, the server's
Certificate and a ServerKeyExchange. On each of those tlslens must find the signature
valid with the leaf's key (TLS 1.2 schemes, and the MD5+SHA-1 / SHA-1 forms of SSL 3.0 and
TLS 1.0/1.1, with RSA, DSA and ECDSA keys), and invalid once one byte of the signed params
is flipped. The only allowed exception is a leaf whose public key cannot be read (then
nothing can be checked, and the result is None, never True).
"""

from __future__ import annotations

import dataclasses
from functools import lru_cache
from pathlib import Path

import pytest

import tlslens
from tests.corpus.truth_compare import corpus_captures, truth_of
from tlslens.analysis.verify import verify_server_key_exchange

CAPTURES = corpus_captures()
pytestmark = pytest.mark.skipif(not CAPTURES, reason="../shared/corpus not present")


def _visible(stream: dict) -> bool:  # type: ignore[type-arg]
    return (stream.get("transport") == "tcp" and bool(stream.get("client_hellos"))
            and bool(stream.get("server_hellos")) and bool(stream.get("certificates"))
            and bool(stream.get("server_key_exchanges")))


def _cases() -> list[tuple[Path, str, str]]:
    out = []
    for cap in CAPTURES:
        try:
            truth = truth_of(cap)
        except FileNotFoundError:
            continue
        for s in truth.get("streams", []):
            if _visible(s):
                out.append((cap, s["client"], s["server"]))
    return out


CASES = _cases()


@lru_cache(maxsize=8)
def _result(path: Path):  # type: ignore[no-untyped-def]
    return tlslens.analyze(str(path))


def _endpoint(e) -> str:  # type: ignore[no-untyped-def]
    return f"{e.ip}:{e.port}"  # the truth files write IPv6 without brackets


def _find(path: Path, client: str, server: str):  # type: ignore[no-untyped-def]
    for c in _result(path).connections:
        if {_endpoint(c.client), _endpoint(c.server)} == {client, server}:
            return c
    raise AssertionError(f"{path.name}: no connection {client} <-> {server}")


def test_there_are_many_cases() -> None:
    assert len(CASES) >= 50, len(CASES)


@pytest.mark.parametrize(("path", "client", "server"), CASES,
                         ids=[f"{p.name}:{c}" for p, c, _ in CASES])
def test_ske_signature_verifies_and_fails_when_flipped(path: Path, client: str,
                                                       server: str) -> None:
    c = _find(path, client, server)
    leaf = c.certificates[0]
    if leaf.public_key is None or leaf.public_key.bits == 0:
        assert c.server_key_exchange_valid is None  # nothing to check it with
        return
    assert c.server_key_exchange_valid is True
    ske = c.server_key_exchange
    sh = next(h.hello for h in reversed(c.server_hellos) if not h.hello.hello_retry_request)
    randoms = [h.hello.random for h in reversed(c.client_hellos) if h.hello.random]
    params = bytearray(ske.params)
    params[len(params) // 2] ^= 0x01
    flipped = dataclasses.replace(ske, params=bytes(params))
    assert verify_server_key_exchange(flipped, leaf, randoms, sh.random) is False
