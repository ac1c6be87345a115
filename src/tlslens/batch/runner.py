"""Run the per-file task over many captures: in-process, on a local pool, or on Dask.

The unit of work is one capture file (:func:`analyze_file`): it streams the file through
:func:`tlslens.iter_connections` and returns its rows. Files are independent, so they
spread over a :class:`~concurrent.futures.ProcessPoolExecutor` on one machine and over a
Dask distributed cluster past one (``client.map``; Dask schedules, retries a task whose
worker died, and moves results; tlslens adds no cluster code of its own).

Results arrive in completion order; :func:`run_batch` hands them out in file order
(files sorted, rows by connection id), so the output is the same whatever ``jobs`` is and
whichever runner ran it. A file that fails never stops the others: it becomes an error
row (see :mod:`tlslens.batch.rows`).
"""

from __future__ import annotations

import glob
import os
import traceback
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, cast

from tlslens.batch.rows import connection_row, error_row

#: What a folder is searched for (recursively); names compared lower-case.
CAPTURE_SUFFIXES = (".pcap", ".pcapng", ".cap", ".gz")
#: Capture-level anomalies that mean the file itself is damaged: reported as an error row
#: after the connections found before the damage.
DAMAGE_IDS = ("capture.truncated", "capture.gzip_error", "capture.bad_block")
#: A local pool runs or holds at most max(WINDOW_MIN, WINDOW_PER_JOB * jobs) files ahead
#: of the first unfinished one (bounds the rows waiting in memory for their turn).
WINDOW_PER_JOB = 8
WINDOW_MIN = 16

#: A per-file task: ``task(path, label) -> FileResult`` (module-level: it is pickled).
Task = Callable[[str, str], "FileResult"]
#: (index into the file list, its result), in completion order.
Completed = Iterator[tuple[int, "FileResult"]]


@dataclass(slots=True)
class FileResult:
    """The rows of one capture file (connection rows, then any error row)."""

    capture: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    connections: int = 0
    errors: int = 0


def analyze_file(path: str, label: str | None = None) -> FileResult:
    """Analyse one capture into rows; never raises for a bad file or a bug.

    ``label`` is what the ``capture`` column says (default: ``path``); a Dask run opens an
    absolute path but labels rows with the path as the user's command found it.
    """
    from tlslens.capture.reader import CaptureFormatError
    from tlslens.pipeline import RunState, iter_connections

    label = path if label is None else label
    result = FileResult(label)
    run = RunState()
    try:
        for conn in iter_connections(path, run):
            result.rows.append(connection_row(label, conn))
            result.connections += 1
    except CaptureFormatError as exc:
        _fail(result, "batch.not_a_capture", str(exc))
    except Exception as exc:  # noqa: BLE001 - a bug on one file must not stop the batch
        where = traceback.format_exc(limit=-1).strip().splitlines()[-1]
        _fail(result, "internal.error", f"{type(exc).__name__}: {exc}; {where}")
    else:
        damage = [a for a in run.anomalies if a.id in DAMAGE_IDS]
        if damage:
            more = f" (and {len(damage) - 1} more)" if len(damage) > 1 else ""
            _fail(result, damage[0].id, f"{damage[0].detail}{more}; connections "
                  f"reported before it: {result.connections}")
    return result


def _fail(result: FileResult, error: str, detail: str) -> None:
    result.rows.append(error_row(result.capture, error, detail))
    result.errors += 1


def _lost(path: str, why: str) -> FileResult:
    result = FileResult(path)
    _fail(result, "batch.worker_lost", why)
    return result


# -- inputs ------------------------------------------------------------------------------

def _is_capture_name(name: str) -> bool:
    return name.lower().endswith(CAPTURE_SUFFIXES)


def _walk(folder: str) -> Iterator[str]:
    for root, dirs, names in os.walk(folder):
        dirs.sort()
        for name in names:
            if _is_capture_name(name):
                yield os.path.join(root, name)


def expand_paths(paths: Iterable[str]) -> list[str]:
    """Files, folders (searched recursively for CAPTURE_SUFFIXES) and globs -> sorted,
    de-duplicated capture paths. A file named directly is taken whatever its suffix.

    Raises ValueError naming a path that is neither a file, a folder, nor a glob that
    matches something.
    """
    found: set[str] = set()
    for path in paths:
        if os.path.isdir(path):
            found.update(_walk(path))
        elif os.path.exists(path):
            found.add(path)
        elif glob.has_magic(path):
            matches = glob.glob(path, recursive=True)
            if not matches:
                raise ValueError(f"{path}: no file matches")
            for match in matches:
                found.update(_walk(match) if os.path.isdir(match) else (match,))
        else:
            raise ValueError(f"{path}: no such file or folder")
    return sorted({os.path.normpath(p) for p in found})


# -- runners -----------------------------------------------------------------------------

