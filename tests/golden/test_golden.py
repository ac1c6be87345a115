"""The seed fixture's reports, byte for byte (regenerate: scripts/regen_golden.py)."""

from __future__ import annotations

import json

import pytest

from tests.golden.cases import CASES, GOLDEN, render
from tlslens.report.schema import validate_report


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden(name: str) -> None:
    rendered = render(name)
    stored = {p.name: p.read_text(encoding="utf-8") for p in (GOLDEN / name).glob("expected.*")}
    assert sorted(rendered) == sorted(stored), "run scripts/regen_golden.py"
    for filename, content in rendered.items():
        assert content == stored[filename], f"{name}/{filename} differs: " \
                                            "run scripts/regen_golden.py and review the diff"


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_json_is_valid(name: str) -> None:
    validate_report(json.loads((GOLDEN / name / "expected.json").read_text(encoding="utf-8")))
