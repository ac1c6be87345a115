"""The HTML report, ndjson streaming and the progress display, on real captures.

The HTML is parsed back (stdlib ``html.parser``) and its structure checked against the
analysis of the same capture: one ladder arrow and one <details> per message, the chain
as sent, findings by severity, the timings. The hostile capture (tests/browser/hostile.py:
a real OpenSSL handshake whose SNI, ALPN and certificate names hold HTML, <script> and
terminal escapes) must come out as inert text.
"""

from __future__ import annotations

import io
import json
import select
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rich.console import Console

from tests import pcapwriter as pw
from tests.browser.hostile import ALPN, FORBIDDEN_TAGS, SNI, write_hostile_pcap
from tlslens.cli import main
from tlslens.pipeline import Options, analyze, iter_connections
from tlslens.report.html import duration, render_html, timings
from tlslens.report.i18n import ALL, CATALOGUES
from tlslens.report.progress import ProgressReporter
from tlslens.report.schema import validate_connection
from tlslens.report.text import write_text

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "tests" / "fixtures" / "seed" / "seed.pcap"
SEED13 = ROOT / "tests" / "fixtures" / "seed13" / "seed13.pcap"
#: The seed article's ten handshake steps, in order (then the two close_notify alerts).
SEED_STEPS = ["ClientHello", "ServerHello", "Certificate", "ServerKeyExchange",
              "ServerHelloDone", "ClientKeyExchange", "ChangeCipherSpec",
              "Encrypted handshake message (Finished)", "ChangeCipherSpec",
              "Encrypted handshake message (Finished)"]


