"""No traceback, no hang: every corpus capture cut, bit-flipped and gzip-compressed.

Issue 2's "done when": on any corpus capture, on each cut at 10 random points, with random
bytes changed, or gzip-compressed (whole or cut), tlslens either reports (a schema-valid
report, no ``internal.error``) or refuses with one :class:`CaptureFormatError` line. The
cases are seeded, so a failure names a case that replays exactly. Skipped when
../shared/corpus is absent. The CLI contract is checked on a sample in
test_not_captures.py; here the API runs, which is what the CLI calls.
"""

from __future__ import annotations

import gzip
import random
from pathlib import Path

import pytest

from tests.corpus.truth_compare import corpus_captures
from tests.pcapwriter import Pcapng, eth, ipv4, tcp
from tests.robustness.harness import check_api

CAPTURES = corpus_captures()
CUTS = 10
#: (seed, fraction of bytes replaced): one byte, a sprinkle, heavy damage.
FLIPS = ((1, 0.0), (2, 1 / 200), (3, 1 / 16))


def _rng(capture: Path, what: str) -> random.Random:
    return random.Random(f"{capture.name}:{what}")


def cut_points(capture: Path, size: int) -> list[int]:
    rng = _rng(capture, "cut")
    return sorted(rng.randrange(1, size) for _ in range(CUTS))


def flipped(data: bytes, capture: Path, seed: int, fraction: float) -> bytes:
    """``data`` with ``max(1, fraction * len)`` random bytes set to random values."""
    rng = _rng(capture, f"flip{seed}")
    out = bytearray(data)
    for _ in range(max(1, int(len(out) * fraction))):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


pytestmark = pytest.mark.skipif(not CAPTURES, reason="../shared/corpus is absent")


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_cut_at_ten_random_points(capture: Path) -> None:
    data = capture.read_bytes()
    for point in cut_points(capture, len(data)):
        check_api(data[:point], f"{capture.name} cut at {point}")


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_random_bytes_changed(capture: Path) -> None:
    data = capture.read_bytes()
    for seed, fraction in FLIPS:
        check_api(flipped(data, capture, seed, fraction),
                  f"{capture.name} flip seed {seed} ({fraction:.3f})", text=seed == 3)


@pytest.mark.parametrize("capture", CAPTURES, ids=lambda p: p.name)
def test_gzip_whole_and_cut(capture: Path) -> None:
    data = capture.read_bytes()
    plain = check_api(data, capture.name)
    assert plain is not None
    packed = gzip.compress(data, mtime=0)
    unpacked = check_api(packed, f"{capture.name}.gz")
    assert unpacked is not None and unpacked.capture.compressed
    assert unpacked.to_dict()["connections"] == plain.to_dict()["connections"]
    assert unpacked.stats == plain.stats
    point = _rng(capture, "gzcut").randrange(11, len(packed))
    cut = check_api(packed[:point], f"{capture.name}.gz cut at {point}")
    if cut is not None:  # refused only when the cut leaves no whole file header
        ids = {a.id for a in cut.anomalies}
        assert ids & {"capture.truncated", "capture.gzip_error"}, ids


# -- regressions found by the cases above, each with its minimal bytes ---------------------
def _tls_alert_packet() -> bytes:
    """One client packet holding one TLS alert record: the least that makes a TLS
    connection (and so a connection whose times are printed)."""
    return eth(ipv4(tcp(bytes.fromhex("15030300020228"), sport=50000, dport=443)))


@pytest.mark.parametrize("units", [1 << 62, (1 << 64) - 1])
def test_pcapng_time_after_year_9999(units: int) -> None:
    """A flipped bit in an EPB's timestamp gave a year past 9999: the JSON report raised
    ValueError formatting it (found on ja4__tls-handshake.pcapng, flip seed 0)."""
    png = Pcapng().section()
    png.interface(1)
    png.packet(_tls_alert_packet(), ts_ns=1_700_000_000 * 10**9)
    png.packet(_tls_alert_packet(), ts_ns=units * 1000)  # if_tsresol default: microseconds
    result = check_api(png.to_bytes(), "pcapng time past 9999", text=True)
    assert result is not None
    assert [a.id for a in result.anomalies] == ["capture.bad_timestamp"]
    doc = result.to_dict()
    assert doc["capture"]["last_time"] == doc["capture"]["first_time"] == \
        "2023-11-14T22:13:20.000000Z"


def test_pcapng_time_before_1970() -> None:
    """A negative if_tsoffset moves times before 1970: kept at the previous packet's."""
    png = Pcapng().section()
    png.interface(1, tsoffset=-(1 << 40))
    png.packet(_tls_alert_packet(), ts_ns=-(1 << 40) * 10**9)  # 0 units on the wire
    result = check_api(png.to_bytes(), "pcapng time before 1970", text=True)
    assert result is not None
    assert [a.id for a in result.anomalies] == ["capture.bad_timestamp"]
    assert result.to_dict()["capture"]["first_time"] == "1970-01-01T00:00:00.000000Z"
