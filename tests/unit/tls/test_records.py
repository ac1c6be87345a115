"""The record layer (tls/records.py), h11-style: the same bytes in any chunking give the
same records. Streams are real handshakes between two OpenSSL endpoints
(tests/tlsbytes.py); a plain RFC 8446 5.1 walker is the oracle.
"""

from __future__ import annotations

import random

import pytest

from tests.tlsbytes import plain_records, tls12, tls13, tls13_hrr
from tlslens.tls.records import MAX_RECORD, Record, RecordStream
from tlslens.tls.session import TlsSession


def key(recs: list[Record]) -> list[tuple[int, int, int, bytes | None, int]]:
    return [(r.content_type, r.version, r.length, r.fragment, r.offset) for r in recs]


def run(data: bytes, cuts: list[int], *, midstream: bool = False,
        skipping_after: int | None = None) -> tuple[list[Record], RecordStream]:
    """Feed ``data`` cut at ``cuts`` (sorted offsets); optionally switch to skip mode once
    ``skipping_after`` records came out (as the session does after the handshake)."""
    rs = RecordStream(0, midstream)
    out: list[Record] = []
    bounds = [0, *cuts, len(data)]
    for i in range(len(bounds) - 1):
        out += rs.feed(data[bounds[i]:bounds[i + 1]], i + 1, 0)
        if skipping_after is not None and len(out) >= skipping_after:
            rs.skipping = True
    rs.finish(len(bounds))
    return out, rs


STREAMS = {"tls12-client": lambda: tls12().stream(0), "tls12-server": lambda: tls12().stream(1),
           "tls13-server": lambda: tls13().stream(1), "hrr-client": lambda: tls13_hrr().stream(0)}


@pytest.mark.parametrize("name", sorted(STREAMS))
def test_whole_bytewise_and_random_chunks_agree(name: str) -> None:
    data = STREAMS[name]()
    whole, rs = run(data, [])
    expect = plain_records(data)
    assert [(r.content_type, r.version, r.fragment) for r in whole] == expect
    assert not rs.anomalies and rs.found_at == 0
    bytewise, _ = run(data, list(range(1, len(data))))
    assert key(bytewise) == key(whole)
    rng = random.Random(name)
    for _ in range(20):
        cuts = sorted(rng.sample(range(1, len(data)), rng.randint(1, 30)))
        assert key(run(data, cuts)[0]) == key(whole)


def test_frame_is_the_packet_that_completed_the_record() -> None:
    data = tls12().stream(1)
    first = plain_records(data)[0]
    out, _ = run(data, [3, 10, 5 + len(first[2])])
    assert [r.frame for r in out][:2] == [3, 4]


def test_tls_after_a_plaintext_preamble() -> None:
    """SMTP STARTTLS: text lines, then the ClientHello, found by content on any port."""
    preamble = (b"EHLO client.test\r\nSTARTTLS\r\n"
                b"220 2.0.0 Ready to start TLS but here is \x16\x03 noise\r\n")
    data = tls12().stream(0)
    for cuts in ([], [len(preamble) - 3], list(range(1, len(preamble) + 20))):
        out, rs = run(preamble + data, cuts)
        assert [(r.content_type, r.fragment) for r in out] == \
            [(t, f) for t, _, f in plain_records(data)]
        assert rs.found_at == len(preamble)
        assert out[0].offset == len(preamble)
        assert not rs.anomalies


def test_plaintext_only_gives_up_after_the_search_limit() -> None:
    rs = RecordStream(0)
    text = b"GET / HTTP/1.1\r\nHost: example\r\n\r\n" * 4000
    assert rs.feed(text, 1, 0) == []
    assert rs.state == "dead"
    assert rs.feed(tls12().stream(0), 2, 0) == []


def test_midstream_start_inside_a_record() -> None:
    """Capture starting in the middle of a record: the next record boundary is found by
    a plausible header followed by another."""
    data = tls12().stream(1)
    recs = plain_records(data)
    start = 5 + len(recs[0][2]) - 40  # 40 bytes before the second record
    out, rs = run(data[start:], [], midstream=True)
    assert [(r.content_type, r.fragment) for r in out] == [(t, f) for t, _, f in recs[1:]]
    assert rs.found_at == 40


def sslv2_client_hello() -> bytes:
    """An SSLv2-compatible ClientHello (RFC 5246 E.2): 2-byte header with the top bit,
    msg_type 1, version 3.1, cipher specs, no session id, 16-byte challenge."""
    specs = bytes.fromhex("00c02b" "00002f" "000035" "010080")
    challenge = bytes(range(16))
    body = bytes([1, 3, 1]) + len(specs).to_bytes(2, "big") + b"\0\0" + \
        len(challenge).to_bytes(2, "big") + specs + challenge
    return bytes([0x80 | (len(body) >> 8), len(body) & 0xFF]) + body