class Dom(HTMLParser):
    """Start tags with their attributes and the text inside each, enough to check a page."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.stack: list[tuple[str, dict[str, str], list[str]]] = []
        self.texts: list[tuple[str, str, str]] = []  # (tag, class, text)
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        self.tags.append((tag, a))
        if tag not in ("meta", "br", "line", "polygon", "link", "input"):
            self.stack.append((tag, a, []))

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            t, a, buf = self.stack.pop()
            text = "".join(buf)
            self.texts.append((t, a.get("class", ""), text))
            if self.stack:
                self.stack[-1][2].append(text)
            if t == tag:
                break

    def handle_data(self, data: str) -> None:
        if self.stack:
            self.stack[-1][2].append(data)

    def having(self, tag: str, cls: str) -> list[dict[str, str]]:
        return [a for t, a in self.tags if t == tag and cls in a.get("class", "").split()]

    def text_of(self, tag: str, cls: str) -> list[str]:
        return [text for t, c, text in self.texts if t == tag and (not cls or cls in c.split())]


@pytest.fixture(scope="module")
def seed_result():  # type: ignore[no-untyped-def]
    return analyze(str(SEED))


@pytest.fixture(scope="module")
def seed_dom(seed_result) -> Dom:  # type: ignore[no-untyped-def]
    return Dom(render_html(seed_result))


def test_seed_ladder_has_one_arrow_per_message_in_wire_order(seed_result, seed_dom) -> None:
    conn = seed_result.connections[0]
    arrows = seed_dom.having("g", "arrow")
    assert len(arrows) == len(conn.messages) == 12
    assert [a["data-frame"] for a in arrows] == [str(m.frame) for m in conn.messages]
    labels = seed_dom.text_of("text", "label")
    assert [label.split(". ", 1)[1] for label in labels][:10] == SEED_STEPS
    assert [a["class"].split()[1] for a in arrows] == [m.direction for m in conn.messages]
    times = seed_dom.text_of("text", "time")
    assert times[0] == "+0.000 ms" and times[1] == "+0.622 ms" and times[9] == "+2.579 ms"


def test_seed_timings_follow_the_packets(seed_result, seed_dom) -> None:
    conn = seed_result.connections[0]
    t = timings(conn)
    ch, sh = conn.messages[0].ts_ns, conn.messages[1].ts_ns
    assert t["client_hello_to_server_hello"] == sh - ch == 622_000
    assert t["client_hello_to_last_finished"] == conn.messages[9].ts_ns - ch == 2_579_000
    assert t["tcp_to_client_hello"] == ch - conn.start_ns > 0
    cells = seed_dom.text_of("td", "")
    assert duration(622_000) in cells and duration(2_579_000) in cells


def test_seed_chain_findings_details_fingerprints(seed_result, seed_dom) -> None:
    certs = seed_dom.having("li", "cert")
    assert [c["data-index"] for c in certs] == ["0", "1", "2"]
    assert ["st-expired" in c["class"] for c in certs] == [False, True, False]
    subjects = seed_dom.text_of("div", "subject")
    assert "rakuten.prod.ondemandconnectivity.com" in subjects[0]
    assert "GEMALTO SA" in subjects[1] and "RSP2 Root CI1" in subjects[2]
    assert len(seed_dom.having("div", "vbar")) == 3
    findings = seed_dom.having("div", "finding")
    assert any("sev-high" in f["class"] for f in findings)
    assert any("cert-expired" in t for t in seed_dom.text_of("div", "finding"))
    details = seed_dom.having("details", "msg")
    assert [d["id"] for d in details] == [f"c0-m{i}" for i in range(1, 13)]
    # the text report's own detail lines: the 14 suites of the ClientHello, the SKE curve
    body = " ".join(seed_dom.text_of("div", "lines"))
    assert "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384 (0xc02c)" in body
    assert "x25519 (0x001d)" in body
    fp = seed_result.connections[0].fingerprints
    assert fp.ja3 in " ".join(seed_dom.text_of("td", "mono"))


def test_page_is_self_contained(seed_result) -> None:
    page = render_html(seed_result)
    dom = Dom(page)
    assert not [t for t, _ in dom.tags if t in ("script", "link", "img", "iframe", "object")]
    refs = [a.get("href") or a.get("src") for t, a in dom.tags if "href" in a or "src" in a]
    assert refs and all(r.startswith("#") for r in refs)
    csp = [a["content"] for t, a in dom.tags if a.get("http-equiv") ==
           "Content-Security-Policy"]
    assert csp and "default-src 'none'" in csp[0]


def test_hostile_strings_are_inert(tmp_path: Path) -> None:
    result = analyze(str(write_hostile_pcap(tmp_path / "hostile.pcap")))
    conn = result.connections[0]
    assert conn.server_name == SNI and conn.alpn == ALPN  # the analysis keeps them as sent
    page = render_html(result)
    dom = Dom(page)
    assert not [t for t, _ in dom.tags if t in FORBIDDEN_TAGS]
    assert "\x1b" not in page and "\x07" not in page and "\u202e" not in page
    sni = dom.text_of("code", "sni")[0]
    assert sni.startswith("<script>document.title='pwned'</script>.\\x1b[31m")
    assert dom.text_of("code", "alpn")[0] == "<img src=x onerror=alert(1)>\\x1b[2J"
    subject = dom.text_of("div", "subject")[0]  # RFC 4514 also escapes < and >
    assert "script\\>alert('cn')" in subject and "\\x1b[5m" in subject
    assert "\\u{202e}evil" in subject
    out = io.StringIO()
    write_text(result, out, color=False)
    assert "\x1b" not in out.getvalue() and "\\x1b[31m" in out.getvalue()


def test_catalogues_complete() -> None:
    from tlslens.report.messages import diff, html

    for mod in (html, diff):
        assert set(mod.EN) == set(mod.ZH)
        assert all(mod.ZH.values())
    assert set(html.EN) <= set(ALL["zh"])


@pytest.mark.skipif("zh" not in CATALOGUES, reason="the core Chinese catalogue is not complete")
def test_html_in_chinese(seed_result) -> None:
    page = render_html(seed_result, "zh")
    assert '<html lang="zh">' in page and "握手时序图" in page


def test_cli_html_and_ndjson(tmp_path: Path) -> None:
    html_out = tmp_path / "r.html"
    assert main(["analyze", str(SEED), "--format", "html", "-o", str(html_out)]) == 0
    assert len(Dom(html_out.read_text(encoding="utf-8")).having("g", "arrow")) == 12
    for capture, n in ((SEED, 1), (SEED13, 1)):
        nd = tmp_path / "r.ndjson"
        assert main(["analyze", str(capture), "--format", "ndjson", "-o", str(nd)]) == 0
        lines = nd.read_text(encoding="utf-8").splitlines()
        assert len(lines) == n
        for line in lines:
            doc = json.loads(line)
            validate_connection(doc)
        assert doc["server_name"] == "rakuten.prod.ondemandconnectivity.com"


def test_ndjson_streams_each_connection_before_the_capture_ends() -> None:
    """Over a pipe, the first connection's line arrives while the capture is still open."""
    from tests import tlsbytes as tb

    rec = tb.tls12()
    first = [tb.frame_of(s) for s in tb.tcp_segments(rec.flights)]
    second = [tb.frame_of(s, (50001, 443)) for s in tb.tcp_segments(rec.flights)]
    data = pw.pcap_bytes([(pw.BASE_TS_NS + i * 1000, f) for i, f in enumerate(first + second)])
    head = pw.pcap_bytes([(pw.BASE_TS_NS + i * 1000, f) for i, f in enumerate(first)])
    proc = subprocess.Popen([sys.executable, "-m", "tlslens.cli", "analyze", "-", "--format",
                             "ndjson"], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        proc.stdin.write(head)
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stdout], [], [], 20)
        assert ready, "no line before the end of the capture"
        line1 = json.loads(proc.stdout.readline())
        proc.stdin.write(data[len(head):])
        proc.stdin.close()
        rest = proc.stdout.read().decode().splitlines()
    finally:
        proc.wait(20)
    assert proc.returncode == 0
    assert line1["id"] == 0 and [json.loads(x)["id"] for x in rest] == [1]
    validate_connection(line1)


