"""The batch runner: inputs found, one file's failure contained, the same rows whatever
runs them (in-process, a local pool of 2, a Dask LocalCluster), in file-then-id order."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tlslens.batch.rows import COLUMN_NAMES
from tlslens.batch.runner import FileResult, analyze_file, expand_paths, run_batch, window


def _rows(results: list[FileResult] | object) -> list[dict]:
    return [row for result in results for row in result.rows]  # type: ignore[attr-defined]


# -- inputs ------------------------------------------------------------------------------

def test_folders_are_searched_recursively_by_suffix(tmp_path: Path) -> None:
    (tmp_path / "a" / "deep").mkdir(parents=True)
    for name in ("a/x.pcap", "a/deep/y.PCAPNG", "a/z.cap", "a/w.pcap.gz", "a/k.keylog",
                 "a/readme.txt"):
        (tmp_path / name).write_bytes(b"")
    found = expand_paths([str(tmp_path / "a")])
    assert [os.path.relpath(p, tmp_path) for p in found] == \
        ["a/deep/y.PCAPNG", "a/w.pcap.gz", "a/x.pcap", "a/z.cap"]


def test_globs_files_and_duplicates(tmp_path: Path) -> None:
    for name in ("b.pcap", "a.pcap", "c.txt"):
        (tmp_path / name).write_bytes(b"")
    found = expand_paths([str(tmp_path / "*.pcap"), str(tmp_path / "c.txt"),
                          str(tmp_path / "." / "a.pcap"), str(tmp_path)])
    # a file named directly is taken whatever its suffix; ./a.pcap is a.pcap
    assert [Path(p).name for p in found] == ["a.pcap", "b.pcap", "c.txt"]


@pytest.mark.parametrize("pattern", ["missing.pcap", "nothing-*.pcap"])
def test_a_path_that_finds_nothing_is_an_error(tmp_path: Path, pattern: str) -> None:
    with pytest.raises(ValueError, match="no such file|no file matches"):
        expand_paths([str(tmp_path / pattern)])


# -- one file ----------------------------------------------------------------------------

@pytest.mark.parametrize(("name", "error", "connections"), [
    ("not-a-capture.pcap", "batch.not_a_capture", 0),
    ("empty.pcapng", "batch.not_a_capture", 0),
    ("cut.pcap", "capture.truncated", 1),      # the handshake before the cut is kept
    ("cut.pcap.gz", "capture.truncated", 1),
])
def test_a_damaged_file_is_an_error_row_after_what_it_had(damaged: Path, name: str,
                                                          error: str, connections: int) -> None:
    result = analyze_file(str(damaged / name))
    assert result.connections == connections and result.errors == 1
    assert [r["error"] for r in result.rows] == [None] * connections + [error]
    last = result.rows[-1]
    assert last["capture"] == str(damaged / name) and last["error_detail"]
    assert list(last) == list(COLUMN_NAMES)


def test_a_missing_file_is_an_error_row(tmp_path: Path) -> None:
    result = analyze_file(str(tmp_path / "gone.pcap"), label="gone.pcap")
    assert [(r["capture"], r["error"]) for r in result.rows] == \
        [("gone.pcap", "batch.not_a_capture")]
    assert "cannot open" in result.rows[0]["error_detail"]


# -- many files --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def files(corpus: Path, damaged: Path) -> list[str]:
    found = expand_paths([str(corpus), str(damaged)])
    assert len(found) > 50
    return found


@pytest.fixture(scope="module")
def serial_rows(files: list[str]) -> list[dict]:
    return _rows(list(run_batch(files, jobs=1)))


def test_serial_rows_are_in_file_then_connection_order(files: list[str],
                                                       serial_rows: list[dict]) -> None:
    keys = [(files.index(r["capture"]), r["error"] is not None, r["connection_id"] or 0)
            for r in serial_rows]
    assert keys == sorted(keys)
    assert {r["capture"] for r in serial_rows if r["error"]} == \
        {f for f in files if "/damaged" in f and not f.endswith("good.pcap")}
    assert sum(1 for r in serial_rows if r["error"] is None) > 240


def test_a_pool_of_two_gives_the_same_rows(files: list[str], serial_rows: list[dict]) -> None:
    done: list[str] = []
    results = list(run_batch(files, jobs=2, on_result=lambda r: done.append(r.capture)))
    assert [r.capture for r in results] == files
    assert sorted(done) == sorted(files)  # every file reported once, in completion order
    assert _rows(results) == serial_rows


def test_a_dask_local_cluster_gives_the_same_rows(files: list[str], serial_rows: list[dict],
                                                  tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    import dask

    with dask.config.set({"temporary-directory": str(tmp_path)}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                     dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        by_client = _rows(list(run_batch(files, dask=client)))
        by_address = _rows(list(run_batch(files, dask=cluster.scheduler_address)))
    assert by_client == serial_rows
    assert by_address == serial_rows


def die_on_poison(path: str, label: str) -> FileResult:
    """A task whose worker process really dies on one file (as an OOM kill would)."""
    if path.endswith("poison.pcap"):
        os._exit(3)
    return analyze_file(path, label)


def test_a_dying_worker_loses_only_its_own_file(damaged: Path, tmp_path: Path) -> None:
    seed = (damaged / "good.pcap").read_bytes()
    names = ["a.pcap", "b.pcap", "poison.pcap", "c.pcap", "d.pcap"]
    for name in names:
        (tmp_path / name).write_bytes(seed)
    files = [str(tmp_path / n) for n in names]
    results = list(run_batch(files, jobs=2, task=die_on_poison))
    assert [r.capture for r in results] == files
    errors = {r.capture: [row["error"] for row in r.rows] for r in results}
    assert errors[str(tmp_path / "poison.pcap")] == ["batch.worker_lost"]
    for name in ("a.pcap", "b.pcap", "c.pcap", "d.pcap"):
        assert errors[str(tmp_path / name)] == [None]  # the seed's one connection


def slow_first(path: str, label: str) -> FileResult:
    """A task whose first file takes long (as a huge capture would)."""
    if path.endswith("000.pcap"):
        time.sleep(1.5)
    return analyze_file(path, label)


def test_a_slow_first_file_holds_back_only_a_window_of_results(tmp_path: Path) -> None:
    files = []
    for n in range(40):
        path = tmp_path / f"{n:03d}.pcap"
        path.write_bytes(b"not a capture")
        files.append(str(path))
    done: list[str] = []
    results = list(run_batch(files, jobs=2, task=slow_first,
                             on_result=lambda r: done.append(r.capture)))
    assert [r.capture for r in results] == files
    # finished while 000 ran: at most the window minus 000 itself, not all 39 others
    assert 0 < done.index(files[0]) <= window(2) - 1