def test_sslv2_hello_detected_at_stream_start() -> None:
    hello = sslv2_client_hello()
    out, rs = run(hello, [])
    assert [(r.content_type, r.version, r.fragment) for r in out] == [(-1, 2, hello[2:])]
    assert not rs.anomalies
    # then the TLS server's answer on the other side parses as TLS records: the client
    # side goes on with TLS records after the SSLv2 hello
    rest = tls12().stream(0)[5 + len(plain_records(tls12().stream(0))[0][2]):]
    out, _ = run(hello + rest, [1])
    assert out[0].content_type == -1 and out[1].content_type == 22


def test_sslv2_bytes_not_at_stream_start_are_not_a_hello() -> None:
    out, _rs = run(b"xyz" + sslv2_client_hello(), [])
    assert out == []


@pytest.mark.parametrize("rec", [tls12, tls13])
def test_skip_mode_counts_application_data_like_the_full_path(rec) -> None:
    """After the handshake the session only walks record headers; the counts must be
    the same as when every record is read, in any chunking."""
    r = rec()
    for side in (0, 1):
        data = r.stream(side)
        recs = plain_records(data)
        want = (sum(1 for t, _, _ in recs if t == 23), sum(len(f) for t, _, f in recs if t == 23))
        rng = random.Random(side)
        for trial in range(15):
            cuts = [] if trial == 0 else sorted(rng.sample(range(1, len(data)),
                                                           rng.randint(1, 40)))
            counts = []
            for skip in (False, True):
                s = TlsSession(client_side=0, skip_after_handshake=skip)
                bounds = [0, *cuts, len(data)]
                for i in range(len(bounds) - 1):
                    s.on_data(side, data[bounds[i]:bounds[i + 1]], i + 1, 0)
                counts.append(s.application_data(side))
            assert counts[0] == counts[1] == want, (side, cuts)


def test_skip_mode_still_reports_non_data_records() -> None:
    data = tls12().stream(0)
    recs = plain_records(data)
    out, rs = run(data, sorted(random.Random(3).sample(range(1, len(data)), 25)),
                  skipping_after=1)
    kept = [(r.content_type, r.length) for r in out]
    assert kept == [(t, len(f)) for t, _, f in recs if t != 23]
    assert out[0].fragment == recs[0][2]  # read before skip mode
    assert all(r.fragment is None for r in out[-2:])  # CCS/alert after it: headers only
    assert rs.app_records == sum(1 for t, _, _ in recs if t == 23)


@pytest.mark.parametrize(("header", "aid"), [
    (bytes([23, 3, 3]) + (MAX_RECORD + 1).to_bytes(2, "big"), "tls.record.bad_length"),
    (bytes([22, 3, 3, 0, 0]), "tls.record.empty"),
    (bytes([99, 3, 3, 0, 20]), "tls.record.bad_type"),
    (bytes([23, 3, 9, 0, 20]), "tls.record.bad_version"),
    (bytes([23, 2, 0, 0, 20]), "tls.record.bad_version"),
    (b"HTTP/", "tls.not_tls"),
])
def test_bad_record_header_then_resync(header: bytes, aid: str) -> None:
    data = tls12().stream(0)
    recs = plain_records(data)
    first = 5 + len(recs[0][2])
    stream = data[:first] + header + b"\x00" * 30 + data[first:]
    for cuts in ([], list(range(1, len(stream)))):
        out, rs = run(stream, cuts)
        assert [a.id for a in rs.anomalies] == [aid, "tcp.resync"]
        assert rs.anomalies[0].offset == first
        assert rs.anomalies[1].offset == first + 35
        assert [(r.content_type, r.fragment) for r in out] == \
            [(t, f) for t, _, f in recs]


def test_gap_then_resync_at_the_next_record() -> None:
    data = tls12().stream(1)
    recs = plain_records(data)
    rs = RecordStream(1)
    out = rs.feed(data[:300], 1, 0)
    rs.gap(100, 2)
    out += rs.feed(data[400:], 3, 0)
    rs.finish(3)
    assert [a.id for a in rs.anomalies] == ["tcp.resync"]
    # every record that starts after the hole comes out, with its true stream offset
    starts, p = [], 0
    for _, _, f in recs:
        starts.append(p)
        p += 5 + len(f)
    after = [s for s in starts if s >= 400]
    assert [r.offset for r in out if r.offset >= 400] == after
    assert rs.anomalies[0].offset == after[0]


def test_gap_inside_a_skipped_payload_needs_no_resync() -> None:
    data = tls12().stream(0)
    recs = plain_records(data)
    rs = RecordStream(0)
    rs.skipping = True
    big = bytes([23, 3, 3, 0x10, 0x00]) + bytes(4096)
    stream = data + big + data[-31:]  # the last record again (the alert)
    rs.feed(stream[:len(data) + 100], 1, 0)
    rs.gap(1000, 2)
    rs.feed(stream[len(data) + 1100:], 3, 0)
    rs.finish(3)
    assert rs.anomalies == []
    assert rs.app_records == sum(1 for t, _, _ in recs if t == 23) + 1


