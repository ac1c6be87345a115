"""The HTML report in a real browser: Debian's chromium, headless (installed by .ci/run).

Chromium loads the page from a file, runs it (it would run scripts, if any got in), and
``--dump-dom`` prints the DOM as the browser built it; screenshots at desktop and phone
width show that it renders. Skipped when chromium is not installed.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from tests.browser.hostile import FORBIDDEN_TAGS, write_hostile_pcap
from tests.unit.report.test_html import SEED_STEPS, Dom
from tlslens.pipeline import analyze
from tlslens.report.html import render_html

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "tests" / "fixtures" / "seed" / "seed.pcap"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed")


def chromium(page: Path, tmp: Path, *args: str) -> str:
    """Run headless chromium on a local file (no network: the page needs none)."""
    assert CHROMIUM is not None
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={tmp / 'profile'}",
           *args, page.as_uri()]
    proc = subprocess.run(cmd, check=False, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.fixture(scope="module")
def seed_page(tmp_path_factory: pytest.TempPathFactory) -> Path:
    page = tmp_path_factory.mktemp("html") / "seed.html"
    page.write_text(render_html(analyze(str(SEED))), encoding="utf-8")
    return page


def test_seed_report_dom_in_chromium(seed_page: Path, tmp_path: Path) -> None:
    dom = Dom(chromium(seed_page, tmp_path, "--dump-dom"))
    arrows = dom.having("g", "arrow")
    assert len(arrows) == 12  # one per message: the ten steps and two close_notify alerts
    labels = [t.split(". ", 1)[1] for t in dom.text_of("text", "label")]
    assert labels[:10] == SEED_STEPS and labels[10:] == ["Alert", "Alert"]
    assert len(dom.text_of("text", "time")) == 12
    certs = dom.having("li", "cert")
    assert len(certs) == 3 and "st-expired" in certs[1]["class"]
    assert any("sev-high" in f["class"] for f in dom.having("div", "finding"))
    assert len(dom.having("details", "msg")) == 12


@pytest.mark.parametrize("width", [1280, 390])
def test_seed_report_screenshot(seed_page: Path, tmp_path: Path, width: int) -> None:
    shot = tmp_path / f"seed-{width}.png"
    chromium(seed_page, tmp_path, f"--screenshot={shot}", f"--window-size={width},2000")
    assert png_size(shot) == (width, 2000)
    assert shot.stat().st_size > 20_000  # a rendered page, not a blank one


def test_hostile_fields_stay_inert_in_chromium(tmp_path: Path) -> None:
    result = analyze(str(write_hostile_pcap(tmp_path / "hostile.pcap")))
    page = tmp_path / "hostile.html"
    page.write_text(render_html(result), encoding="utf-8")
    dumped = chromium(page, tmp_path, "--dump-dom")
    dom = Dom(dumped)
    assert not [t for t, _ in dom.tags if t in FORBIDDEN_TAGS]  # nothing injected
    titles = dom.text_of("title", "")
    assert titles and "pwned" not in titles[0]  # the SNI's script did not run
    assert "<script>document.title='pwned'</script>" in dom.text_of("code", "sni")[0]
    assert "\x1b" not in dumped
