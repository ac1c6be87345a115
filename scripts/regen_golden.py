#!/usr/bin/env python3
"""Rewrite the golden report files (tests/golden/<case>/expected.*) from the current code.

Run after an intended output change, then review ``git diff tests/golden``.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.golden.cases import CASES, GOLDEN, render


def main() -> None:
    for name in CASES:
        folder = GOLDEN / name
        folder.mkdir(parents=True, exist_ok=True)
        for old in folder.glob("expected.*"):
            old.unlink()
        for filename, content in render(name).items():
            (folder / filename).write_text(content, encoding="utf-8")
            print(f"wrote {folder / filename}")


if __name__ == "__main__":
    main()
