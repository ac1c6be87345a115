"""`tlslens analyze --jobs N` writes the same report, byte for byte, as one process."""

from __future__ import annotations

import io
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import pytest

from tlslens.cli import main
from tlslens.parallel import parallel_possible

ROOT = Path(__file__).resolve().parents[3]
CORPUS = ROOT.parent / "shared" / "corpus" / "pcaps"
CAPTURES = [ROOT / "tests" / "fixtures" / "seed" / "seed.pcap",
            ROOT / "tests" / "fixtures" / "seed13" / "seed13.pcap"]
CAPTURES += [CORPUS / name for name in ("ja4__tls-handshake.pcapng",
                                        "lekensteyn__ssl3-dump.pcapng",
                                        "zeek__google-duplicate.pcap",
                                        "ja4__tls3.pcapng") if (CORPUS / name).exists()]


def _run(*args: str) -> str:
    buf = io.StringIO()
    with redirect_stdout(buf):
        assert main(["analyze", *args, "-q"]) == 0
    return buf.getvalue()


@pytest.mark.skipif(not parallel_possible(str(CAPTURES[0]), 2), reason="no fork here")
@pytest.mark.parametrize("fmt", ["json", "ndjson", "text"])
@pytest.mark.parametrize("capture", [c for c in CAPTURES if c.exists()],
                         ids=lambda p: p.name)
def test_jobs_give_the_same_report(capture: Path, fmt: str) -> None:
    args = [str(capture), "--format", fmt, "--color", "never"]
    assert _run(*args, "--jobs", "2") == _run(*args, "--jobs", "1")


def test_jobs_on_stdin_or_bad_input_fall_back_or_fail_cleanly(tmp_path: Path) -> None:
    assert not parallel_possible("-", 2)
    bad = tmp_path / "bad.pcap"
    bad.write_bytes(b"not a capture at all")
    assert main(["analyze", str(bad), "--jobs", "2", "-q"]) == 2


@pytest.mark.skipif(not parallel_possible(str(CAPTURES[0]), 2), reason="no fork here")
@pytest.mark.parametrize("capture", [c for c in CAPTURES if c.exists()],
                         ids=lambda p: p.name)
def test_fingerprint_jobs_give_the_same_rows(capture: Path) -> None:
    buf1, buf2 = io.StringIO(), io.StringIO()
    with redirect_stdout(buf1):
        assert main(["fingerprint", str(capture), "--format", "csv"]) == 0
    with redirect_stdout(buf2):
        assert main(["fingerprint", str(capture), "--format", "csv", "--jobs", "2"]) == 0
    assert buf1.getvalue() == buf2.getvalue()


def test_default_jobs_follow_the_file_size(tmp_path: Path) -> None:
    from tlslens.commands import AUTO_JOBS_MIN_BYTES, auto_jobs

    small = CAPTURES[0]
    assert small.stat().st_size < AUTO_JOBS_MIN_BYTES and auto_jobs(str(small)) == 1
    assert auto_jobs("-") == 1 and auto_jobs(str(tmp_path / "missing.pcap")) == 1
    big = tmp_path / "big.pcap"
    with big.open("wb") as f:  # sparse: the size is what counts
        f.truncate(AUTO_JOBS_MIN_BYTES)
    import os

    assert auto_jobs(str(big)) == (os.cpu_count() or 1)


