"""Instructions tlslens executes on a capture, counted by valgrind (callgrind).

    python benchmarks/instructions.py CAPTURE [--mode analyze|fingerprint] [--rows]
                                      [--cli] [--src PATH] [--json]

Why: wall and CPU times on this (shared, virtual) machine move by 10-30 % between runs,
more than most single changes gain. The number of instructions executed is the same,
run after run, to a few hundredths of a percent (hash randomisation is fixed here), so
two versions of tlslens can be compared exactly: ``--src`` points at another checkout's
``src`` (its C extensions built in place). It counts what ``run.py`` times, without the
output: ``iter_connections`` over the whole capture, with the options of ``tlslens
analyze`` (``--mode analyze``) or of ``tlslens fingerprint`` (``--mode fingerprint``;
``--rows``: with its fingerprint rows, as the command runs now). Start-up and imports are
counted too; use the same capture for both sides. ``--cli`` counts the whole command
line instead, output included: ``tlslens analyze --format ndjson --jobs 1 -q`` or
``tlslens fingerprint --jobs 1``, written to a temporary file. Speed itself is measured by
``run.py``, against tshark and ssldump; this only says which of two versions does less.

Needs valgrind. A run takes about 50 times as long as the analysis itself.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

#: The program valgrind runs: one pass of iter_connections with the mode's options.
_PROGRAM = """
import gc, sys
gc.set_threshold(20_000, *gc.get_threshold()[1:])  # as the command line does
from tlslens.pipeline import Options, iter_connections
opts = {"analyze": {}, "fingerprint": {"hellos_only": True},
        "rows": {"hellos_only": True, "fingerprint_rows": True}}[sys.argv[2]]
n = sum(1 for _ in iter_connections(sys.argv[1], options=Options(**opts)))
print("connections", n)
"""


#: The command line ``--cli`` counts, per mode (the capture and ``-o FILE`` follow).
_CLI = {"analyze": ["analyze", "--format", "ndjson", "--jobs", "1", "-q"],
        "fingerprint": ["fingerprint", "--jobs", "1"]}
_CLI_PROGRAM = "import sys; from tlslens.cli import main; sys.exit(main(sys.argv[1:]))"


def count(capture: Path, mode: str, src: Path | None = None,
          cli: bool = False) -> tuple[int, int]:
    """(instructions, connections) of one pass; RuntimeError if valgrind is missing or
    the program fails. ``cli``: the whole command line of ``mode`` ("analyze" or
    "fingerprint"), its connections counted in its output."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise RuntimeError("valgrind is not installed")
    env = dict(os.environ, PYTHONHASHSEED="0")
    if src is not None:
        env["PYTHONPATH"] = str(src)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        program = ([_CLI_PROGRAM, *_CLI["fingerprint" if mode == "rows" else mode],
                    str(capture), "-o", str(out)] if cli else [_PROGRAM, str(capture), mode])
        proc = subprocess.run(
            [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null",
             os.path.realpath(sys.executable), "-c", *program],
            capture_output=True, text=True, env=env, check=False)
        found = re.search(r"Collected\s*:\s*(\d+)", proc.stderr)
        if cli:
            lines = out.read_bytes().count(b"\n") if out.exists() else 0
            conns = lines - (mode != "analyze")  # the fingerprint table has a header
        else:
            seen = re.search(r"connections (\d+)", proc.stdout)
            conns = int(seen.group(1)) if seen else -1
    if proc.returncode != 0 or found is None or conns < 0:
        raise RuntimeError(f"valgrind run failed ({proc.returncode}): "
                           f"{proc.stderr.strip().splitlines()[-1:]}")
    return int(found.group(1)), conns


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("capture", type=Path)
    p.add_argument("--mode", choices=("analyze", "fingerprint"), default="analyze")
    p.add_argument("--rows", action="store_true",
                   help="fingerprint mode with fingerprint rows (as the command runs)")
    p.add_argument("--cli", action="store_true",
                   help="count the whole command line, output included")
    p.add_argument("--src", type=Path, help="another checkout's src folder to count")
    p.add_argument("--json", action="store_true", help="print JSON")
    args = p.parse_args(argv)
    mode = "rows" if args.mode == "fingerprint" and args.rows else args.mode
    try:
        instructions, conns = count(args.capture, mode, args.src, args.cli)
    except RuntimeError as exc:
        print(f"instructions.py: {exc}", file=sys.stderr)
        return 1
    if args.cli:
        mode = f"{args.mode} (command line)"
    result = {"capture": str(args.capture), "mode": mode, "instructions": instructions,
              "connections": conns,
              "per_connection": round(instructions / conns) if conns else None}
    if args.json:
        print(json.dumps(result))
    else:
        print(f"{mode}: {instructions:,} instructions, {conns} connections"
              + (f", {result['per_connection']:,} per connection" if conns else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
