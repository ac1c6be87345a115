"""Direct paths of extension decoders give exactly what the Reader path gives.

``_key_share_client`` reads a well-formed client_shares vector straight from the bytes
(tlslens.tls.extensions._key_shares_direct); on anything else the Reader path runs. On
real and mutated bodies both must return the same value, stop at the same position, or
raise the same error.
"""

from __future__ import annotations

import random

from tlslens.tls.extensions import _key_share_client, _key_share_entry
from tlslens.tls.reader import DecodeError, Reader


def _reader_path(body: bytes) -> tuple[object, int]:
    r = Reader(body)
    try:
        return r.vector(2, _key_share_entry, "client_shares"), r.pos
    except DecodeError as exc:
        return ("error", str(exc)), -1


def _direct(body: bytes) -> tuple[object, int]:
    r = Reader(body)
    try:
        return _key_share_client(r), r.pos
    except DecodeError as exc:
        return ("error", str(exc)), -1


def _shares(*entries: tuple[int, bytes]) -> bytes:
    inner = b"".join(g.to_bytes(2, "big") + len(k).to_bytes(2, "big") + k for g, k in entries)
    return len(inner).to_bytes(2, "big") + inner


def test_key_shares_direct_and_reader_paths_agree() -> None:
    rng = random.Random(5)
    bodies = [b"", b"\x00", b"\x00\x00", _shares((29, bytes(32))),
              _shares((0x1A1A, b"\x00"), (29, bytes(range(32))), (23, bytes(65))),
              _shares((0x11EC, bytes(1216))), _shares((29, b""))]
    for base in list(bodies):
        for _ in range(300):
            b = bytearray(base + bytes(rng.randrange(3)))
            for _ in range(rng.randrange(1, 4)):
                if b:
                    b[rng.randrange(len(b))] = rng.choice((0, 1, 2, 4, 32, 0xFF, rng.randrange(256)))
            cut = rng.randrange(len(b) + 1) if rng.random() < 0.3 else len(b)
            bodies.append(bytes(b[:cut]))
    for body in bodies:
        assert _direct(body) == _reader_path(body), body.hex()
