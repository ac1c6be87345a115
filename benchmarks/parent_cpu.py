"""Split a tlslens command's CPU time between the parent and its worker processes.

    parent_cpu.py ARGS...      e.g. parent_cpu.py analyze big.pcap --format ndjson --jobs 2 -q -o out

Runs ``tlslens ARGS...`` in this process and prints, on stderr, its wall time, the
parent's own CPU (start-up, merging the workers' texts, writing) and the workers' CPU
(``getrusage``: this process and its reaped children). With ``--jobs 2`` on two cores
the wall time is about the sum over two, so the parent's share is time the workers do
not get: run.py's totals cannot tell the two apart.
"""

from __future__ import annotations

import resource
import sys
import time


def main(argv: list[str]) -> int:
    start = time.perf_counter()
    from tlslens.cli import main as tlslens_main

    code = tlslens_main(argv)
    wall = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF)
    workers = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"wall {wall:.2f} s; parent CPU {own.ru_utime + own.ru_stime:.2f} s "
          f"(user {own.ru_utime:.2f}, system {own.ru_stime:.2f}); workers CPU "
          f"{workers.ru_utime + workers.ru_stime:.2f} s", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
