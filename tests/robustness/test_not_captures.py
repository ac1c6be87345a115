"""Input that is no capture at all, or a broken one: one clear line, a documented exit.

README "Exit codes": 0 analysis done (problems in the capture are anomalies); 2 the input
is missing, unreadable, empty or not a capture, with one line on stderr; never a
traceback. The API raises only CaptureFormatError for the same inputs. The CLI runs as a
subprocess for each case here (started together, so the sample stays fast).
"""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from tests.corpus.truth_compare import corpus_captures
from tests.robustness.harness import check_api, finish_cli, start_cli
from tests.robustness.test_mutations import cut_points, flipped

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "seed" / "seed.pcap"
PCAP_HEADER = bytes.fromhex("d4c3b2a1020004000000000000000000ffff000001000000")
PCAPNG_SHB = bytes.fromhex("0a0d0d0a1c0000004d3c2b1a01000000ffffffffffffffff1c000000")

#: Inputs that are no capture: the API raises CaptureFormatError, the CLI exits 2.
NOT_CAPTURES: dict[str, bytes] = {
    "empty": b"",
    "text": b"GET / HTTP/1.1\r\nHost: example.test\r\n\r\n",
    "png": bytes.fromhex("89504e470d0a1a0a0000000d49484452"),
    "one byte": b"\xd4",
    "pcap magic, header cut": PCAP_HEADER[:10],
    "pcapng magic, bad byte order": PCAPNG_SHB[:8] + b"\x00\x00\x00\x00" + PCAPNG_SHB[12:],
    "pcapng version 2": PCAPNG_SHB[:12] + b"\x02\x00" + PCAPNG_SHB[14:],
    "gzip of nothing": gzip.compress(b"", mtime=0),
    "gzip of text": gzip.compress(b"hello, world\n" * 10, mtime=0),
    "gzip header only": gzip.compress(SEED.read_bytes(), mtime=0)[:10],
    "gzip magic then garbage": b"\x1f\x8b" + bytes(range(64)),
}

#: Broken captures that still are captures: reported with anomalies, exit 0.
BROKEN: dict[str, bytes] = {
    "pcap header only": PCAP_HEADER,
    "pcapng header only": PCAPNG_SHB,
    "seed cut mid-packet": SEED.read_bytes()[:1000],
    "seed gzip cut": gzip.compress(SEED.read_bytes(), mtime=0)[:900],
    "seed gzip with trailing garbage": gzip.compress(SEED.read_bytes(), mtime=0) + b"junk",
    "pcap with a 1 GB record length": PCAP_HEADER + bytes(8) + bytes.fromhex("0000004000000040"),
}


@pytest.mark.parametrize("name", NOT_CAPTURES)
def test_api_refuses_non_captures(name: str) -> None:
    assert check_api(NOT_CAPTURES[name], name) is None


@pytest.mark.parametrize("name", BROKEN)
def test_api_reports_broken_captures(name: str) -> None:
    result = check_api(BROKEN[name], name, text=True)
    assert result is not None


def test_api_refuses_a_directory_and_a_missing_file(tmp_path: Path) -> None:
    from tlslens.capture.reader import CaptureFormatError
    from tlslens.pipeline import analyze

    for path in (tmp_path, tmp_path / "missing.pcap"):
        with pytest.raises(CaptureFormatError) as info:
            analyze(str(path))
        assert str(path) in str(info.value) and "\n" not in str(info.value)


def test_cli_sample(tmp_path: Path) -> None:
    """The CLI on every refused kind, every broken kind, a directory, a missing file,
    standard input, and (when the corpus is there) a cut and a flipped corpus capture;
    all started at once, then each checked."""
    cases: list[tuple[str, list[str], bytes | None, int | None]] = []
    sample = ("empty", "text", "pcapng magic, bad byte order", "gzip of text",
              "gzip header only", "seed cut mid-packet", "seed gzip cut",
              "pcap with a 1 GB record length")
    for i, name in enumerate(sample):
        data = NOT_CAPTURES.get(name, BROKEN.get(name, b""))
        path = tmp_path / f"case{i}.pcap"
        path.write_bytes(data)
        fmt = ["--format", "json"] if i % 2 else []
        cases.append((name, ["analyze", str(path), *fmt], None, 2 if name in NOT_CAPTURES
                      else 0))
    cases += [
        ("directory", ["analyze", str(tmp_path)], None, 2),
        ("missing", ["analyze", str(tmp_path / "missing.pcap")], None, 2),
        ("empty stdin", ["analyze", "-"], b"", 2),
        ("text stdin", ["analyze", "-"], b"not a capture\n", 2),
        ("seed cut on stdin", ["analyze", "-", "--format", "json"],
         SEED.read_bytes()[:3000], 0),
    ]
    corpus = corpus_captures()
    if corpus:
        capture = max(corpus, key=lambda p: p.stat().st_size)
        data = capture.read_bytes()
        cut = tmp_path / "cut.pcap"
        cut.write_bytes(data[:cut_points(capture, len(data))[5]])
        bad = tmp_path / "flipped.pcap.gz"
        bad.write_bytes(gzip.compress(flipped(data, capture, 3, 1 / 16), mtime=0))
        cases += [("corpus cut", ["analyze", str(cut)], None, 0),
                  ("corpus flipped gz", ["analyze", str(bad), "--color", "always"], None,
                   None)]  # heavy damage may hit the file header: refused or reported
    procs = [(name, start_cli(args, stdin), stdin, code) for name, args, stdin, code in cases]
    for name, proc, stdin, code in procs:
        run = finish_cli(proc, stdin, name)
        assert code in (None, run.code), f"{name}: exit {run.code}, wanted {code}"
        if run.code == 0:
            assert run.stdout, name
