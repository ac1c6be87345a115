"""One capture on several cores: each worker process analyses a shard of its connections.

Every worker reads the whole capture (reading and decoding packet headers is the cheap
part) but builds TLS state only for the connections of its shard (``Options.shard``: a
stable hash of the 4-tuple, so both directions land together). Each worker renders its
connections (the expensive rest: report dict, JSON or text) and streams the texts back in
first-packet order; the parent merges the streams by first frame and numbers the
connections. The output is the same, byte for byte, as one process writes.

Why texts and not connection objects: pickling a connection's many small objects cost
more than analysing it; strings cross a pipe almost for free. A connection is rendered
with a sentinel id that the parent replaces with its final id (the id of a connection is
only known once every earlier-starting connection of every shard is known).

Used for files only (a pipe cannot be read twice) and with the fork start method
(Linux), which hands the options and the render function to the workers unpickled.
"""

from __future__ import annotations

import heapq
import multiprocessing as mp
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from multiprocessing.connection import Connection
from typing import TypeVar

from tlslens.analysis.model import TlsConnection
from tlslens.pipeline import Options, RunState, iter_connections

#: Connections sent per message: large enough to amortise the pipe, small enough to
#: keep the parent's memory flat while it waits for a slower worker.
BATCH = 32
#: The id a worker renders; no real report holds this number.
SENTINEL_ID = 987_654_321_987_654

#: A rendered connection: text, or UTF-8 bytes (the NDJSON lines, written as bytes).
Text = TypeVar("Text", str, bytes)
Render = Callable[[TlsConnection], Text]
#: How an id appears in the rendered text, e.g. '"id": 7' (bytes for bytes texts).
IdToken = Callable[[int], Text]


def parallel_possible(source: object, jobs: int) -> bool:
    """Whether ``source`` can be split over ``jobs`` processes here."""
    return (jobs > 1 and isinstance(source, str) and source != "-" and os.path.isfile(source)
            and "fork" in mp.get_all_start_methods())


def _worker(source: str, k: int, n: int, options: Options, render: Render[Text],
            pipe: Connection) -> None:
    run = RunState()
    opts = replace(options, shard=(k, n), on_progress=options.on_progress if k == 0 else None,
                   placeholder_id=SENTINEL_ID)
    try:
        batch: list[tuple[int, Text]] = []
        for conn in iter_connections(source, run, opts):
            batch.append((conn.first_frame, render(conn)))
            if len(batch) >= BATCH:
                pipe.send(("texts", batch))
                batch = []
        pipe.send(("texts", batch))
        pipe.send(("done", run))
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, which re-raises
        pipe.send(("error", exc))
    finally:
        pipe.close()


def _receive(pipe: Connection, runs: list[RunState | None],
             k: int) -> Iterator[tuple[int, Text]]:
    while True:
        kind, payload = pipe.recv()
        if kind == "texts":
            yield from payload
        elif kind == "done":
            runs[k] = payload
            return
        else:
            raise payload


def iter_rendered(source: str, jobs: int, run: RunState, options: Options,
                  render: Render[Text], id_token: IdToken[Text]) -> Iterator[Text]:
    """Each TLS connection of ``source`` rendered by ``render``, in report order, with its
    final id, computed by ``jobs`` processes (one when the source cannot be split)."""
    if not parallel_possible(source, jobs):
        for conn in iter_connections(source, run, options):
            yield render(conn)
        return
    ctx = mp.get_context("fork")
    procs, pipes = [], []
    for k in range(jobs):
        recv, send = ctx.Pipe(duplex=False)
        _widen(recv)
        proc = ctx.Process(target=_worker, args=(source, k, jobs, options, render, send),
                           daemon=True)
        proc.start()
        send.close()
        procs.append(proc)
        pipes.append(recv)
    runs: list[RunState | None] = [None] * jobs
    sentinel = id_token(SENTINEL_ID)
    try:
        streams: list[Iterator[tuple[int, Text]]] = [_receive(p, runs, k)
                                                     for k, p in enumerate(pipes)]
        merged = heapq.merge(*streams, key=lambda item: item[0])
        for next_id, (_, text) in enumerate(merged):
            yield text.replace(sentinel, id_token(next_id), 1)
    finally:
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
            proc.join()
    _merge_runs(run, runs)


#: Pipe capacity asked for (Linux: F_SETPIPE_SZ): a batch of rendered connections is
#: some 400 KB of NDJSON; through the default 64 KiB pipe each batch woke the parent and
#: stalled its worker several times.
PIPE_SIZE = 1 << 20


def _widen(conn: Connection) -> None:
    """Ask for a larger pipe buffer where the system allows it (else keep the default)."""
    try:
        import fcntl

        fcntl.fcntl(conn.fileno(), getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
    except (OSError, ImportError, ValueError):
        pass


def _merge_runs(run: RunState, runs: list[RunState | None]) -> None:
    """Counts add up; capture-level facts are the same in every worker: take the first's."""
    first = runs[0]
    assert first is not None
    run.summary = first.summary
    run.anomalies.extend(first.anomalies)
    run.secrets.extend(first.secrets)
    run.dropped_anomalies = first.dropped_anomalies
    for r in runs:
        assert r is not None
        run.tcp_connections += r.tcp_connections
        run.tls_connections += r.tls_connections
