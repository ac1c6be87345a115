"""Connections built a few at a time (``Options.build_batch``): the same connections, in
the same order, with the same ids, whatever the batch; streams still get each connection
as soon as it is known."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest

from tests import pcapwriter as pw
from tests import tlsbytes as tb
from tlslens import pipeline
from tlslens.pipeline import BUILD_BATCH, Options, RunState, iter_connections

#: A batch size for the tests (the default, BUILD_BATCH, is larger than a test capture).
BATCH = 8
#: Connections in the capture: more than two batches, and not a multiple of one.
COUNT = 2 * BATCH + 5


def _frames() -> list[bytes]:
    """COUNT real handshakes (TLS 1.2 and 1.3 in turn), interleaved in pairs so that the
    second of each pair ends before the first: connections end out of order."""
    frames: list[bytes] = []
    for pair in range(0, COUNT, 2):
        convs = []
        for i in range(pair, min(pair + 2, COUNT)):
            rec = tb.tls12() if i % 2 == 0 else tb.tls13()
            convs.append([tb.frame_of(s, (40000 + i, 443)) for s in tb.tcp_segments(rec.flights)])
        if len(convs) == 2:
            first, second = convs
            frames += first[:4] + second + first[4:]
        else:
            frames += convs[0]
    return frames


@pytest.fixture(scope="module")
def capture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("batch") / "many.pcap"
    pw.write_pcap(path, [(pw.BASE_TS_NS + i * 1000, f) for i, f in enumerate(_frames())])
    return path


def _docs(source: Any, batch: int | None) -> list[dict[str, Any]]:
    return [c.to_dict() for c in iter_connections(source, RunState(),
                                                  Options(build_batch=batch))]


def test_every_batch_size_gives_the_same_connections(capture: Path) -> None:
    one = _docs(str(capture), 1)
    assert [d["id"] for d in one] == list(range(COUNT))
    # first-packet order, not end order: the pairs' second connections ended first
    assert [d["client"]["port"] for d in one] == [40000 + i for i in range(COUNT)]
    for batch in (2, 3, BATCH, None, COUNT + 10):
        assert _docs(str(capture), batch) == one, batch
    assert _docs(io.BytesIO(capture.read_bytes()), None) == one


def test_a_file_path_is_built_in_batches_a_stream_one_by_one(capture: Path) -> None:
    assert pipeline._build_batch(str(capture), Options()) == BUILD_BATCH
    assert pipeline._build_batch(str(capture), Options(hellos_only=True)) == \
        pipeline.HELLOS_BATCH < BUILD_BATCH
    assert pipeline._build_batch("-", Options()) == 1
    assert pipeline._build_batch(io.BytesIO(b""), Options()) == 1
    assert pipeline._build_batch(str(capture), Options(build_batch=0)) == 1
    assert pipeline._build_batch("-", Options(build_batch=4)) == 4


def test_stream_hands_out_a_connection_before_the_next_one_starts(capture: Path) -> None:
    """From a stream (standard input, a live capture), each connection comes out as soon
    as it and every earlier one have ended, not when a batch is full."""
    data = capture.read_bytes()

    class Pipe(io.BytesIO):
        """Gives at most 1 KiB a read, as a pipe with little in it would."""

        def read1(self, n: int = -1, /) -> bytes:
            return super().read1(min(n, 1024) if n >= 0 else 1024)

    source = Pipe(data)
    it = iter_connections(source, RunState(), Options())
    assert next(it).id == 0
    # read so far: the first pair's connections (the second ended before the first),
    # and at most the next one's start; far from a batch's worth of connections
    assert source.tell() < 3 * len(data) // COUNT
    assert sum(1 for _ in it) == COUNT - 1


def _failing_at(call: int, real: Any) -> Any:
    """``real``, except that its ``call``-th call raises ValueError("boom")."""
    calls = [0]

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == call:
            raise ValueError("boom")
        return real(*args, **kwargs)

    return flaky


def test_a_build_error_in_a_batch_is_that_connection_alone(capture: Path,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    monkeypatch.setattr(pipeline, "build_connection", _failing_at(5, pipeline.build_connection))
    conns = list(iter_connections(str(capture), RunState(), Options()))
    assert [c.id for c in conns] == list(range(COUNT))
    broken = [c.id for c in conns if any(a.id == "internal.error" for a in c.anomalies)]
    assert broken == [4]
    assert all(c.state == "complete" for c in conns if c.id != 4)


def test_a_batch_is_built_early_when_its_messages_are_big(capture: Path,
                                                         monkeypatch: pytest.MonkeyPatch
                                                         ) -> None:
    """The waiting connections' handshake bytes bound a batch as well as their count
    (BUILD_BATCH_BYTES): past the bound it is built at once, whatever the count."""
    real = pipeline.build_connection
    built: list[int] = []

    def counting(*args: Any, **kwargs: Any) -> Any:
        built.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(pipeline, "build_connection", counting)
    it = iter_connections(str(capture), RunState(), Options(build_batch=COUNT + 10))
    assert next(it).id == 0
    assert len(built) == COUNT  # one batch: everything, at the end
    built.clear()
    monkeypatch.setattr(pipeline, "BUILD_BATCH_BYTES", 1)  # any message is past it
    it = iter_connections(str(capture), RunState(), Options(build_batch=COUNT + 10))
    assert next(it).id == 0
    assert len(built) == 2  # the first pair (its second connection ended first)
    assert [c.id for c in it] == list(range(1, COUNT))


@pytest.mark.parametrize("phase", ["verification", "esim_for", "evaluate", "judge"])
def test_a_judging_error_in_a_batch_is_that_connection_alone(capture: Path, phase: str,
                                                            monkeypatch: pytest.MonkeyPatch
                                                            ) -> None:
    """The batch is judged phase by phase (analysis.build.judge_connections); a phase
    that raises for one connection makes that connection alone a stand-in saying so,
    and the others are judged as one by one."""
    from tlslens.analysis import _judging

    expected = [c.to_dict() for c in iter_connections(str(capture), RunState(),
                                                      Options(build_batch=BATCH))]
    monkeypatch.setattr(_judging, phase, _failing_at(3, getattr(_judging, phase)))
    conns = list(iter_connections(str(capture), RunState(), Options(build_batch=BATCH)))
    assert [c.id for c in conns] == list(range(COUNT))
    broken = [c.id for c in conns if any(a.id == "internal.error" for a in c.anomalies)]
    assert broken == [2]
    assert "ValueError: boom" in conns[2].anomalies[-1].detail
    assert [c.to_dict() for c in conns if c.id != 2] == \
        [d for d in expected if d["id"] != 2]


def test_sessions_and_connections_are_let_go_as_soon_as_used(
        capture: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A batch's sessions are freed as their connections are built (before the batch is
    judged), and the pipeline holds no connection it has handed out: each is freed
    right after its consumer used it, while still in the CPU caches, not with the whole
    batch at the end."""
    import sys
    import weakref

    from tlslens.tls.session import TlsSession

    sessions: list[weakref.ref[TlsSession]] = []
    real_init = TlsSession.__init__

    def tracked(self: TlsSession, *args: Any, **kwargs: Any) -> None:
        real_init(self, *args, **kwargs)
        sessions.append(weakref.ref(self))

    alive_when_judged: list[int] = []  # per batch: its connections' sessions still alive
    real_judge = pipeline.judge_connections

    def judge(conns: Any, failed: Any) -> None:
        # (sessions are made in first-packet order, the order of the connection ids)
        alive_when_judged.append(sum(sessions[c.id]() is not None for c in conns))
        real_judge(conns, failed)

    monkeypatch.setattr(TlsSession, "__init__", tracked)
    monkeypatch.setattr(pipeline, "judge_connections", judge)
    it = iter_connections(str(capture), RunState(), Options(build_batch=BATCH))
    first = next(it)
    # the first batch: its sessions are gone, but for the one whose connection's end
    # set off the build, still in its callers' hands (and the one before it, in
    # _Ordered.done's); without the early release, all BATCH were
    assert len(alive_when_judged) == 1 and alive_when_judged[0] <= 2
    second = next(it)
    assert sys.getrefcount(first) == 2  # this frame's name and getrefcount's argument
    assert (first.id, second.id) == (0, 1)
    assert sum(1 for _ in it) == COUNT - 2
    assert max(alive_when_judged) <= 2 and len(alive_when_judged) == 3  # 8 + 8 + 5
