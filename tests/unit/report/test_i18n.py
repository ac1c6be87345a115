"""Report languages: complete catalogues, consistent placeholders, no mixed languages.

The Chinese report of the seed must be Chinese apart from protocol names and values: every
Latin-script word in it must be a value the JSON report also carries (a suite name, a
certificate name, hex, a fingerprint) or one of the protocol terms listed here.
"""

from __future__ import annotations

import io
import json
import re
import string
from pathlib import Path

import pytest

import tlslens
from tests.corpus.truth_compare import corpus_captures
from tlslens.analysis.findings import ALERT_CAUSES, RULES
from tlslens.report import i18n
from tlslens.report.i18n import Translator, default_lang
from tlslens.report.messages.findings import finding_text, verdict_summary
from tlslens.report.text import TextReport, make_console

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seed" / "seed.pcap"

#: Protocol names and units a Chinese report keeps in Latin script (as Chinese TLS
#: documentation does): message and field names, algorithm and standard names.
PROTOCOL_TERMS = {
    "ClientHello", "ServerHello", "HelloRetryRequest", "Certificate", "ServerKeyExchange",
    "ServerHelloDone", "ClientKeyExchange", "ChangeCipherSpec", "Finished", "Alert",
    "EncryptedExtensions", "CertificateVerify", "NewSessionTicket", "gmt_unix_time",
    "handshake",  # the IANA ContentType name, shown as "handshake (22)" like Wireshark
    "verify_data", "close_notify", "legacy_session_id", "supported_versions", "key_share",
    "signature_algorithms", "extended_master_secret", "encrypt_then_mac", "client_random",
    "server_random", "subjectAltName", "psk_ke", "psk_dhe_ke", "renegotiation_info",
    "TLS", "SSL", "SSLv2", "DTLS", "SNI", "ALPN", "OCSP", "RFC", "AEAD", "PRF", "MAC",
    "HMAC", "HKDF", "ECDHE", "ECDH", "DHE", "DH", "RSA", "ECDSA", "DSA", "DSS", "PSK", "CBC",
    "GCM", "SHA", "SHA-256", "SHA-1", "MD5", "DER", "UTC", "ID", "CA", "GREASE", "DOWNGRD",
    "Diffie-Hellman", "TCP", "LPA", "SM-DP", "SM-DS", "CI", "ES9",
    "GSMA", "SGP", "eSIM", "ja3", "ja3n", "ja4", "ja4_r", "ja3s", "pcap", "gzip", "x25519",
    "h2", "s", "true", "false",  # an ALPN id, the seconds unit, JSON literals
}


def test_chinese_catalogue_is_complete() -> None:
    assert i18n.missing_keys("zh") == set()
    assert "zh" in i18n.CATALOGUES


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_placeholders_agree_between_languages() -> None:
    en, zh = i18n.ALL["en"], i18n.ALL["zh"]
    wrong = {k: (_fields(en[k]), _fields(zh[k])) for k in en
             if k in zh and _fields(en[k]) != _fields(zh[k])}
    assert wrong == {}


def test_every_rule_and_cause_has_words() -> None:
    for lang in ("en", "zh"):
        cat = i18n.CATALOGUES[lang]
        for rule in RULES:
            assert f"finding.{rule.id}.title" in cat and f"finding.{rule.id}.detail" in cat
        for code in ALERT_CAUSES:
            assert f"cause.{code}" in cat


