"""Write batch rows as NDJSON (one JSON object a line) or Parquet (pyarrow).

Both writers take rows in the final order, a file's rows at a time, and stream: NDJSON
writes each row as it comes; Parquet writes a row group every ``ROW_GROUP`` rows with
the fixed schema of :data:`tlslens.batch.rows.COLUMNS` (so an empty batch still gives a
file with every column, and DuckDB or Spark see the same columns every day). Output to a
named file goes to a temporary name beside it and is renamed at the end: a collector
never picks up half a file.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
from collections.abc import Iterable
from typing import IO, Any, Protocol

from tlslens.batch.rows import COLUMNS

#: Rows per Parquet row group: bounds the writer's memory (about 2 KB a row buffered)
#: and is still large enough for good compression and fast DuckDB scans.
ROW_GROUP = 4096
FORMATS = ("ndjson", "parquet")


class RowWriter(Protocol):
    def write(self, rows: Iterable[dict[str, Any]]) -> None: ...
    def close(self) -> None: ...
    def abort(self) -> None: ...


def format_for(path: str) -> str:
    """The default format for an output path: Parquet for ``.parquet``/``.pq``."""
    return "parquet" if path.lower().endswith((".parquet", ".pq")) else "ndjson"


def _temp_name(path: str) -> str:
    head, tail = os.path.split(path)
    return os.path.join(head, f".{tail}.{os.getpid()}.part")


class NdjsonWriter:
    """One JSON object per line, keys in COLUMNS order, UTF-8. ``path`` '-' is stdout."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.temp: str | None = None
        if path == "-":
            self.out: IO[str] = sys.stdout
        else:
            self.temp = _temp_name(path)
            self.out = open(self.temp, "w", encoding="utf-8")  # noqa: SIM115 - close()

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        for row in rows:
            self.out.write(json.dumps(row, ensure_ascii=False, separators=(",", ":")))
            self.out.write("\n")
        self.out.flush()

    def close(self) -> None:
        if self.temp is None:
            self.out.flush()
            return
        self.out.close()
        os.replace(self.temp, self.path)

    def abort(self) -> None:
        if self.temp is not None:
            self.out.close()
            _remove(self.temp)


def arrow_schema() -> Any:
    """The Parquet schema of COLUMNS (pyarrow imported here: it is optional)."""
    import pyarrow as pa  # type: ignore[import-untyped]

    types = {"string": pa.string(), "int64": pa.int64(), "bool": pa.bool_(),
             "timestamp": pa.timestamp("us", tz="UTC"), "list<string>": pa.list_(pa.string())}
    return pa.schema([pa.field(name, types[kind]) for name, kind in COLUMNS])


def _timestamp(value: str | None) -> _dt.datetime | None:
    return None if value is None else _dt.datetime.fromisoformat(value)


class ParquetWriter:
    """Rows buffered into row groups of ROW_GROUP, written with the fixed schema."""

    def __init__(self, path: str) -> None:
        if path == "-":
            raise ValueError("Parquet output needs a file name, not '-'")
        import pyarrow.parquet as pq  # type: ignore[import-untyped]

        self.path = path
        self.temp = _temp_name(path)
        self.schema = arrow_schema()
        self.writer = pq.ParquetWriter(self.temp, self.schema, compression="zstd")
        self.buffer: list[dict[str, Any]] = []

    def write(self, rows: Iterable[dict[str, Any]]) -> None:
        self.buffer.extend(rows)
        while len(self.buffer) >= ROW_GROUP:
            self._flush(self.buffer[:ROW_GROUP])
            del self.buffer[:ROW_GROUP]

    def _flush(self, rows: list[dict[str, Any]]) -> None:
        import pyarrow as pa  # type: ignore[import-untyped]

        columns = []
        for name, kind in COLUMNS:
            values = [row[name] for row in rows]
            if kind == "timestamp":
                values = [_timestamp(v) for v in values]
            columns.append(pa.array(values, type=self.schema.field(name).type))
        self.writer.write_table(pa.Table.from_arrays(columns, schema=self.schema))

    def close(self) -> None:
        if self.buffer:
            self._flush(self.buffer)
            self.buffer.clear()
        self.writer.close()
        os.replace(self.temp, self.path)

    def abort(self) -> None:
        self.writer.close()
        _remove(self.temp)


def _remove(path: str) -> None:
    try:
        os.remove(path)
    except OSError:
        pass


def open_writer(path: str, fmt: str | None = None) -> RowWriter:
    """A writer for ``path`` in ``fmt`` (default: from the suffix, see :func:`format_for`).

    Raises ImportError when Parquet is asked for without pyarrow, OSError when the
    output cannot be created.
    """
    fmt = fmt or format_for(path)
    if fmt == "parquet":
        return ParquetWriter(path)
    if fmt == "ndjson":
        return NdjsonWriter(path)
    raise ValueError(f"unknown batch format {fmt!r} (have: {', '.join(FORMATS)})")
