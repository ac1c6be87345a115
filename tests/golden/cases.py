"""Golden cases: a capture (and options) whose full reports are kept byte for byte.

Each case writes ``expected.json`` and ``expected.<lang>.txt`` under ``tests/golden/<name>``.
Regenerate after an intended change with ``python scripts/regen_golden.py`` and review the
diff: the golden files are the product's output, read by people.
"""

from __future__ import annotations

import io
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).resolve().parent

#: name -> (capture relative to the repo, extra analyze arguments)
CASES: dict[str, tuple[str, tuple[str, ...]]] = {
    "seed": ("tests/fixtures/seed/seed.pcap", ()),
}
LANGS = ("en", "zh")


def render(name: str) -> dict[str, str]:
    """file name -> content of every golden file of case ``name`` (via the CLI code)."""
    from contextlib import redirect_stdout

    from tlslens.cli import main
    from tlslens.report.i18n import CATALOGUES

    capture, extra = CASES[name]
    out: dict[str, str] = {}
    runs = [("expected.json", ["--format", "json"])]
    runs += [(f"expected.{lang}.txt", ["--lang", lang, "--color", "never"])
             for lang in LANGS if lang in CATALOGUES]
    for filename, args in runs:
        buf = io.StringIO()
        with redirect_stdout(buf):
            code = main(["analyze", str(ROOT / capture), *args, *extra])
        assert code == 0, f"{name}: exit {code}"
        # The capture path is where this checkout lives: keep goldens location-free.
        out[filename] = buf.getvalue().replace(str(ROOT) + "/", "")
    return out
