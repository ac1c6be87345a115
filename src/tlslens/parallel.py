"""One capture on several cores: each worker process analyses a shard of its connections.

Every worker reads the whole capture (reading and decoding packet headers is the cheap
part) but builds TLS state only for the connections of its shard (``Options.shard``).
A connection is the shard's of the worker whose walk meets it first: the workers share a
claim table (``Options.claims``, one byte per slot of a hash of the 4-tuple, so both
directions and a reused 4-tuple land together), and the first to meet a slot takes it
for the run. So the worker ahead, the one with less to do, takes the new connections:
on a busy machine one worker is often slowed down, and with fixed shards (the hash
alone, as without the compiled module) the slow one set the wall time. Each worker renders
its connections (the expensive rest: report dict, JSON or text) and streams the texts
back in first-packet order; the parent reads every worker as soon as it sends (_Feed),
merges the streams by first frame and numbers the connections. The output is the same,
byte for byte, as one process writes.

Why texts and not connection objects: pickling a connection's many small objects cost
more than analysing it; strings cross a pipe almost for free. A connection is rendered
with a sentinel id that the parent replaces with its final id (the id of a connection is
only known once every earlier-starting connection of every shard is known).

Used for files only (a pipe cannot be read twice) and with the fork start method
(Linux), which hands the options and the render function to the workers unpickled.
"""

from __future__ import annotations

import collections
import io
import mmap
import multiprocessing as mp
import os
import pickle
import secrets
import selectors
import struct
from collections.abc import Callable, Iterator
from dataclasses import replace
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

from tlslens.analysis.model import TlsConnection
from tlslens.pipeline import Options, RunState, iter_connections
from tlslens.writev import write_all

#: Connections sent per message: each message wakes the parent, and 32 a message cost a
#: worker some 3 % of its time in sending (issue-9 capture, py-spy); 128 texts of the
#: benchmark's ~12 KB (1.5 MB) still leave room for two more in a ring.
BATCH = 128


def new_sentinel_id() -> int:
    """The id the workers of one run render in place of the real ones: a random 62-bit
    number (at least 2**61, so always 19 digits). Random, not a constant: a capture can
    put any number into a report (a QUIC transport parameter's id is any 62-bit varint,
    and it is written as ``"id": N`` inside the ClientHello, before the connection's
    own id), and one that held the constant made the parent put the connection's id
    there instead. A capture cannot guess a number drawn for each run."""
    return (1 << 61) | secrets.randbits(61)

#: A rendered connection: text, or UTF-8 bytes (the NDJSON lines, written as bytes).
Text = TypeVar("Text", str, bytes)
Render = Callable[[TlsConnection], Text]
#: How an id appears in the rendered text, e.g. '"id": 7' (bytes for bytes texts).
IdToken = Callable[[int], Text]

# The wire between a worker and the parent: frames of a kind byte and a payload length,
#   T: texts. A count, then per text (first frame, offset of the sentinel id or -1,
#      length), then the texts' UTF-8 bytes one after the other;
#   R: texts in the worker's ring (see _Ring): the payload is the T payload's place there,
#      (offset, length, the ring position after it);
#   D: done, the pickled RunState;  E: error, the pickled exception.
# Not multiprocessing's Connection: its recv() allocated and grew a buffer per message
# and unpickled every text into a new object, then the parent searched each text for
# the sentinel and copied it again to replace it. Here the worker finds the sentinel,
# and the parent reads each frame into one buffer (a ring's frame: one copy out of the
# ring) and makes each final text with a single join: its CPU for the issue-9 capture's
# 256 MB of NDJSON went from 0.59 s to 0.46 s (start-up included), time taken from a
# core the workers need.
_FRAME = struct.Struct("<cI")
_TEXT = struct.Struct("<QiI")
_COUNT = struct.Struct("<I")
_RING_PLACE = struct.Struct("<QQQ")
_RELEASED = struct.Struct("<Q")

#: Bytes of each worker's ring (shared memory between it and the parent).
RING_SIZE = 4 << 20

#: Slots of the workers' claim table (a power of two; one byte each). Connections whose
#: 4-tuples share a slot share a worker: with a million slots, few do.
CLAIM_SLOTS = 1 << 20


#: Workers a claim table can tell apart (a slot holds the owner's number + 1 in a byte).
MAX_CLAIMING_JOBS = 255


