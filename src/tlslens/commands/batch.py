"""``tlslens batch PATH... -o OUT``: many captures, one flat row per TLS connection.

For a SIEM or a data lake: files, folders (searched recursively) and globs in; NDJSON or
Parquet out (see :mod:`tlslens.batch.rows` for the columns). ``--jobs N`` spreads the
files over a local process pool, ``--dask ADDRESS`` over a Dask distributed cluster; the
rows come out in the same order either way (files sorted, then connection id).

Exit codes: 0 when the run completed, also when some files failed (each failed file is an
error row in the output, and the summary line on stderr counts them); 2 bad arguments,
no capture found, the output cannot be written, pyarrow/dask missing, or the Dask
scheduler unreachable; 1 an internal error.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING, Any

from tlslens.commands import EXIT_OK, UsageError

if TYPE_CHECKING:
    from tlslens.batch.writers import RowWriter


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("batch", help="many captures to one NDJSON or Parquet file, one row "
                       "per TLS connection (local process pool or Dask)")
    p.add_argument("paths", nargs="+", metavar="PATH",
                   help="capture file, folder (searched recursively for .pcap, .pcapng, "
                   ".cap, .gz) or glob")
    p.add_argument("-o", "--output", metavar="OUT", required=True,
                   help="output file ('-': NDJSON on stdout)")
    p.add_argument("--format", choices=("ndjson", "parquet"), default=None,
                   help="output format (default: parquet for .parquet/.pq, else ndjson)")
    runner = p.add_mutually_exclusive_group()
    runner.add_argument("--jobs", "-j", type=_positive, default=None, metavar="N",
                        help="worker processes on this machine (default: the cores)")
    runner.add_argument("--dask", metavar="ADDRESS",
                        help="run on a Dask distributed scheduler, e.g. tcp://host:8786 "
                        "(the workers need tlslens and the captures at the same paths)")
    p.add_argument("--quiet", "-q", action="store_true",
                   help="no progress bar and no summary line on stderr")
    p.set_defaults(func=run)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def run(args: argparse.Namespace) -> int:
    from tlslens.batch.progress import BatchProgress
    from tlslens.batch.runner import expand_paths, run_batch
    from tlslens.batch.writers import format_for

    try:
        files = expand_paths(args.paths)
    except ValueError as exc:
        raise UsageError(str(exc)) from exc
    if not files:
        raise UsageError("no capture files found (.pcap, .pcapng, .cap, .gz)")
    fmt = args.format or format_for(args.output)
    if fmt == "parquet" and args.output == "-":
        raise UsageError("Parquet output needs a file name (-o OUT.parquet)")
    dask = _dask_client(args.dask) if args.dask else None
    try:
        writer = _writer(args.output, fmt)
        progress = BatchProgress(len(files), enabled=not args.quiet)
        connections = failed = 0
        try:
            for result in run_batch(files, jobs=args.jobs or os.cpu_count() or 1, dask=dask,
                                    on_result=progress.update):
                writer.write(result.rows)
                connections += result.connections
                failed += 1 if result.errors else 0
        except BaseException:
            progress.close()
            writer.abort()
            raise
        progress.close()
        writer.close()
    finally:
        if dask is not None:
            dask.close()
    if not args.quiet:
        where = "" if args.output == "-" else f" -> {args.output}"
        print(f"tlslens batch: {len(files)} files, {connections} TLS connections, "
              f"{failed} files with errors{where}", file=sys.stderr)
    return EXIT_OK


def _writer(path: str, fmt: str) -> RowWriter:
    from tlslens.batch.writers import open_writer

    try:
        return open_writer(path, fmt)
    except ImportError as exc:
        raise UsageError(f"{fmt} output needs pyarrow: pip install 'tlslens[batch]' "
                         f"({exc})") from exc
    except OSError as exc:
        raise UsageError(f"{path}: cannot write: {exc.strerror or exc}") from exc


def _dask_client(address: str) -> Any:
    """A client of the scheduler at ``address``; a usage error when it is unreachable."""
    try:
        from distributed import Client
    except ImportError as exc:
        raise UsageError(f"--dask needs dask.distributed: pip install 'tlslens[batch]' "
                         f"({exc})") from exc
    try:
        return Client(address, timeout="15s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
