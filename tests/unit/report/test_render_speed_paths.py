"""The report's fast paths write exactly what the plain code wrote.

Times are spelled out instead of strftime'd, texts are remembered per catalogue, and
JSON is first encoded without orjson's non-string-key option: each must give the same
bytes as before, including at the edges.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from tlslens.analysis.model import Finding, Term
from tlslens.report.i18n import CATALOGUES, Translator, translator
from tlslens.report.json_report import encode, seconds_time
from tlslens.report.messages.findings import _finding_text, finding_text, render_key


def _strftime_seconds(secs: int) -> str | None:
    try:
        t = dt.datetime.fromtimestamp(secs, dt.UTC)
    except (OverflowError, OSError, ValueError):
        return None
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_seconds_time_is_strftime() -> None:
    rng = random.Random(7)
    edges = [0, 1, 59, 86_399, 86_400, 951_782_400, 2**31 - 1, 2**32 - 1,
             253_402_300_799, 253_402_300_800, -1, -86_400 * 800_000, 10**20]
    for secs in edges + [rng.randrange(2**32) for _ in range(5000)]:
        assert seconds_time(secs) == _strftime_seconds(secs), secs


@pytest.mark.parametrize("lang", list(CATALOGUES))
def test_finding_text_is_remembered_per_language(lang: str) -> None:
    f = Finding("session-new", "info", params=(
        ("how", Term("session.ticket", (("n", 2),))),))
    t = Translator(lang)
    assert finding_text(f, t) == _finding_text(f, t)
    assert finding_text(f, t) == finding_text(f, translator(lang))


def test_languages_do_not_share_texts() -> None:
    if "zh" not in CATALOGUES:
        pytest.skip("no Chinese catalogue")
    f = Finding("random-not-time", "info", params=(
        ("sides", (Term("side.client"),)), ("read", "2001-01-01"), ("capture", "2024-01-01")))
    assert finding_text(f, Translator("en")) != finding_text(f, Translator("zh"))


def test_unhashable_params_are_rendered_every_time() -> None:
    f = Finding("session-new", "info", params=(("how", ["a list"]),))
    assert finding_text(f, Translator("en")) == _finding_text(f, Translator("en"))


def test_a_template_without_fields_is_the_text() -> None:
    t = Translator("en")
    assert render_key("finding.random-not-time.title", (("sides", ()),), t) \
        == t("finding.random-not-time.title", sides="")


def test_encode_keeps_the_fallbacks() -> None:
    assert encode({"b": 1, 2: "x", "a": [{3: 4}]}, indent=False) == \
        '{"2":"x","a":[{"3":4}],"b":1}'
    assert encode({"a": 2**70}, indent=False) == '{"a":1180591620717411303424}'
    assert encode({"z": "\u2028", "a": 1}) == '{\n  "a": 1,\n  "z": "\\u2028"\n}'


def test_changing_one_report_leaves_the_shared_extension_data_alone() -> None:
    """Decoded extension bodies are shared between hellos (tls.extensions caches them);
    the report hands out copies, so editing one connection's dict changes no other."""
    from pathlib import Path

    from tlslens.pipeline import analyze
    from tlslens.report.json_report import connection_to_dict, encode

    seed = Path(__file__).resolve().parents[2] / "fixtures" / "seed" / "seed.pcap"
    first = connection_to_dict(analyze(str(seed)).connections[0])
    before = encode(connection_to_dict(analyze(str(seed)).connections[0]))
    exts = [e for e in first["client_hellos"][0]["extensions"]
            if isinstance(e["data"], (dict, list))]
    assert exts, "the seed's ClientHello has decoded extensions"
    for e in exts:
        if isinstance(e["data"], dict):
            e["data"]["changed"] = True
        else:
            e["data"].append("changed")
    assert encode(connection_to_dict(analyze(str(seed)).connections[0])) == before


def test_uncopied_report_is_the_same_report() -> None:
    """``copy=False`` (the streaming outputs) shares the decoded values instead of copying
    them: the encoded report is the same, byte for byte, for every fixture connection
    (certificates with their extensions, hellos, tickets, encrypted extensions)."""
    from pathlib import Path

    from tlslens.pipeline import analyze
    from tlslens.report.json_report import connection_to_dict, encode

    fixtures = Path(__file__).resolve().parents[2] / "fixtures"
    captures = sorted(fixtures.rglob("*.pcap")) + sorted(fixtures.rglob("*.pcapng"))
    seen = 0
    for capture in captures:
        for conn in analyze(str(capture)).connections:
            copied, shared = connection_to_dict(conn), connection_to_dict(conn, copy=False)
            assert encode(shared) == encode(copied)
            seen += bool(copied["certificates"])
    assert seen >= 3  # connections with certificates were among them


def test_a_reporter_that_never_draws_does_not_import_rich() -> None:
    """``analyze -q`` (or a report to the terminal) has no progress line: rich is not
    imported for it (some 30 ms of start-up, before any worker can start)."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from tlslens.report.progress import progress_for\n"
            "r = progress_for('capture.pcap', '/dev/null', quiet=True)\n"
            "r.update(1, 2, 3); r.close()\n"
            "assert not r.enabled and r.console is None\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


def test_a_reporter_whose_stderr_is_no_terminal_does_not_import_rich() -> None:
    """``analyze`` with stderr to a file or a pipe (a benchmark, a job runner) draws no
    progress either: rich would find no terminal, so it is not imported to ask; with
    FORCE_COLOR, rich's own answer is asked for (and is yes)."""
    import os
    import subprocess
    import sys

    code = ("import sys\n"
            "from tlslens.report.progress import progress_for\n"
            "r = progress_for('capture.pcap', '/dev/null')\n"
            "r.close()\n"
            "print(r.enabled, sorted(m for m in sys.modules if m.split('.')[0] == 'rich'))\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "FORCE_TERMINAL")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env).stdout
    assert out.strip() == "False []"
    forced = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env={**env, "FORCE_COLOR": "1"}).stdout
    assert forced.startswith("True ") and "'rich.console'" in forced