def new_claim_table(jobs: int) -> mmap.mmap | None:
    """The shared claim table of ``jobs`` workers (anonymous shared memory: the fork keeps
    it), or None when the compiled walk is not built or a byte cannot tell that many
    workers apart (shards are then fixed by the hash)."""
    from tlslens.flows.lane import claim

    if claim is None or jobs > MAX_CLAIMING_JOBS:
        return None
    return mmap.mmap(-1, CLAIM_SLOTS)


class _Ring:
    """A worker's texts go through memory it shares with the parent, not through the pipe.

    Why: through a pipe, 250 MB of NDJSON (the issue-9 capture) were copied into the
    kernel by the workers and out again by the parent: some 0.1-0.2 s of system time, on the
    two cores the workers need. Here a worker copies a batch of texts into its ring and
    sends only its place (an R frame); the parent copies the texts out (_Feed) and at
    once sends back how far the worker may write again (the ring position after them,
    on a second pipe). Positions only grow; a batch that would
    cross the end of the ring starts at its beginning instead. A batch bigger than the
    ring goes through the pipe as before (a T frame)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.memory = mmap.mmap(-1, size)  # anonymous and shared: the fork keeps it
        self.released_fd = -1  # the worker's end of the parent's "released up to" pipe
        self.head = 0  # worker: the position after the last batch written
        self.released = 0  # worker: the position the parent has released up to
        self.gap = (0, 0)  # worker: the positions the last wrap skipped

    def put(self, parts: list[bytes]) -> tuple[int, int, int] | None:
        """Copy ``parts`` into the ring (waiting for room): (offset, length, position
        after), or None when they cannot fit in the ring at all."""
        total = sum(map(len, parts))
        if total > self.size:
            return None
        start = self.head
        if start % self.size + total > self.size:  # would cross the end: wrap to 0
            start += self.size - start % self.size
            self.gap = (self.head, start)
        # The batch takes the ring's bytes of positions start - size to start + total -
        # size of the lap before: whatever was written there must have been released:
        # up to that end, or to the last position written (self.head), or, when that end
        # falls in the gap the last wrap skipped (nothing written), up to the gap.
        needed = min(self.head, start + total - self.size)
        if self.gap[0] <= needed < self.gap[1]:
            needed = self.gap[0]
        while self.released < needed:
            self.released = max(self.released, self._read_released())
        at = offset = start % self.size
        view = memoryview(self.memory)
        for part in parts:
            view[at:at + len(part)] = part
            at += len(part)
        view.release()
        self.head = start + total
        return offset, total, self.head

    def _read_released(self) -> int:
        data = b""
        while len(data) < _RELEASED.size:
            more = os.read(self.released_fd, _RELEASED.size - len(data))
            if not more:
                raise BrokenPipeError("the parent stopped reading")
            data += more
        return int(_RELEASED.unpack(data)[0])


def parallel_possible(source: object, jobs: int) -> bool:
    """Whether ``source`` can be split over ``jobs`` processes here."""
    return (jobs > 1 and isinstance(source, str) and source != "-" and os.path.isfile(source)
            and "fork" in mp.get_all_start_methods())


def _send(fd: int, kind: bytes, payload: list[bytes]) -> None:
    """One frame: all of ``payload`` (written in pieces without joining them)."""
    write_all(fd, [_FRAME.pack(kind, sum(map(len, payload))), *payload])


class _SentinelFinder:
    """Where the sentinel id is in a text (-1: nowhere), searched first from a little
    before where it was in the last one.

    Why: a format puts the id at much the same place in every connection (the NDJSON
    line's ``"id"`` comes after three fifths of the line: its keys are sorted), and a
    search from the start read those three fifths of every text, some 4 % of a
    worker's time on the issue-9 capture. The id occurs once in a text (the parent
    replaces one occurrence only), so a hit after the guess is the one a search from
    the start finds; a miss searches the part before the guess."""

    #: The search starts at this share of the last text's position.
    MARGIN = 0.85

    def __init__(self, sentinel: bytes) -> None:
        self.sentinel = sentinel
        self.ratio = 0.0  # the id's position over its text's length, last time

    def __call__(self, text: bytes) -> int:
        sentinel = self.sentinel
        guess = int(len(text) * self.ratio)
        found = text.find(sentinel, guess)
        if guess and found < 0:  # before the guess (or straddling it)
            found = text.find(sentinel, 0, guess + len(sentinel) - 1)
        if found >= 0:
            self.ratio = found / len(text) * self.MARGIN
        return found


def _send_texts(fd: int, batch: list[tuple[int, bytes]], find: _SentinelFinder,
                ring: _Ring) -> None:
    head = [_COUNT.pack(len(batch))]
    head += [_TEXT.pack(frame, find(text), len(text)) for frame, text in batch]
    parts = [b"".join(head)] + [text for _, text in batch]
    place = ring.put(parts)
    if place is None:  # bigger than the whole ring
        _send(fd, b"T", parts)
    else:
        _send(fd, b"R", [_RING_PLACE.pack(*place)])


def _worker(source: str, k: int, n: int, options: Options, render: Render[Text],
            fd: int, sentinel_id: int, sentinel: bytes, ring: _Ring, claims: mmap.mmap | None,
            parents_fds: tuple[int, ...]) -> None:
    # The parent's ends of the pipes (this worker's and the ones made before it) came
    # along with the fork: closed, so that when the parent dies, writing to it fails and
    # waiting for it ends, instead of every worker blocking on a pipe the others hold.
    for inherited in parents_fds:
        try:
            os.close(inherited)
        except OSError:
            pass
    run = RunState()
    opts = replace(options, shard=(k, n), on_progress=options.on_progress if k == 0 else None,
                   placeholder_id=sentinel_id, claims=claims)
    try:
        try:
            batch: list[tuple[int, bytes]] = []
            find = _SentinelFinder(sentinel)
            for conn in iter_connections(source, run, opts):
                text = render(conn)
                batch.append((conn.first_frame, _utf8(text)))
                if len(batch) >= BATCH:
                    _send_texts(fd, batch, find, ring)
                    batch = []
            _send_texts(fd, batch, find, ring)
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


#: A worker's text as the parent holds it: (first frame, the bytes before the sentinel id,
#: the bytes after it, or None when the text holds no sentinel).
_Piece = tuple[int, "bytes | memoryview", "bytes | memoryview | None"]

#: Bytes of texts the parent holds for one worker before it stops reading that worker
#: (which then waits, its ring full, as it would without this buffer).
BUFFER_CAP = 32 << 20


class _Feed:
    """One worker's texts, read by the parent as soon as they come, in the worker's order.

    Why read ahead: the parent can hand on a worker's text only once the other workers
    have shown theirs up to it (the merge by first frame), and a worker builds its
    connections a batch at a time (pipeline.BUILD_BATCH). Read only when the merge asked
    for it, a worker that had rendered a batch filled its ring and waited, idle, until
    the other rendered its own: on the issue-9 capture, runs whose workers used 3 s of
    CPU took 5 to 6.5 s. Now the parent copies each frame's texts out of the ring at once
    and releases it, holding up to BUFFER_CAP bytes a worker."""

    def __init__(self, fd: int, k: int, runs: list[RunState | None], sentinel_len: int,
                 ring: _Ring, release_fd: int) -> None:
        self.fd = fd
        self.stream = open(fd, "rb", buffering=0, closefd=True)  # noqa: SIM115 - see close
        self.k = k
        self.runs = runs
        self.sentinel_len = sentinel_len
        self.ring = ring
        self.release_fd = release_fd
        self.texts: collections.deque[_Piece] = collections.deque()
        self.held = 0  # bytes of the texts in ``texts``
        self.done = False  # the worker sent its last frame
        self._head = bytearray(_FRAME.size)

    def wanted(self) -> bool:
        """Whether to read this worker now: it has more to send and the parent holds
        less than BUFFER_CAP of its texts (or none: the merge waits for it)."""
        return not self.done and (not self.texts or self.held < BUFFER_CAP)

    def read_frame(self) -> None:
        """Read one frame (waiting for it) and take its texts."""
        _read_into(self.stream, memoryview(self._head))
        kind, size = _FRAME.unpack(self._head)
        data = memoryview(bytearray(size))
        _read_into(self.stream, data)
        if kind == b"D":
            self.runs[self.k] = pickle.loads(data)
            self.done = True
            return
        if kind == b"E":
            raise pickle.loads(data)
        if kind == b"R":  # the texts copied out of the ring, which the worker may reuse
            offset, _, release_at = _RING_PLACE.unpack(data)
            self._take(self.ring.memory, offset)
            _release(self.release_fd, release_at)
        else:
            self._take(data, 0)

    def _take(self, data: Any, base: int) -> None:
        """Queue the texts of a T payload at ``data[base:]``. Sliced, an mmap (the ring)
        gives bytes: each text is copied once, as it is taken; a whole frame copied out
        of the ring (some 400 KB) was a fresh mapping each time, faulted in page by page
        (a tenth of the parent's time)."""
        count = _COUNT.unpack_from(data, base)[0]
        at = base + _COUNT.size + count * _TEXT.size
        append, skip = self.texts.append, self.sentinel_len
        for i in range(count):
            frame, found, length = _TEXT.unpack_from(data, base + _COUNT.size + i * _TEXT.size)
            end = at + length
            if found < 0:
                append((frame, data[at:end], None))
                self.held += length
            else:
                cut = at + found
                append((frame, data[at:cut], data[cut + skip:end]))
                self.held += length - skip
            at = end

    def pop(self) -> _Piece:
        piece = self.texts.popleft()
        self.held -= len(piece[1]) + (len(piece[2]) if piece[2] is not None else 0)
        return piece

    def close(self) -> None:
        self.stream.close()


def _merged(feeds: list[_Feed]) -> Iterator[_Piece]:
    """Every worker's texts in order of first frame (each worker's are in that order):
    a text is handed on once every worker still running has shown one, and meanwhile
    every worker with something to send is read."""
    selector = selectors.DefaultSelector()
    try:
        for feed in feeds:
            selector.register(feed.fd, selectors.EVENT_READ, feed)
        while True:
            while True:  # hand on texts while every running worker has shown one
                best: _Feed | None = None
                for feed in feeds:
                    if feed.texts:
                        if best is None or feed.texts[0][0] < best.texts[0][0]:
                            best = feed
                    elif not feed.done:
                        break  # this worker's next text may come first: read it
                else:
                    if best is None:
                        return  # every worker is done and every text handed on
                    yield best.pop()
                    continue
                break
            for feed in feeds:  # read only the workers the parent may hold more of
                registered = feed.fd in selector.get_map()
                if registered and not feed.wanted():
                    selector.unregister(feed.fd)
                elif not registered and feed.wanted():
                    selector.register(feed.fd, selectors.EVENT_READ, feed)
            for key, _ in selector.select():
                key.data.read_frame()
    finally:
        selector.close()


def _release(fd: int, position: int) -> None:
    """Tell a worker it may write its ring up to ``position`` (a worker that has ended
    needs no more room: its closed pipe is not an error)."""
    try:
        os.write(fd, _RELEASED.pack(position))
    except BrokenPipeError:
        pass


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

    sentinel_id = new_sentinel_id()
    sentinel = token(sentinel_id)
    ctx = mp.get_context("fork")
    procs: list[BaseProcess] = []
    fds: list[int] = []
    release_fds: list[int] = []
    feeds: list[_Feed] = []
    runs: list[RunState | None] = [None] * jobs
    rings = [_Ring(RING_SIZE) for _ in range(jobs)]
    claims = new_claim_table(jobs)
    try:
        for k in range(jobs):
            recv, send = os.pipe()
            fds.append(recv)
            _widen(recv)
            released_recv, released_send = os.pipe()
            release_fds.append(released_send)
            rings[k].released_fd = released_recv
            proc = ctx.Process(target=_worker, args=(source, k, jobs, options, render, send,
                                                     sentinel_id, sentinel, rings[k], claims,
                                                     (*fds, *release_fds)), daemon=True)
            proc.start()
            os.close(send)
            os.close(released_recv)
            procs.append(proc)
        feeds = [_Feed(fd, k, runs, len(sentinel), rings[k], release_fds[k])
                 for k, fd in enumerate(fds)]
        fds = []  # the feeds close them
        join = b"".join
        for next_id, (_, before, after) in enumerate(_merged(feeds)):
            text = bytes(before) if after is None else join((before, token(next_id), after))
            yield text.decode("utf-8", "surrogatepass") if as_text else text  # type: ignore[misc]
    finally:
        for feed in feeds:
            feed.close()
        for fd in fds + release_fds:
            os.close(fd)
        for worker in procs:
            if worker.is_alive():
                worker.terminate()
            worker.join()
    _merge_runs(run, runs)


#: Pipe capacity asked for (Linux: F_SETPIPE_SZ). The texts go through the ring; the
#: pipe carries their places and the rare batch bigger than the ring (a T frame), which
#: through the default 64 KiB pipe would wake the parent and stall its worker many times.
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