def test_default_lang_follows_the_locale(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("LANG", "zh_CN.UTF-8")
    assert default_lang() == "zh"
    monkeypatch.setenv("LC_ALL", "en_US.UTF-8")
    assert default_lang() == "en"


def _text(lang: str) -> str:
    buf = io.StringIO()
    console = make_console(buf, False)
    for line in TextReport(lang).result_lines(tlslens.analyze(str(SEED))):
        console.print(line)
    return buf.getvalue()


WORD = re.compile(r"[A-Za-z][A-Za-z0-9_+\-]*")


def _words(obj: object, out: set[str]) -> set[str]:
    """Latin words in the keys and values of a JSON subtree."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(WORD.findall(str(k)))
            _words(v, out)
    elif isinstance(obj, list):
        for v in obj:
            _words(v, out)
    elif obj is not None and not isinstance(obj, bool):
        out.update(WORD.findall(re.sub(r"0x[0-9a-fA-F]+|\\x[0-9a-fA-F]{2}", " ", str(obj))))
    return out


def _value_words() -> set[str]:
    """Latin words the JSON report also carries: protocol names, field names, values."""
    from tlslens.registry import name
    from tlslens.registry.ciphers import components

    doc = tlslens.analyze(str(SEED)).to_dict("zh")
    words = _words(doc["capture"]["path"], set())
    for c in doc["connections"]:
        for key in ("client_hellos", "server_hellos", "certificates", "server_key_exchange",
                    "client_key_exchange", "fingerprints", "cipher_suite", "version",
                    "server_name", "alpn", "esim", "history"):
            _words(c[key], words)
        words.update(f["id"] for f in c["findings"])  # ids are stable names, not words
        for suite in c["client_hellos"][0]["cipher_suites"]:
            comp = components(suite["code"])
            if comp is not None:
                _words([comp.kx, comp.au, comp.enc, comp.mac, comp.prf], words)
        for hello in c["client_hellos"] + c["server_hellos"]:  # raw ints in the JSON
            _words([name("ec_point_formats", v) for v in hello["ec_point_formats"]], words)
    return words


def test_chinese_seed_report_is_chinese() -> None:
    zh = re.sub(r"0x[0-9a-fA-F]+|\b[0-9a-f]{8,}\b", " ", _text("zh"))
    allowed = _value_words() | PROTOCOL_TERMS
    leftovers = sorted({w for w in WORD.findall(zh)
                        if w not in allowed and w.rstrip("-+") not in allowed})
    assert leftovers == []
    for english in ("client", "server", "frame", "bytes", "expired", "session", "Verdict"):
        assert not re.search(rf"(?<![\w-]){english}(?![\w-])", zh, re.ASCII), english


def test_both_languages_tell_the_seed_story() -> None:
    en, zh = _text("en"), _text("zh")
    assert "Verdict: weak: " in en and "结论：弱：" in zh
    assert "EXPIRED at the capture time, 4 years 3 months before it" in en
    assert "抓包时已过期，早 4 年 3 个月" in zh
    assert "NEW session" in en and "新会话" in zh
    assert "random bytes" in en and "随机字节" in zh
    assert "ECDHE key exchange" in en and "forward secrecy" in en
    assert "AES_256_GCM: authenticated encryption (AEAD)" in en
    assert "SHA384: the PRF hash" in en
    assert "ECDSA: the server proves its identity with an elliptic-curve key" in en
    assert "◀ chosen by the server" in en and "◀ 服务器的选择" in zh
    assert "verified with the leaf certificate's key" in en


def test_json_findings_follow_the_language() -> None:
    result = tlslens.analyze(str(SEED))
    en = result.to_dict("en")["connections"][0]
    zh = result.to_dict("zh")["connections"][0]
    assert [f["id"] for f in en["findings"]] == [f["id"] for f in zh["findings"]]
    expired = next(f for f in zh["findings"] if f["id"] == "cert-expired")
    assert expired["title"] == "证书 1（GEMALTO SA）已过期"
    assert "4 年 3 个月" in expired["detail"]
    assert zh["verdict"]["summary"].startswith("TLS 1.2，TLS_ECDHE_ECDSA_WITH_AES_256_GCM")
    assert en["server_key_exchange"]["signature_valid"] is True


CAPTURES = corpus_captures()


@pytest.mark.skipif(not CAPTURES, reason="corpus not present")
def test_every_corpus_finding_renders_in_both_languages() -> None:
    """Every Term a rule emits is in both catalogues (a KeyError would fail here)."""
    seen = set()
    t_en, t_zh = Translator("en"), Translator("zh")
    for path in CAPTURES:
        for c in tlslens.analyze(str(path)).connections:
            verdict_summary(c.verdict, t_en)
            assert verdict_summary(c.verdict, t_zh)
            for f in c.findings:
                title, detail = finding_text(f, t_zh)
                assert title and detail and "{" not in title + detail
                finding_text(f, t_en)
                seen.add(f.id)
    assert len(seen) >= 20
    json.dumps(sorted(seen))


def test_docs_table_lists_every_finding() -> None:
    doc = (Path(__file__).resolve().parents[3] / "docs" / "findings.md").read_text("utf-8")
    listed = set(re.findall(r"^\| `([a-z0-9-]+)` \|", doc, re.MULTILINE))
    assert listed == {r.id for r in RULES}


def test_a_finding_that_never_recurs_is_rendered_without_being_remembered() -> None:
    """random-not-time names the day read from each hello's random: its texts are made
    afresh (the same words as through the memory) and not kept, so that the findings
    that do recur stay remembered."""
    from tlslens.analysis.findings import random_not_time
    from tlslens.analysis.model import Finding
    from tlslens.report.messages import findings as words

    seed = tlslens.analyze(str(SEED)).connections[0]
    hits = list(random_not_time(seed))
    assert hits, "the seed's randoms do not read as times"
    severity, params = hits[0]
    f = Finding("random-not-time", severity, params=tuple(params.items()))
    for lang in ("en", "zh"):
        t = Translator(lang)
        words._RENDERED.clear()
        text = words.finding_text(f, t)
        assert text == words._finding_text(f, t) and params["read"] in text[1]
        assert not any(key[2] == f for key in words._RENDERED)
