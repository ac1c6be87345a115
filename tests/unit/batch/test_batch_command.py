"""``tlslens batch`` end to end: exit codes, formats by suffix, stdout/stderr split."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tlslens.batch.rows import COLUMN_NAMES
from tlslens.cli import main


def test_ndjson_on_stdout_with_a_summary_on_stderr(corpus: Path, damaged: Path,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["batch", str(corpus), str(damaged), "-o", "-", "--jobs", "2"]) == 0
    out, err = capsys.readouterr()
    rows = [json.loads(line) for line in out.splitlines()]
    assert all(list(r) == list(COLUMN_NAMES) for r in rows)
    failed = sorted({Path(r["capture"]).name for r in rows if r["error"]})
    assert failed == ["cut.pcap", "cut.pcap.gz", "empty.pcapng", "not-a-capture.pcap"]
    assert err.startswith("tlslens batch: ") and "4 files with errors" in err
    assert len(err.splitlines()) == 1  # no progress bar: stderr is not a terminal


def test_parquet_by_suffix_and_the_same_rows_from_a_fresh_process(
        corpus: Path, damaged: Path, tmp_path: Path) -> None:
    pq = pytest.importorskip("pyarrow.parquet")
    ndjson, parquet = tmp_path / "rows.ndjson", tmp_path / "rows.parquet"
    assert main(["batch", str(damaged), str(corpus), "-o", str(parquet), "-q"]) == 0
    proc = subprocess.run([sys.executable, "-m", "tlslens.cli", "batch", str(corpus),
                           str(damaged), "-o", str(ndjson), "--jobs", "2"],
                          check=False, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    rows = [json.loads(line) for line in ndjson.read_text(encoding="utf-8").splitlines()]
    table = pq.read_table(parquet)
    assert table.num_rows == len(rows) > 240
    assert table.column("sni").to_pylist() == [r["sni"] for r in rows]
    assert table.column("error").to_pylist() == [r["error"] for r in rows]


@pytest.mark.parametrize(("argv", "message"), [
    (["batch", "/nonexistent/x.pcap", "-o", "-"], "no such file"),
    (["batch", "{seed}", "-o", "-", "--format", "parquet"], "needs a file name"),
    (["batch", "{seed}", "-o", "/nonexistent/dir/out.ndjson"], "cannot write"),
    (["batch", "{empty}", "-o", "-"], "no capture files found"),
    (["batch", "{seed}", "-o", "-", "--dask", "nosuch://scheduler"], "dask"),
])
def test_usage_errors_exit_2_with_one_line(argv: list[str], message: str, tmp_path: Path,
                                           damaged: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "empty").mkdir()
    argv = [a.format(seed=damaged / "good.pcap", empty=tmp_path / "empty") for a in argv]
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and message in err.lower() and len(err.splitlines()) == 1


def test_jobs_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["batch", "x.pcap", "-o", "-", "--jobs", "0"])
    assert exc.value.code == 2
    assert "at least 1" in capsys.readouterr().err


def test_jobs_and_dask_exclude_each_other(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["batch", "x.pcap", "-o", "-", "--jobs", "2", "--dask", "tcp://h:8786"])
    assert exc.value.code == 2


def test_progress_draws_files_connections_and_failures_on_a_terminal(damaged: Path) -> None:
    import io

    from rich.console import Console

    from tlslens.batch.progress import BatchProgress
    from tlslens.batch.runner import analyze_file

    buf = io.StringIO()
    progress = BatchProgress(2, console=Console(file=buf, force_terminal=True, width=120))
    progress.update(analyze_file(str(damaged / "good.pcap")))
    progress.update(analyze_file(str(damaged / "cut.pcap")))
    progress.close()
    assert "2/2" in buf.getvalue() and "2 TLS connections, 1 failed" in buf.getvalue()
    quiet = io.StringIO()
    off = BatchProgress(1, enabled=False, console=Console(file=quiet, force_terminal=True))
    off.update(analyze_file(str(damaged / "good.pcap")))
    off.close()
    assert quiet.getvalue() == ""
