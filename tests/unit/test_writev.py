"""``write_all``: every byte of the pieces, in order, whatever each writev takes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tlslens import writev
from tlslens.writev import IOV_MAX, write_all


def _pieces() -> list[bytes | bytearray | memoryview]:
    out: list[bytes | bytearray | memoryview] = []
    for i in range(3 * IOV_MAX):  # more pieces than one call takes
        size = (i * 37) % 900
        out.append(bytes([i % 251]) * size if i % 3 else bytearray(b"%d;" % i) * (size // 4))
    out[5] = b""
    out[7] = memoryview(b"a view of bytes " * 20)[3:]
    return out


def test_every_piece_arrives_in_order(tmp_path: Path) -> None:
    path = tmp_path / "out"
    pieces = _pieces()
    with open(path, "wb") as f:
        write_all(f.fileno(), pieces)
    assert path.read_bytes() == b"".join(bytes(p) for p in pieces)


@pytest.mark.parametrize("limit", [1, 7, 1000, 4096])
def test_partial_writes_are_resumed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    limit: int) -> None:
    """A writev that takes only ``limit`` bytes (a pipe that is nearly full, a signal)."""
    real = os.writev
    calls: list[int] = []

    def short(fd: int, buffers: list[bytes | memoryview]) -> int:
        assert len(buffers) <= IOV_MAX
        taken, left = [], limit
        for b in buffers:
            if left <= 0:
                break
            taken.append(memoryview(b)[:left])
            left -= len(taken[-1])
        calls.append(1)
        return real(fd, taken) if taken else 0

    monkeypatch.setattr(writev.os, "writev", short)
    path = tmp_path / "out"
    pieces = _pieces()[:300]
    with open(path, "wb") as f:
        write_all(f.fileno(), pieces)
    expected = b"".join(bytes(p) for p in pieces)
    assert path.read_bytes() == expected
    assert len(calls) >= len(expected) // limit


def test_nothing_to_write_makes_no_call(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(writev.os, "writev", lambda fd, b: pytest.fail("called"))
    write_all(1, [])
