"""`tlslens fingerprint` and fingerprint stability under TCP segmentation (issue 5).

The split test re-segments the real bytes of the seed fixture's connection: the
ClientHello cut into many small TCP segments, delivered in order and out of order, must
give exactly the fingerprints of the original one-segment ClientHello (single-segment
parsers miss such hellos: post-quantum key shares make them common).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import random
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import tlslens
from tests.pcapwriter import eth, ipv4, tcp, write_pcap
from tlslens.capture.reader import open_capture
from tlslens.packets.decoder import PacketDecoder

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seed" / "seed.pcap"
SYN, ACK, PSH = 0x02, 0x10, 0x08


def _streams(path: Path) -> tuple[bytes, bytes]:
    """The client and server byte streams of the seed's one connection (in order)."""
    dec = PacketDecoder()
    client, server = bytearray(), bytearray()
    for item in open_capture(path):
        seg = dec.decode(item)  # type: ignore[arg-type]
        if seg is None or not seg.payload:
            continue
        (client if seg.dport == 443 else server).extend(seg.payload)
    return bytes(client), bytes(server)


def _capture(client: bytes, server: bytes, cuts: list[int], shuffle: bool) -> bytes:
    """A capture of one connection carrying ``client`` cut at ``cuts`` and ``server``."""
    c_isn, s_isn = 1000, 9000
    pkts = [eth(ipv4(tcp(sport=50000, dport=443, seq=c_isn - 1, flags=SYN),
                     src="10.0.0.1", dst="10.0.0.2")),
            eth(ipv4(tcp(sport=443, dport=50000, seq=s_isn - 1, ack=c_isn, flags=SYN | ACK),
                     src="10.0.0.2", dst="10.0.0.1"))]
    bounds = [0, *cuts, len(client)]
    segs = [eth(ipv4(tcp(client[a:b], sport=50000, dport=443, seq=c_isn + a, ack=s_isn),
                     src="10.0.0.1", dst="10.0.0.2")) for a, b in itertools.pairwise(bounds)]
    if shuffle:
        random.Random(7).shuffle(segs)
    pkts += segs
    pkts.append(eth(ipv4(tcp(server, sport=443, dport=50000, seq=s_isn,
                             ack=c_isn + len(client)), src="10.0.0.2", dst="10.0.0.1")))
    buf = io.BytesIO()
    write_pcap(buf, pkts)
    return buf.getvalue()


@pytest.mark.parametrize("shuffle", [False, True], ids=["in-order", "out-of-order"])
def test_split_client_hello_gives_the_same_fingerprints(tmp_path: Path, shuffle: bool) -> None:
    client, server = _streams(SEED)
    hello_len = 5 + int.from_bytes(client[3:5], "big")
    whole = tmp_path / "whole.pcap"
    whole.write_bytes(_capture(client, server, [hello_len], shuffle=False))
    split = tmp_path / "split.pcap"
    cuts = [1, 3, 5, 9, 40, 77, 150, hello_len - 1, hello_len]
    split.write_bytes(_capture(client, server, cuts, shuffle=shuffle))
    a = tlslens.analyze(str(whole)).connections[0]
    b = tlslens.analyze(str(split)).connections[0]
    assert a.fingerprints.ja4 == "t12d1410h1_c866b44c5a26_72e2ee75a01d"
    assert b.fingerprints == a.fingerprints
    assert b.client_hellos[0].hello.raw == a.client_hellos[0].hello.raw or \
        b.client_hellos[0].hello.cipher_suites == a.client_hellos[0].hello.cipher_suites


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tlslens.cli", *args], capture_output=True,
                          text=True, timeout=60, check=False)


def test_fingerprint_command_formats() -> None:
    expected = tlslens.analyze(str(SEED)).connections[0].fingerprints
    text = _cli("fingerprint", str(SEED))
    assert text.returncode == 0, text.stderr
    header, line = text.stdout.splitlines()
    assert header.split() == ["id", "client", "server", "sni", "ja3", "ja3n", "ja4", "ja3s"]
    cells = line.split()
    assert cells[3] == "rakuten.prod.ondemandconnectivity.com"
    assert cells[4:] == [expected.ja3, expected.ja3n, expected.ja4, expected.ja3s]
    js = json.loads(_cli("fingerprint", str(SEED), "--format", "json").stdout)
    assert js[0]["ja4"] == expected.ja4 and js[0]["server"] == "127.0.0.1:443"
    rows = list(csv.DictReader(io.StringIO(_cli("fingerprint", str(SEED), "--format",
                                                "csv").stdout)))
    assert rows[0]["ja3s"] == expected.ja3s