def test_worker_pipes_are_widened_where_the_system_allows() -> None:
    """A worker's batch (some 400 KB of NDJSON) fits the pipe: fewer stalls and wake-ups
    (tlslens.parallel._widen); elsewhere the default pipe stays and nothing fails."""
    from tlslens.parallel import PIPE_SIZE, _widen

    fcntl = pytest.importorskip("fcntl")
    import os

    recv, send = os.pipe()
    try:
        _widen(recv)
        size = fcntl.fcntl(recv, getattr(fcntl, "F_GETPIPE_SZ", 1032))
        limit_file = Path("/proc/sys/fs/pipe-max-size")
        if not limit_file.exists() or int(limit_file.read_text()) < PIPE_SIZE:
            pytest.skip("this system does not allow pipes of PIPE_SIZE")
        assert size >= PIPE_SIZE
        os.write(send, b"x" * (PIPE_SIZE // 2))  # no reader yet: must not block
        assert len(os.read(recv, PIPE_SIZE)) == PIPE_SIZE // 2
    finally:
        os.close(recv)
        os.close(send)
    _widen(recv)  # a closed descriptor: ignored


@pytest.fixture(scope="module")
def six_connections(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Six real handshakes (TLS 1.2 and 1.3, one after another) on six client ports."""
    from tests import pcapwriter as pw
    from tests.tlsbytes import frame_of, tcp_segments, tls12, tls13

    frames = []
    for i in range(6):
        recording = (tls12, tls13)[i % 2]()
        frames += [frame_of(seg, (40000 + i, 443)) for seg in tcp_segments(recording.flights)]
    path = tmp_path_factory.mktemp("parallel") / "six.pcap"
    path.write_bytes(pw.pcap_bytes(frames))
    return path


def _rendered(capture, render, token, jobs):  # type: ignore[no-untyped-def]
    from tlslens.parallel import iter_rendered
    from tlslens.pipeline import Options, RunState

    run = RunState()
    texts = list(iter_rendered(str(capture), jobs, run, Options(), render, token))
    return texts, run.tls_connections


@pytest.mark.skipif(not parallel_possible(str(CAPTURES[1]), 2), reason="no fork here")
def test_worker_texts_cross_the_pipe_intact(six_connections: Path) -> None:
    """Texts bigger than the pipe (partial writes), texts without the id, text that is
    not ASCII (and a lone surrogate): the parent gets each exactly as one process made
    it, with its final id where the sentinel was."""
    def render(conn):  # type: ignore[no-untyped-def]
        pad = "\u00e9\u4e2d\ud800" * (1_100_000 if conn.first_frame % 2 else 3)
        if conn.client.port % 3 == 0:
            return f"no id here {conn.first_frame} {pad}"
        return f"{conn.first_frame} #{conn.id} {pad}"

    one, count = _rendered(six_connections, render, lambda n: f"#{n}", 1)
    two, count2 = _rendered(six_connections, render, lambda n: f"#{n}", 3)
    assert count == count2 == len(one) == 6
    assert two == one
    # bytes texts take the same way (the NDJSON lines)
    one_b, _ = _rendered(six_connections, lambda c: render(c).encode("utf-8", "surrogatepass"),
                         lambda n: b"#%d" % n, 1)
    two_b, _ = _rendered(six_connections, lambda c: render(c).encode("utf-8", "surrogatepass"),
                         lambda n: b"#%d" % n, 2)
    assert two_b == one_b == [t.encode("utf-8", "surrogatepass") for t in one]


def _hostile_hello_capture(path: Path, parameter_id: int) -> None:
    """Six connections whose ClientHello carries a QUIC transport parameter with the id
    ``parameter_id`` (written as ``"id": N`` in the report, before the connection's id)."""
    from tests import pcapwriter as pw
    from tests.tlsbytes import frame_of, tcp_segments

    param = ((0b11 << 62) | parameter_id).to_bytes(8, "big") + b"\x00"  # id, length 0
    ext = (57).to_bytes(2, "big") + len(param).to_bytes(2, "big") + param
    body = (b"\x03\x03" + bytes(32) + b"\x00" + b"\x00\x02\x13\x01" + b"\x01\x00"
            + len(ext).to_bytes(2, "big") + ext)
    hello = b"\x01" + len(body).to_bytes(3, "big") + body
    record = b"\x16\x03\x01" + len(hello).to_bytes(2, "big") + hello
    frames = []
    for i in range(6):
        frames += [frame_of(seg, (41000 + i, 443)) for seg in tcp_segments([(0, record)])]
    path.write_bytes(pw.pcap_bytes(frames))


@pytest.mark.skipif(not parallel_possible(str(CAPTURES[1]), 2), reason="no fork here")
@pytest.mark.parametrize("parameter_id", [987_654_321_987_654, (1 << 61) + 12345, 2**62 - 1])
def test_a_number_in_the_capture_is_never_taken_for_the_id(tmp_path: Path,
                                                          parameter_id: int) -> None:
    """The workers' stand-in id is drawn per run: a number the capture puts into the
    report (here a QUIC transport parameter id, 987654321987654 was the old constant)
    stays as it is, and each connection gets its own id, as in one process."""
    from tlslens.report.json_report import connection_json

    path = tmp_path / "hostile.pcap"
    _hostile_hello_capture(path, parameter_id)
    def token(n: int) -> bytes:  # the NDJSON command's
        return b'"id":%d' % n

    one, count = _rendered(path, connection_json, token, 1)
    two, _ = _rendered(path, connection_json, token, 2)
    assert count == 6 and two == one
    assert all(b'"id":%d,"length":0' % parameter_id in line for line in one)


def test_the_stand_in_id_differs_from_run_to_run() -> None:
    from tlslens.parallel import new_sentinel_id

    ids = {new_sentinel_id() for _ in range(50)}
    assert len(ids) == 50 and all(2**61 <= i < 2**62 for i in ids)


def test_ring_places_batches_and_waits_for_what_the_parent_released() -> None:
    """The worker's side of the ring alone, the parent's releases written beforehand."""
    import os
    import struct

    from tlslens.parallel import _Ring

    ring = _Ring(100)
    recv, send = os.pipe()
    ring.released_fd = recv
    try:
        assert ring.put([b"a" * 40]) == (0, 40, 40)
        assert ring.put([b"b" * 10, b"c" * 30]) == (40, 40, 80)
        # 30 more would cross the end: it starts over at 0, where the first batch lay,
        # so it needs position 30 released (the first batch, released at 40 here)
        os.write(send, struct.pack("<Q", 40))
        assert ring.put([b"d" * 30]) == (0, 30, 130)
        assert ring.memory[:30] == b"d" * 30 and ring.memory[40:80] == b"b" * 10 + b"c" * 30
        # 60 at offset 30 overwrites the second batch: it needs 90, i.e. all of it (80),
        # and the wrap's gap is nothing to wait for; two releases come in one by one
        os.write(send, struct.pack("<Q", 80))
        assert ring.put([b"e" * 60]) == (30, 60, 190)
        assert ring.released == 80
        assert ring.put([b"f" * 101]) is None  # bigger than the ring: the pipe's job
        os.close(send)  # the parent is gone while the worker waits for room
        with pytest.raises(BrokenPipeError):
            ring.put([b"g" * 100])
    finally:
        os.close(recv)


@pytest.mark.skipif(not parallel_possible(str(CAPTURES[1]), 2), reason="no fork here")
@pytest.mark.parametrize("batch", [1, 2, 32])
def test_texts_through_a_small_ring_wrap_wait_and_overflow(six_connections: Path,
                                                          monkeypatch: pytest.MonkeyPatch,
                                                          batch: int) -> None:
    """A ring smaller than a few texts: batches start over at its beginning, workers wait
    for the parent to release room, and a batch bigger than the whole ring takes the
    pipe; the texts are the same as one process makes."""
    from tlslens import parallel

    monkeypatch.setattr(parallel, "RING_SIZE", 30_000)
    monkeypatch.setattr(parallel, "BATCH", batch)
    sizes = {0: 9_000, 1: 14_000, 2: 45_000, 3: 100, 4: 13_000, 5: 29_000}

    def render(conn):  # type: ignore[no-untyped-def]
        return f"{conn.first_frame} #{conn.id} " + "x\u00e9" * (sizes[conn.client.port % 6] // 3)

    one, _ = _rendered(six_connections, render, lambda n: f"#{n}", 1)
    for jobs in (2, 3):
        assert _rendered(six_connections, render, lambda n: f"#{n}", jobs)[0] == one


def _gone(pid: int) -> bool:
    """The process has ended (or is a zombie nobody reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not parallel_possible(str(CAPTURES[1]), 2) or not Path("/proc").is_dir(),
                    reason="no fork or /proc here")
def test_workers_end_when_the_parent_is_killed(six_connections: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """Workers blocked on a parent that stopped reading must end once it is gone (each
    used to hold the others' pipe ends, so they waited for each other for ever)."""
    import multiprocessing as mp
    import os
    import signal
    import time

    from tlslens import parallel

    monkeypatch.setattr(parallel, "BATCH", 1)  # a frame per text: the second one blocks
    # Shards by hash, so that both workers have connections to block on (with the claim
    # table, the worker that starts first may take all six).
    monkeypatch.setattr(parallel, "new_claim_table", lambda jobs: None)
    marks = tmp_path / "pids"
    marks.mkdir()

    def big(conn):  # type: ignore[no-untyped-def]
        (marks / str(os.getpid())).touch()
        return "x" * 6_000_000  # more than the ring and the pipe: the worker blocks

    def parent() -> None:
        it = _rendered_iter(six_connections, big)
        next(it)
        time.sleep(600)  # reads no more

    proc = mp.get_context("fork").Process(target=parent)  # not a daemon: it forks
    proc.start()
    deadline = time.monotonic() + 60
    while len(list(marks.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    workers = [int(p.name) for p in marks.iterdir()]
    assert len(workers) == 2
    time.sleep(0.5)  # both are blocked by now
    assert proc.pid is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    deadline = time.monotonic() + 20
    while not all(_gone(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for pid in workers if not _gone(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    assert not left


def _rendered_iter(capture, render):  # type: ignore[no-untyped-def]
    from tlslens.parallel import iter_rendered
    from tlslens.pipeline import Options, RunState

    return iter_rendered(str(capture), 2, RunState(), Options(), render, str)


@pytest.mark.skipif(not parallel_possible(str(CAPTURES[1]), 2), reason="no fork here")
def test_a_worker_error_is_raised_in_the_parent(six_connections: Path) -> None:
    class Unpicklable(Exception):
        def __reduce__(self):  # type: ignore[no-untyped-def]
            raise TypeError("not picklable")

    def fails(conn):  # type: ignore[no-untyped-def]
        raise ValueError(f"render failed at frame {conn.first_frame}")

    with pytest.raises(ValueError, match="render failed at frame"):
        _rendered(six_connections, fails, str, 2)

    def fails_oddly(conn):  # type: ignore[no-untyped-def]
        raise Unpicklable("odd")

    with pytest.raises(RuntimeError, match="Unpicklable: odd"):
        _rendered(six_connections, fails_oddly, str, 2)


@pytest.mark.parametrize("compiled_lane", [True, False])
def test_a_worker_analyses_the_connections_it_claims(six_connections: Path,
                                                     compiled_lane: bool) -> None:
    """With the workers' claim table (Options.claims), a worker analyses the connections
    whose slot it takes first or already holds, whole, and none of another's: alone with
    a fresh table it analyses every connection as one process does; with every slot
    another's, none; with some slots taken by the other beforehand, the rest. By the
    compiled walk and by the Python path alike."""
    import mmap
    from dataclasses import replace

    from tlslens.flows.lane import claim
    from tlslens.parallel import CLAIM_SLOTS
    from tlslens.pipeline import Options, RunState, _endpoints_crc, iter_connections
    from tlslens.report.json_report import connection_json

    if claim is None:
        pytest.skip("the compiled module is not built: shards are fixed by hash")
    base = Options(compiled_lane=compiled_lane)
    whole = [connection_json(c) for c in iter_connections(str(six_connections), RunState(),
                                                          base)]
    assert len(whole) == 6

    def worker(k: int, claims: mmap.mmap) -> tuple[list[bytes], RunState]:
        run = RunState()
        opts = replace(base, shard=(k, 2), claims=claims)
        return [connection_json(c) for c in iter_connections(str(six_connections), run,
                                                             opts)], run

    alone, run = worker(1, mmap.mmap(-1, CLAIM_SLOTS))
    assert [_without_id(t) for t in alone] == [_without_id(t) for t in whole]
    assert run.tls_connections == 6 and run.tcp_connections == 6

    others = mmap.mmap(-1, CLAIM_SLOTS)
    others.write(b"\x01" * CLAIM_SLOTS)  # every slot is worker 0's
    assert worker(1, others)[0] == []

    split = mmap.mmap(-1, CLAIM_SLOTS)
    for port in (40001, 40004):  # the second and fifth connections: worker 1's
        assert claim(split, _endpoints_crc("10.0.0.1", port, "10.0.0.2", 443), 1)
    zero, one = worker(0, split)[0], worker(1, split)[0]
    assert [_without_id(t) for t in zero] == [_without_id(whole[i]) for i in (0, 2, 3, 5)]
    assert [_without_id(t) for t in one] == [_without_id(whole[i]) for i in (1, 4)]


def _without_id(line: bytes) -> bytes:
    """A connection's JSON line without its id (a lone worker numbers its own)."""
    import json

    doc = json.loads(line)
    doc.pop("id")
    return json.dumps(doc, sort_keys=True).encode()


def _text_frame(kind: bytes, texts: list[tuple[int, bytes]], sentinel: bytes,
                ring: Any = None) -> bytes:
    """A worker's frame of ``texts`` (first frame, bytes): the texts themselves (T), or
    their place in ``ring`` (R, the texts written there at offset 0)."""
    import struct

    from tlslens import parallel

    payload = parallel._COUNT.pack(len(texts)) + b"".join(
        parallel._TEXT.pack(frame, text.find(sentinel), len(text)) for frame, text in texts)
    payload += b"".join(text for _, text in texts)
    if kind == b"R":
        ring.memory[:len(payload)] = payload
        payload = parallel._RING_PLACE.pack(0, len(payload), len(payload))
    return struct.pack("<cI", kind, len(payload)) + payload


def test_the_parent_reads_workers_ahead_and_releases_their_rings_at_once(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The parent takes a worker's frame as soon as it comes (and releases its ring
    then, not when the merge reaches its texts), holds its texts until every worker has
    shown one up to them, and hands them on in order of first frame."""
    import os
    import pickle
    import struct

    from tlslens import parallel
    from tlslens.pipeline import RunState

    sentinel = b"@@ID@@"
    runs: list[Any] = [None, None]
    ring = parallel._Ring(4096)
    pipes = [os.pipe(), os.pipe()]
    released_recv, released_send = os.pipe()
    feeds = [parallel._Feed(pipes[k][0], k, runs, len(sentinel), ring, released_send)
             for k in range(2)]
    try:
        first = [(1, b"a@@ID@@1"), (4, b"d"), (5, b"e@@ID@@5")]
        os.write(pipes[0][1], _text_frame(b"R", first, sentinel, ring))
        feeds[0].read_frame()
        # the ring is released before any of its texts is handed on
        size = parallel._COUNT.size + 3 * parallel._TEXT.size + sum(len(t) for _, t in first)
        assert struct.unpack("<Q", os.read(released_recv, 8))[0] == size
        ring.memory[:64] = b"\0" * 64  # the worker reuses its ring: the parent has a copy
        assert feeds[0].held == len(b"a1" + b"d" + b"e5")
        assert feeds[0].wanted() and feeds[1].wanted()
        monkeypatch.setattr(parallel, "BUFFER_CAP", 5)  # holding 5 bytes: read no more
        assert not feeds[0].wanted() and feeds[1].wanted()  # (the merge needs worker 1)
        monkeypatch.undo()
        os.write(pipes[1][1], _text_frame(b"T", [(2, b"b@@ID@@2"), (3, b"c")], sentinel))
        for k, count in ((0, 3), (1, 2)):
            done = pickle.dumps(RunState(tls_connections=count))
            os.write(pipes[k][1], struct.pack("<cI", b"D", len(done)) + done)
            os.close(pipes[k][1])
        merged = [(frame, bytes(before), None if after is None else bytes(after))
                  for frame, before, after in parallel._merged(feeds)]
        assert merged == [(1, b"a", b"1"), (2, b"b", b"2"), (3, b"c", None), (4, b"d", None),
                          (5, b"e", b"5")]
        assert [feed.held for feed in feeds] == [0, 0]
        assert [r.tls_connections for r in runs] == [3, 2]
    finally:
        for feed in feeds:
            feed.close()
        os.close(released_recv)
        os.close(released_send)


@pytest.mark.parametrize("with_claims", [True, False])
def test_the_shard_test_answers_alike_both_ways_and_past_its_memory(
        with_claims: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """The pipeline's shard test remembers both directions of a 4-tuple at once; a
    memory cleared when full (2 entries here) changes no answer."""
    import mmap

    from tlslens import pipeline
    from tlslens.flows.lane import claim
    from tlslens.packets.types import TcpSegment

    if with_claims and claim is None:
        pytest.skip("the compiled module is not built")
    monkeypatch.setattr(pipeline, "_SHARD_MEMO", 2)
    claims = mmap.mmap(-1, 1 << 10) if with_claims else None
    mine = pipeline._shard_test((1, 2), claims)
    fresh = pipeline._shard_test((1, 2), claims)

    def seg(src: str, sport: int, dst: str, dport: int) -> TcpSegment:
        return TcpSegment(0, 0, src, dst, sport, dport, 0, 0, 0, b"")

    tuples = [(f"10.0.{i}.1", 40000 + i, "10.9.9.9", 443) for i in range(40)]
    answers = [mine(seg(*t)) for t in tuples]
    if not with_claims:
        assert answers == [pipeline._shard_index(*t, 2) == 1 for t in tuples]
    else:
        assert all(answers)  # the first to ask takes every slot
    for t, answer in zip(tuples, answers):
        src, sport, dst, dport = t
        assert mine(seg(dst, dport, src, sport)) is answer
        assert fresh(seg(src, sport, dst, dport)) is answer


def test_claims_only_for_as_many_workers_as_a_byte_tells_apart() -> None:
    """A claim slot holds the owner's number + 1 in a byte: up to 255 workers claim;
    more (an odd --jobs, but a valid one) share the connections by the fixed hash."""
    from tlslens.flows.lane import claim
    from tlslens.parallel import MAX_CLAIMING_JOBS, new_claim_table

    assert new_claim_table(MAX_CLAIMING_JOBS + 1) is None
    table = new_claim_table(MAX_CLAIMING_JOBS)
    if claim is None:
        assert table is None
    else:
        assert table is not None
        assert claim(table, 12345, MAX_CLAIMING_JOBS - 1) is True  # the last worker's


def test_the_sentinel_is_found_where_a_search_from_the_start_finds_it() -> None:
    """The worker's search for the stand-in id starts near where the last text had it;
    whatever the texts (the id early, late, across the guess, missing, texts of every
    length in any order), it answers as ``bytes.find`` from the start does."""
    import random

    from tlslens.parallel import _SentinelFinder

    sentinel = b'"id":2305843009213693953'
    rng = random.Random(9)
    find = _SentinelFinder(sentinel)
    for _ in range(3000):
        size = rng.choice((0, 1, 30, 500, 12_000))
        text = bytearray(rng.choice(b'{}":,abc0123456789') for _ in range(size))
        if rng.random() < 0.9:
            at = rng.randint(0, size)
            text[at:at] = sentinel
        text = bytes(text)
        assert find(text) == text.find(sentinel), (len(text), find.ratio)
    # a run of late ids, then one early: found all the same
    for at in (9000, 9100, 8950, 3, 0):
        text = bytes(at) + sentinel + bytes(12_000 - at)
        assert find(text) == at
