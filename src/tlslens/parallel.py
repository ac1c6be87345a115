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
import io
import multiprocessing as mp
import os
import pickle
import struct
from collections.abc import Callable, Generator, Iterator
from dataclasses import replace
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

# The wire between a worker and the parent: frames of a kind byte and a payload length,
#   T: texts. A count, then per text (first frame, offset of the sentinel id or -1,
#      length), then the texts' UTF-8 bytes one after the other;
#   D: done, the pickled RunState;  E: error, the pickled exception.
# Not multiprocessing's Connection: its recv() allocated and grew a buffer per message
# and unpickled every text into a new object, then the parent searched each text for
# the sentinel and copied it again to replace it. Here the worker finds the sentinel,
# and the parent reads each frame into one buffer and makes each final text with a
# single join: its CPU for the issue-9 capture's 256 MB of NDJSON went from 0.59 s to
# 0.46 s (start-up included), time taken from a core the workers need.
_FRAME = struct.Struct("<cI")
_TEXT = struct.Struct("<QiI")
_COUNT = struct.Struct("<I")


def parallel_possible(source: object, jobs: int) -> bool:
    """Whether ``source`` can be split over ``jobs`` processes here."""
    return (jobs > 1 and isinstance(source, str) and source != "-" and os.path.isfile(source)
            and "fork" in mp.get_all_start_methods())


def _send(fd: int, kind: bytes, payload: list[bytes]) -> None:
    """One frame: all of ``payload`` (written in pieces without joining them)."""
    size = sum(map(len, payload))
    pieces: list[bytes | memoryview] = [_FRAME.pack(kind, size), *payload]
    while pieces:
        n = os.writev(fd, pieces[:_IOV_MAX])
        while pieces and n >= len(pieces[0]):  # drop what went out, keep the rest
            n -= len(pieces[0])
            pieces.pop(0)
        if n:
            pieces[0] = memoryview(pieces[0])[n:]


#: Pieces per writev() (Linux: IOV_MAX is 1024).
_IOV_MAX = 512


def _send_texts(fd: int, batch: list[tuple[int, bytes]], sentinel: bytes) -> None:
    head = [_COUNT.pack(len(batch))]
    head += [_TEXT.pack(frame, text.find(sentinel), len(text)) for frame, text in batch]
    _send(fd, b"T", [b"".join(head)] + [text for _, text in batch])


def _worker(source: str, k: int, n: int, options: Options, render: Render[Text],
            fd: int, sentinel: bytes) -> None:
    run = RunState()
    opts = replace(options, shard=(k, n), on_progress=options.on_progress if k == 0 else None,
                   placeholder_id=SENTINEL_ID)
    try:
        try:
            batch: list[tuple[int, bytes]] = []
            for conn in iter_connections(source, run, opts):
                text = render(conn)
                batch.append((conn.first_frame, _utf8(text)))
                if len(batch) >= BATCH:
                    _send_texts(fd, batch, sentinel)
                    batch = []
            _send_texts(fd, batch, sentinel)
            _send(fd, b"D", [pickle.dumps(run)])
        except BaseException as exc:  # noqa: BLE001 - handed to the parent, which re-raises
            try:
                told = pickle.dumps(exc)
            except Exception:  # noqa: BLE001 - an exception that cannot be pickled
                told = pickle.dumps(RuntimeError(f"{type(exc).__name__}: {exc}"))
            _send(fd, b"E", [told])
    except BrokenPipeError:
        pass  # the parent stopped reading (it ended early): nothing to tell
    finally:
        os.close(fd)


def _utf8(text: str | bytes) -> bytes:
    return text if text.__class__ is bytes else text.encode(  # type: ignore[union-attr]
        "utf-8", "surrogatepass")


def _read_into(stream: io.FileIO, view: memoryview) -> None:
    """Fill ``view`` from ``stream``."""
    got, size = 0, len(view)
    while got < size:
        n = stream.readinto(view[got:])
        if not n:
            raise EOFError("a worker process ended without finishing its shard")
        got += n


#: A worker's text as it arrives: (first frame, the bytes before the sentinel id, the
#: bytes after it, or None when the text holds no sentinel).
_Piece = tuple[int, memoryview, "memoryview | None"]


def _receive(fd: int, runs: list[RunState | None], k: int,
             sentinel_len: int) -> Generator[_Piece, None, None]:
    """A worker's texts in its order."""
    head = bytearray(_FRAME.size)
    with open(fd, "rb", buffering=0, closefd=True) as stream:
        while True:
            _read_into(stream, memoryview(head))
            kind, size = _FRAME.unpack(head)
            # A new buffer per frame: its texts are still being written when the next
            # frame is read.
            data = memoryview(bytearray(size))
            _read_into(stream, data)
            if kind == b"D":
                runs[k] = pickle.loads(data)
                return
            if kind == b"E":
                raise pickle.loads(data)
            count = _COUNT.unpack_from(data)[0]
            at = _COUNT.size + count * _TEXT.size
            for i in range(count):
                frame, found, length = _TEXT.unpack_from(data, _COUNT.size + i * _TEXT.size)
                end = at + length
                if found < 0:
                    yield frame, data[at:end], None
                else:
                    cut = at + found
                    yield frame, data[at:cut], data[cut + sentinel_len:end]
                at = end


def iter_rendered(source: str, jobs: int, run: RunState, options: Options,
                  render: Render[Text], id_token: IdToken[Text]) -> Iterator[Text]:
    """Each TLS connection of ``source`` rendered by ``render``, in report order, with its
    final id, computed by ``jobs`` processes (one when the source cannot be split)."""
    if not parallel_possible(source, jobs):
        for conn in iter_connections(source, run, options):
            yield render(conn)
        return
    as_text = isinstance(id_token(0), str)

    def token(conn_id: int) -> bytes:
        return _utf8(id_token(conn_id))

    sentinel = token(SENTINEL_ID)
    ctx = mp.get_context("fork")
    procs, fds = [], []
    streams: list[Generator[_Piece, None, None]] = []
    runs: list[RunState | None] = [None] * jobs
    try:
        for k in range(jobs):
            recv, send = os.pipe()
            fds.append(recv)
            _widen(recv)
            proc = ctx.Process(target=_worker, args=(source, k, jobs, options, render, send,
                                                     sentinel), daemon=True)
            proc.start()
            os.close(send)
            procs.append(proc)
        streams = [_receive(fd, runs, k, len(sentinel)) for k, fd in enumerate(fds)]
        fds = []  # the streams close them
        join = b"".join
        for next_id, (_, before, after) in enumerate(
                heapq.merge(*streams, key=lambda piece: piece[0])):
            text = bytes(before) if after is None else join((before, token(next_id), after))
            yield text.decode("utf-8", "surrogatepass") if as_text else text  # type: ignore[misc]
    finally:
        for stream in streams:
            stream.close()
        for fd in fds:
            os.close(fd)
        for proc in procs:
            if proc.is_alive():
                proc.terminate()
            proc.join()
    _merge_runs(run, runs)


#: Pipe capacity asked for (Linux: F_SETPIPE_SZ): a batch of rendered connections is
#: some 400 KB of NDJSON; through the default 64 KiB pipe each batch woke the parent and
#: stalled its worker several times.
PIPE_SIZE = 1 << 20


def _widen(fd: int) -> None:
    """Ask for a larger pipe buffer where the system allows it (else keep the default)."""
    try:
        import fcntl

        fcntl.fcntl(fd, getattr(fcntl, "F_SETPIPE_SZ", 1031), PIPE_SIZE)
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