def test_fingerprint_command_bad_input(tmp_path: Path) -> None:
    empty = tmp_path / "empty.pcap"
    empty.write_bytes(b"")
    res = _cli("fingerprint", str(empty))
    assert res.returncode == 2
    assert res.stdout == ""
    assert len(res.stderr.strip().splitlines()) == 1


CORPUS = Path(__file__).resolve().parents[4] / "shared" / "corpus"


@pytest.mark.skipif(not (CORPUS / "pcaps").is_dir(), reason="corpus absent")
def test_fingerprint_command_matches_ja4_reference() -> None:
    """Suricata's expected JA4 for its ja4-tls capture, through the command."""
    name = "suricata__ja4-tls.pcap"
    peer = json.loads((CORPUS / "peer_expected" / f"{name}.json").read_text())
    rows = json.loads(_cli("fingerprint", str(CORPUS / "pcaps" / name), "--format",
                           "json").stdout)
    assert rows and rows[0]["ja4"] in json.dumps(peer)


def test_a_run_collects_garbage_less_often_and_leaves_the_modules_alone(
        tmp_path: Path) -> None:
    """The command line raises the collector's first threshold for its run and freezes
    the imported modules' objects (tlslens.cli._tune_gc); the output is unchanged."""
    import gc

    from tlslens.cli import GC_THRESHOLD, main

    before = gc.get_threshold()
    try:
        gc.set_threshold(700, *before[1:])
        assert main(["fingerprint", str(SEED), "-o", str(tmp_path / "fp.txt")]) == 0
        assert gc.get_threshold()[0] == GC_THRESHOLD
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
    lines = (tmp_path / "fp.txt").read_text().splitlines()
    assert lines[0].split() == ["id", "client", "server", "sni", "ja3", "ja3n", "ja4", "ja3s"]
    assert len(lines) == 2


def test_lines_are_flushed_one_by_one_only_where_a_reader_waits(tmp_path: Path) -> None:
    """A pipe gets each line at once (tlslens.commands.line_flusher); a file is written
    in blocks (a flush per line there was a system call per connection)."""
    import os

    from tlslens.commands import line_flusher

    with (tmp_path / "out.txt").open("w") as f:
        assert line_flusher(f) is None
    with open(os.devnull, "w") as f:
        assert line_flusher(f) is None
    r, w = os.pipe()
    with os.fdopen(w, "w") as f:
        assert line_flusher(f) == f.flush
    os.close(r)
    assert line_flusher(io.StringIO()) is not None  # not a real file: as before


def test_byte_lines_reach_a_file_a_pipe_and_a_text_stream_alike(tmp_path: Path) -> None:
    """tlslens.commands.write_byte_lines (the NDJSON report): the same text everywhere;
    through a pipe each line leaves before the next is made."""
    import os
    import threading

    from tlslens.commands import WRITE_CHUNK, write_byte_lines

    lines = [b'{"a":1}', "{\"b\":\"\u00e9\"}".encode(), b"x" * (WRITE_CHUNK + 5), b"{}"]
    expected = b"".join(line + b"\n" for line in lines)
    path = tmp_path / "out.ndjson"
    with path.open("w", encoding="utf-8") as f:
        f.write("first\n")  # already in the text layer: must come first
        write_byte_lines(iter(lines), f)
    assert path.read_bytes() == b"first\n" + expected
    text = io.StringIO()
    write_byte_lines(iter(lines), text)
    assert text.getvalue().encode() == expected

    r, w = os.pipe()
    seen: list[bytes] = []
    reader = threading.Thread(target=lambda: seen.append(os.read(r, 100)))
    reader.start()

    def produce() -> Iterator[bytes]:
        yield b'{"first":1}'
        reader.join(timeout=10)  # the first line must have arrived without more lines
        yield b'{"second":2}'

    with os.fdopen(w, "w") as f:
        write_byte_lines(produce(), f)
    assert seen == [b'{"first":1}\n']
    assert os.read(r, 100) == b'{"second":2}\n'
    os.close(r)


def test_byte_lines_made_before_an_error_are_written(tmp_path: Path) -> None:
    from tlslens.commands import write_byte_lines

    def lines() -> Iterator[bytes]:
        yield b'{"a":1}'
        yield b'{"b":2}'
        raise RuntimeError("a bug after two connections")

    path = tmp_path / "out.ndjson"
    with path.open("w", encoding="utf-8") as f, pytest.raises(RuntimeError):
        write_byte_lines(lines(), f)
    assert path.read_bytes() == b'{"a":1}\n{"b":2}\n'
