"""What every hostile input must satisfy, checked the same way in every robustness test.

The contract (issue 2, README "Exit codes"): the API either returns a result whose JSON
report validates against the schema and whose text report renders, or raises only
:class:`CaptureFormatError`; no connection carries ``internal.error`` (a bug the
pipeline caught is still a bug); the CLI exits 0 or 2, writes no traceback, and on exit
2 exactly one line on stderr. A per-case time limit turns a hang into a failure.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tlslens.analysis.model import AnalysisResult
from tlslens.capture.reader import CaptureFormatError
from tlslens.pipeline import analyze
from tlslens.report.schema import validate_report
from tlslens.report.text import write_text

#: Seconds one API case may take (the biggest corpus capture takes well under one).
CASE_LIMIT = 20


class Hang(Exception):
    """A case ran past its time limit."""


@contextmanager
def time_limit(seconds: float, what: str) -> Iterator[None]:
    """Raise :class:`Hang` in the main thread if the block runs longer than ``seconds``."""
    def expired(signum: int, frame: object) -> None:
        raise Hang(f"{what}: still running after {seconds} s")

    old = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def internal_errors(result: AnalysisResult) -> list[str]:
    found = [a.detail for a in result.anomalies if a.id == "internal.error"]
    for conn in result.connections:
        found += [a.detail for a in conn.anomalies if a.id == "internal.error"]
    return found


def check_api(data: bytes, what: str, *, text: bool = False) -> AnalysisResult | None:
    """Analyse ``data`` as a capture; None when it is rightly refused as no capture."""
    with time_limit(CASE_LIMIT, what):
        try:
            result = analyze(io.BytesIO(data))
        except CaptureFormatError as exc:
            assert "\n" not in str(exc), f"{what}: a multi-line error: {exc!r}"
            return None
        validate_report(result.to_dict())
        if text:
            for color in (False, True):
                write_text(result, io.StringIO(), color=color)
    bugs = internal_errors(result)
    assert not bugs, f"{what}: {bugs}"
    return result


@dataclass(frozen=True)
class CliRun:
    code: int
    stdout: str
    stderr: str


def start_cli(args: Sequence[str], stdin: bytes | None = None) -> subprocess.Popen[bytes]:
    """Start ``tlslens ARGS`` (as ``python -m``, so the tree under test runs)."""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2] / "src"))
    return subprocess.Popen([sys.executable, "-m", "tlslens.cli", *args],
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


def finish_cli(proc: subprocess.Popen[bytes], stdin: bytes | None = None,
               what: str = "") -> CliRun:
    """Wait for a started CLI and check the exit contract."""
    try:
        out, err = proc.communicate(stdin, timeout=CASE_LIMIT * 2)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        raise Hang(f"{what}: the CLI still runs after {CASE_LIMIT * 2} s") from None
    run = CliRun(proc.returncode, out.decode(errors="replace"), err.decode(errors="replace"))
    assert "Traceback" not in run.stderr, f"{what}: {run.stderr}"
    assert run.code in (0, 2), f"{what}: exit {run.code}: {run.stderr}"
    lines = run.stderr.splitlines()
    if run.code == 2:
        assert len(lines) == 1 and lines[0].startswith("tlslens: error: "), \
            f"{what}: {run.stderr!r}"
    else:
        assert not lines, f"{what}: {run.stderr!r}"
    return run
