"""``python -m tlslens``: the same command line as the ``tlslens`` script."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seed" / "seed.pcap"


def _run(module: str, *args: str) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([sys.executable, "-m", module, *args], capture_output=True,
                          check=False, timeout=120)


def test_python_dash_m_tlslens_gives_the_scripts_report() -> None:
    package = _run("tlslens", "analyze", str(SEED), "--format", "ndjson", "-q")
    cli = _run("tlslens.cli", "analyze", str(SEED), "--format", "ndjson", "-q")
    assert package.returncode == 0 and package.stderr == b""
    assert package.stdout.count(b"\n") >= 1 and package.stdout == cli.stdout


def test_python_dash_m_tlslens_bad_argument_is_one_line_and_exit_2() -> None:
    proc = _run("tlslens", "analyze", str(SEED), "--format", "yaml")
    assert proc.returncode == 2 and proc.stdout == b""
    assert b"Traceback" not in proc.stderr and b"tlslens" in proc.stderr
