"""NDJSON and Parquet writers: same rows back, fixed schema, atomic files, DuckDB reads it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tlslens.batch.rows import COLUMN_NAMES
from tlslens.batch.runner import expand_paths, run_batch
from tlslens.batch.writers import ROW_GROUP, format_for, open_writer

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")

README = Path(__file__).resolve().parents[3] / "README.md"


@pytest.fixture(scope="module")
def rows(corpus: Path, damaged: Path) -> list[dict]:
    files = expand_paths([str(corpus), str(damaged)])
    return [row for result in run_batch(files, jobs=1) for row in result.rows]


def _write(path: Path, rows: list[dict], fmt: str | None = None) -> None:
    writer = open_writer(str(path), fmt)
    writer.write(rows[: len(rows) // 2])
    writer.write(rows[len(rows) // 2:])
    writer.close()


def test_format_follows_the_suffix() -> None:
    assert format_for("x.parquet") == format_for("X.PQ") == "parquet"
    assert format_for("x.ndjson") == format_for("x.jsonl") == format_for("-") == "ndjson"


def test_ndjson_round_trip(tmp_path: Path, rows: list[dict]) -> None:
    out = tmp_path / "rows.ndjson"
    _write(out, rows)
    lines = out.read_text(encoding="utf-8").splitlines()
    back = [json.loads(line) for line in lines]
    assert back == rows
    assert all(list(b) == list(COLUMN_NAMES) for b in back)
    assert [p.name for p in tmp_path.iterdir()] == ["rows.ndjson"]  # no temp file left


def test_parquet_round_trip_with_the_fixed_schema(tmp_path: Path, rows: list[dict]) -> None:
    out = tmp_path / "rows.parquet"
    _write(out, rows)
    table = pq.read_table(out)
    assert table.column_names == list(COLUMN_NAMES)
    assert table.schema.field("start_time").type == pa.timestamp("us", tz="UTC")
    assert table.schema.field("finding_ids").type == pa.list_(pa.string())
    back = table.to_pylist()
    assert len(back) == len(rows)
    for got, want in zip(back, rows):
        for key in ("start_time", "end_time"):
            if want[key] is not None:
                assert got[key].strftime("%Y-%m-%dT%H:%M:%S.%fZ") == want[key]
        if want["leaf_not_after"] is not None:
            assert got["leaf_not_after"].strftime("%Y-%m-%dT%H:%M:%SZ") == \
                want["leaf_not_after"]
        for key in COLUMN_NAMES:
            if key not in ("start_time", "end_time", "leaf_not_after"):
                assert got[key] == want[key], key


def test_parquet_row_groups_and_empty_output(tmp_path: Path, rows: list[dict]) -> None:
    many = rows * (ROW_GROUP // len(rows) + 2)
    _write(tmp_path / "many.parquet", many)
    meta = pq.ParquetFile(tmp_path / "many.parquet").metadata
    assert meta.num_rows == len(many) and meta.num_row_groups == 2
    _write(tmp_path / "empty.parquet", [])
    empty = pq.read_table(tmp_path / "empty.parquet")
    assert empty.num_rows == 0 and empty.column_names == list(COLUMN_NAMES)


def test_abort_leaves_no_file(tmp_path: Path, rows: list[dict]) -> None:
    for name in ("x.parquet", "x.ndjson"):
        writer = open_writer(str(tmp_path / name))
        writer.write(rows[:3])
        writer.abort()
    assert list(tmp_path.iterdir()) == []


def _readme_sql() -> str:
    """The DuckDB query of the README's "Many captures" section (so the doc cannot rot)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Many captures", 1)[1].split("\n## ", 1)[0]
    match = re.search(r"```sql\n(.*?)```", section, re.DOTALL)
    assert match, "README 'Many captures' has no ```sql block"
    return match.group(1)


def test_duckdb_runs_the_readme_query(tmp_path: Path, rows: list[dict],
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    duckdb = pytest.importorskip("duckdb")
    _write(tmp_path / "tls.parquet", rows)
    monkeypatch.chdir(tmp_path)  # the README query reads tls.parquet
    cursor = duckdb.connect().execute(_readme_sql())  # DB-API: stable across versions
    got = cursor.fetchall()
    assert [d[0] for d in cursor.description][:2] == ["ja4", "sni"]
    # the README query: client fingerprints per server name, over connections that worked
    want = {}
    for r in rows:
        if r["error"] is None and r["ja4"] is not None:
            key = (r["ja4"], r["sni"])
            want[key] = want.get(key, 0) + 1
    assert {(ja4, sni): n for ja4, sni, n, *_ in got} == want


def test_duckdb_sees_error_rows_and_lists(tmp_path: Path, rows: list[dict]) -> None:
    duckdb = pytest.importorskip("duckdb")
    path = tmp_path / "tls.parquet"
    _write(path, rows)
    con = duckdb.connect()
    errors = con.execute(f"SELECT capture, error FROM '{path}' WHERE error IS NOT NULL "
                         "ORDER BY capture").fetchall()
    assert [(Path(c).name, e) for c, e in errors] == [
        ("cut.pcap", "capture.truncated"), ("cut.pcap.gz", "capture.truncated"),
        ("empty.pcapng", "batch.not_a_capture"), ("not-a-capture.pcap", "batch.not_a_capture")]
    [expired] = con.execute(f"SELECT count(*) FROM '{path}' "
                            "WHERE list_contains(finding_ids, 'cert-expired')").fetchall()
    assert expired == (sum(1 for r in rows if r["finding_ids"] and
                           "cert-expired" in r["finding_ids"]),)
