"""``tlslens diff``: the seed against its TLS 1.3 variant (two real recordings), the list
rules (added, removed, reordered) and the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tlslens.analysis.diff import diff_connections, list_diff
from tlslens.cli import main
from tlslens.commands.diff import split_spec
from tlslens.pipeline import analyze

ROOT = Path(__file__).resolve().parents[3]
SEED = str(ROOT / "tests" / "fixtures" / "seed" / "seed.pcap")
SEED13 = str(ROOT / "tests" / "fixtures" / "seed13" / "seed13.pcap")
TLS13_SUITES = (0x1302, 0x1301, 0x1303)


@pytest.fixture(scope="module")
def seed_vs_13():  # type: ignore[no-untyped-def]
    a = analyze(SEED).connections[0]
    b = analyze(SEED13).connections[0]
    return diff_connections(a, b, "seed", "seed13")


def by_field(diff, name):  # type: ignore[no-untyped-def]
    return next(f for f in diff.fields if f.field == name)


def test_seed_against_tls13_variant(seed_vs_13) -> None:  # type: ignore[no-untyped-def]
    d = seed_vs_13
    version = by_field(d, "version")
    assert (version.a, version.b) == (0x0303, 0x0304)
    assert by_field(d, "cipher_suite").b == 0x1302
    suites = by_field(d, "cipher_suites")
    assert suites.added == TLS13_SUITES and suites.removed == () and not suites.reordered
    exts = by_field(d, "extensions")
    assert set(exts.added) == {0x002B, 0x0033} and exts.removed == ()
    assert by_field(d, "offered_versions").added == (0x0304,)
    assert by_field(d, "key_share_groups").added == (0x001D, 0x0017)
    assert set(by_field(d, "server_extensions").removed) == {0xFF01, 0x000B, 0x0010}
    assert len(by_field(d, "certificates").removed) == 3  # encrypted in TLS 1.3, no keys
    assert any(f.startswith("cert-expired") for f in by_field(d, "findings").removed)
    for key in ("ja3", "ja4", "ja3s"):
        assert not by_field(d, f"fingerprint.{key}").same
    same = {f.field for f in d.fields if f.same}
    assert {"server_name", "supported_groups", "signature_algorithms", "alpn_offered",
            "state"} <= same


def test_a_handshake_equals_itself() -> None:
    conn = analyze(SEED).connections[0]
    d = diff_connections(conn, conn)
    assert d.differences == () and d.to_dict()["same"] is True


def test_list_rules() -> None:
    d = list_diff("x", "cipher_suites", (1, 2, 3), (3, 2, 4))
    assert d.added == (4,) and d.removed == (1,) and d.reordered
    assert not list_diff("x", None, ("a", "b"), ("a", "c", "b")).reordered
    assert d.to_dict()["added"] == [{"code": 4, "name": "TLS_RSA_WITH_RC4_128_MD5"}]


def test_spec_parsing(tmp_path: Path) -> None:
    assert split_spec("cap.pcap#2") == ("cap.pcap", 2)
    assert split_spec("cap.pcap") == ("cap.pcap", None)
    odd = tmp_path / "a#1"
    odd.write_bytes(b"")
    assert split_spec(str(odd)) == (str(odd), None)  # an existing file wins


def test_cli_text_json_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["diff", SEED, SEED13 + "#0"]) == 0
    text = capsys.readouterr().out
    assert "TLS_AES_256_GCM_SHA384 (0x1302)" in text and "supported_versions" in text
    out = tmp_path / "d.json"
    assert main(["diff", SEED, SEED13, "--format", "json", "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["differences"] > 5
    version = next(f for f in doc["fields"] if f["field"] == "version")
    assert version["b"] == {"code": 772, "name": "TLS 1.3"}
    html = tmp_path / "d.html"
    assert main(["diff", SEED, SEED13, "--format", "html", "-o", str(html)]) == 0
    page = html.read_text(encoding="utf-8")
    assert page.count('class="diff-changed"') == doc["differences"]
    assert main(["diff", SEED, SEED + "#5"]) == 2
    assert "no TLS connection #5" in capsys.readouterr().err