def test_progress_hook_counts_packets(tmp_path: Path) -> None:
    frames = [(pw.BASE_TS_NS + i * 1000, pw.eth(pw.ipv4(pw.tcp(b"", 40000 + i % 7, 80))))
              for i in range(9000)]
    path = tmp_path / "many.pcap"
    pw.write_pcap(path, frames)
    seen: list[tuple[int, int, int]] = []
    list(iter_connections(str(path), options=Options(on_progress=lambda *a: seen.append(a))))
    assert [p for p, _, _ in seen] == [4096, 8192]
    assert 0 < seen[0][1] <= seen[1][1] <= path.stat().st_size  # read in chunks


def test_progress_display_only_after_the_delay_on_a_terminal() -> None:
    now = [0.0]
    out = io.StringIO()
    console = Console(file=out, force_terminal=True, width=120)
    rep = ProgressReporter(console, total_bytes=1000, delay=1.0, clock=lambda: now[0])
    rep.update(100, 100, 0)
    assert not rep.shown and out.getvalue() == ""
    now[0] = 2.0
    rep.update(5000, 500, 3)
    rep.progress.refresh()  # type: ignore[union-attr]
    rep.close()
    assert rep.shown
    text = out.getvalue()
    assert "5,000 packets (2,500/s)" in text and "3 TLS" in text
    off = ProgressReporter(Console(file=io.StringIO()), delay=0.0)  # not a terminal
    off.update(1, 1, 1)
    assert not off.enabled and not off.shown and off.options().on_progress is None


def test_cli_writes_nothing_on_stderr_when_it_is_not_a_terminal(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "tlslens.cli", "analyze", str(SEED),
                           "--format", "json", "-o", str(tmp_path / "r.json")],
                          check=False, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stderr == ""