def run_batch(files: Sequence[str], *, jobs: int = 1, dask: Any = None,
              on_result: Callable[[FileResult], None] | None = None,
              task: Task = analyze_file) -> Iterator[FileResult]:
    """Every file's result, in the order of ``files``, whatever order they finish in.

    ``jobs`` > 1 runs a local process pool of that many workers; ``dask`` (a scheduler
    address such as ``tcp://host:8786``, or a ``distributed.Client``) runs on that
    cluster instead, where every worker must see the files at the same path.
    ``on_result`` is called as each file's result arrives (for progress). A result that
    finishes before its turn waits: in memory for the local pool (at most
    ``window(jobs)`` files), on the Dask workers for a cluster. ``jobs`` 1 runs the files
    in this process, one after the other.
    """
    if dask is not None:
        completed = _dask_completed(files, dask, task)
    elif jobs <= 1 or len(files) <= 1:
        completed = ((i, task(path, path)) for i, path in enumerate(files))
    else:
        completed = _pool_completed(files, jobs, task)
    return _in_order(completed, on_result)


def _in_order(completed: Completed,
              on_result: Callable[[FileResult], None] | None) -> Iterator[FileResult]:
    waiting: dict[int, FileResult] = {}
    next_index = 0
    for index, result in completed:
        if on_result is not None:
            on_result(result)
        waiting[index] = result
        while next_index in waiting:
            yield waiting.pop(next_index)
            next_index += 1


def _pool_completed(files: Sequence[str], jobs: int, task: Task) -> Completed:
    """A local process pool with at most ``window(jobs)`` files past the first unfinished
    one, so results waiting for their turn stay few (a slow first file holds back at most
    that many finished ones, not the whole batch).

    A worker that dies (killed, out of memory) breaks the whole pool: the files it took
    down are retried, each alone in a fresh one-worker pool, so only the file that kills
    its worker is reported lost; then a new pool goes on with the rest."""
    queue = deque(range(len(files)))
    finished: set[int] = set()
    low = 0  # the first file whose result has not been handed out
    while queue:
        broken: list[int] = []
        pool = ProcessPoolExecutor(max_workers=min(jobs, len(queue)))
        running: dict[Future[FileResult], int] = {}
        try:
            while (queue or running) and not broken:
                while queue and queue[0] < low + window(jobs):
                    i = queue.popleft()
                    running[pool.submit(task, files[i], files[i])] = i
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for fut in sorted(done, key=running.__getitem__):
                    i = running.pop(fut)
                    try:
                        result = fut.result()
                    except BrokenProcessPool:
                        broken.append(i)
                        continue
                    finished.add(i)
                    yield i, result
                while low in finished:
                    low += 1
        finally:  # also when the consumer stops early: do not run the files still queued
            pool.shutdown(wait=True, cancel_futures=True)
        for fut, i in running.items():  # the rest of a broken pool's files
            if not fut.cancelled() and fut.exception() is None:
                finished.add(i)
                yield i, fut.result()
            else:
                broken.append(i)
        for i in sorted(broken):
            finished.add(i)
            yield i, _alone(task, files[i])
        while low in finished:
            low += 1


def window(jobs: int) -> int:
    """Files a local pool may run or hold ahead of the first unfinished one."""
    return max(WINDOW_MIN, WINDOW_PER_JOB * jobs)


def _alone(task: Task, path: str) -> FileResult:
    """Retry one file in its own worker process, so a crash there takes down no other."""
    with ProcessPoolExecutor(max_workers=1) as pool:
        try:
            return pool.submit(task, path, path).result()
        except BrokenProcessPool as exc:
            return _lost(path, f"the worker process died ({exc})")


def _dask_completed(files: Sequence[str], dask: Any, task: Task) -> Completed:
    """The same task on a Dask distributed cluster: ``client.map`` over the files.

    Finished results stay on the workers until their turn comes, then are fetched in
    file order and released, so the client holds one file's rows at a time. Dask itself
    retries a task whose worker died (``distributed.scheduler.allowed-failures``); a task
    that still fails is reported as ``batch.worker_lost``."""
    from distributed import Client
    from distributed import as_completed as dask_as_completed

    own = isinstance(dask, str)
    client = Client(dask, timeout="30s") if own else dask
    try:
        targets = [os.path.abspath(path) for path in files]
        futures = client.map(task, targets, list(files), pure=False)
        index = {fut.key: i for i, fut in enumerate(futures)}
        finished = [False] * len(futures)
        low = 0
        for fut in dask_as_completed(futures):
            finished[index[fut.key]] = True
            while low < len(futures) and finished[low]:
                yield low, _fetch(futures[low], files[low])
                low += 1
    finally:
        if own:
            client.close()


def _fetch(fut: Any, path: str) -> FileResult:
    """A finished Dask future's result (or its failure as an error row), then released."""
    try:
        return cast(FileResult, fut.result())
    except Exception as exc:  # noqa: BLE001 - KilledWorker, CancelledError, ...
        return _lost(path, f"{type(exc).__name__}: {exc}")
    finally:
        fut.release()
