"""The generated module is reproducible from the shared data, and the generator refuses
data it was not written for (an unhandled IANA rename must be a decision, not a default)."""

from __future__ import annotations

import csv
import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[3]
DATA = REPO.parent / "shared" / "data" / "registries"
GENERATED = REPO / "src" / "tlslens" / "registry" / "_iana.py"


def _load_generator() -> ModuleType:
    path = REPO / "scripts" / "gen_registry.py"
    spec = importlib.util.spec_from_file_location("gen_registry", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def gen() -> ModuleType:
    return _load_generator()


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    if not DATA.is_dir():
        pytest.skip(f"{DATA} is absent")
    dst = tmp_path / "registries"
    shutil.copytree(DATA, dst, ignore=shutil.ignore_patterns("sources", "tools"))
    for f in dst.iterdir():
        f.chmod(0o644)
    return dst


def _edit_row(path: Path, value_int: str, new_name: str) -> None:
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    fieldnames = list(rows[0])
    for row in rows:
        if row["value_int"] == value_int:
            row["name"] = new_name
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=fieldnames)
        writer.writeheader()
        writer.writerows(rows)


def test_committed_file_is_reproducible(gen: ModuleType) -> None:
    if not DATA.is_dir():
        pytest.skip(f"{DATA} is absent")
    assert gen.generate(DATA) == GENERATED.read_text(encoding="utf-8")


def test_check_mode(gen: ModuleType, tmp_path: Path) -> None:
    if not DATA.is_dir():
        pytest.skip(f"{DATA} is absent")
    out = tmp_path / "_iana.py"
    assert gen.main([str(DATA), "--out", str(out), "--check"]) == 1  # missing = stale
    assert gen.main([str(DATA), "--out", str(out)]) == 0
    assert gen.main([str(DATA), "--out", str(out), "--check"]) == 0
    assert out.read_bytes() == GENERATED.read_bytes()


def test_output_does_not_depend_on_the_data_path(gen: ModuleType, data_copy: Path) -> None:
    assert gen.generate(data_copy) == GENERATED.read_text(encoding="utf-8")


def test_iana_renaming_a_value_again_stops_generation(gen: ModuleType, data_copy: Path) -> None:
    _edit_row(data_copy / "tls_extension_types.csv", "23", "extended_primary_secret")
    with pytest.raises(gen.DataError, match="extended_primary_secret"):
        gen.generate(data_copy)


def test_a_new_reserved_suffix_needs_a_decision(gen: ModuleType, data_copy: Path) -> None:
    _edit_row(data_copy / "tls_alerts.csv", "42", "bad_certificate_RESERVED")
    with pytest.raises(gen.DataError, match="RENAMES"):
        gen.generate(data_copy)


def test_iana_assigning_a_non_iana_value_is_noticed(gen: ModuleType, data_copy: Path) -> None:
    # if IANA ever assigns 13172 (NPN's code point), the field name must not hide it
    path = data_copy / "tls_extension_types.csv"
    with path.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        if row["range_start"] and int(row["range_start"]) <= 13172 <= int(row["range_end"]):
            row.update(
                value="13172",
                value_int="13172",
                range_start="13172",
                range_end="13172",
                name="new_thing",
                status="assigned",
            )
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with pytest.raises(gen.DataError, match="non-IANA names for IANA-assigned"):
        gen.generate(data_copy)


def test_missing_data_dir_is_a_clean_error(
    gen: ModuleType, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert gen.main([str(tmp_path / "nowhere"), "--out", str(tmp_path / "x.py")]) == 2
    assert "gen_registry:" in capsys.readouterr().err
    assert not (tmp_path / "x.py").exists()