def test_truncated_at_the_end() -> None:
    data = tls12().stream(1)
    out, rs = run(data[:-7], [])
    assert [a.id for a in rs.anomalies] == ["tls.record.truncated"]
    last = plain_records(data)[-1]
    assert f"{5 + len(last[2]) - 7} byte(s) into a record" in rs.anomalies[0].detail
    assert len(out) == len(plain_records(data)) - 1


# -- the compiled splitter (tlslens.tls._fastrec) gives what the Python loop gives --------

def _state(out: list[Record], rs: RecordStream) -> tuple[object, ...]:
    return (out, [(a.id, a.detail, a.frame, a.offset) for a in rs.anomalies], rs.base,
            bytes(rs.buf), rs.state, rs.skip, rs.skip_rec, rs.app_records, rs.app_bytes,
            rs.found_at, rs.sslv2)


def _both_ways(monkeypatch: pytest.MonkeyPatch, data: bytes, cuts: list[int],
               skipping_after: int | None, midstream: bool = False) -> None:
    from tlslens.tls import records

    with_c = _state(*run(data, cuts, midstream=midstream, skipping_after=skipping_after))
    with monkeypatch.context() as m:
        m.setattr(records, "_split", None)
        python = _state(*run(data, cuts, midstream=midstream, skipping_after=skipping_after))
    assert with_c == python


def _garbled(rng: random.Random, data: bytes) -> bytes:
    """Real records with others mixed in: alerts, ChangeCipherSpec, application data,
    and odd ones: bad lengths, bad types, an SSLv2-looking byte, an empty record, cut
    records, stray bytes."""
    parts = [data]
    for _ in range(rng.randint(1, 4)):
        kind = rng.choice(["bad_len", "bad_type", "sslv2", "empty", "cut", "stray", "app",
                           "alert", "ccs"])
        if kind == "bad_len":
            parts.append(b"\x16\x03\x03" + (MAX_RECORD + 1).to_bytes(2, "big"))
        elif kind == "bad_type":
            parts.append(b"\x63\x03\x03\x00\x02ab")
        elif kind == "sslv2":
            parts.append(b"\x80\x2e\x01\x03\x01" + rng.randbytes(0x2e - 3))
        elif kind == "empty":
            parts.append(b"\x17\x03\x03\x00\x00")
        elif kind == "cut":
            parts.append(b"\x17\x03\x03\x01\x00" + rng.randbytes(rng.randrange(256)))
        elif kind == "alert":
            parts.append(b"\x15\x03\x03\x00\x02\x01\x00")
        elif kind == "ccs":
            parts.append(b"\x14\x03\x03\x00\x01\x01")
        elif kind == "stray":
            parts.append(rng.randbytes(rng.randrange(1, 9)))
        else:
            n = rng.randrange(1, 3000)
            parts.append(b"\x17\x03\x03" + n.to_bytes(2, "big") + rng.randbytes(n))
        rng.shuffle(parts)
    return b"".join(parts)


@pytest.mark.skipif(not __import__("tlslens.tls.records", fromlist=["COMPILED"]).COMPILED,
                    reason="tlslens.tls._fastrec is not built")
@pytest.mark.parametrize("seed", range(40))
def test_compiled_split_gives_what_the_python_loop_gives(
        seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(seed)
    data = STREAMS[sorted(STREAMS)[seed % len(STREAMS)]]()
    if seed % 2:
        data = _garbled(rng, data)
    cuts = sorted(rng.sample(range(1, len(data)), min(len(data) - 1, rng.randint(0, 12))))
    skipping_after = rng.choice([None, 1, 2, 3])
    _both_ways(monkeypatch, data, cuts, skipping_after, midstream=seed % 5 == 0)


@pytest.mark.skipif(not __import__("tlslens.tls.records", fromlist=["COMPILED"]).COMPILED,
                    reason="tlslens.tls._fastrec is not built")
def test_reports_are_the_same_without_the_compiled_split(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fixture and corpus capture: the whole JSON report, split in C or not."""
    from pathlib import Path

    from tests.corpus.truth_compare import corpus_captures
    from tlslens.pipeline import analyze
    from tlslens.report.json_report import encode, result_to_dict
    from tlslens.tls import records

    fixtures = Path(__file__).resolve().parents[2] / "fixtures"
    captures = [*sorted(fixtures.rglob("*.pcap*")), *corpus_captures()]
    with_c = [encode(result_to_dict(analyze(str(p)))) for p in captures]
    monkeypatch.setattr(records, "_split", None)
    assert [encode(result_to_dict(analyze(str(p)))) for p in captures] == with_c
