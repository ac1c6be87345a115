"""``tlslens batch``: many captures in, one flat row per TLS connection out.

Built for a SIEM or a data lake: :mod:`.rows` turns a :class:`~tlslens.TlsConnection`
into a flat row (the same columns in NDJSON and Parquet), :mod:`.runner` runs the per-file
task on a local process pool or on a Dask distributed cluster and hands the rows back in
a deterministic order, :mod:`.writers` writes them. pyarrow and dask are optional
(``pip install 'tlslens[batch]'``) and imported only when Parquet or Dask is asked for.
"""

from __future__ import annotations

from tlslens.batch.rows import COLUMNS, connection_row, error_row
from tlslens.batch.runner import FileResult, analyze_file, expand_paths, run_batch

__all__ = ["COLUMNS", "FileResult", "analyze_file", "connection_row", "error_row",
           "expand_paths", "run_batch"]
