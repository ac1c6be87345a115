"""The verdict: one level and a one-line summary, from the suite and the findings."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

import tlslens
from tests.corpus.truth_compare import CORPUS
from tlslens.analysis.findings import evaluate
from tlslens.analysis.model import Finding
from tlslens.analysis.verdict import judge, worse
from tlslens.report.i18n import Translator
from tlslens.report.messages.findings import verdict_summary

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seed" / "seed.pcap"


@pytest.fixture(scope="module")
def seed_conn():  # type: ignore[no-untyped-def]
    return tlslens.analyze(str(SEED)).connections[0]


def test_seed_conclusion(seed_conn) -> None:  # type: ignore[no-untyped-def]
    v = seed_conn.verdict
    assert v.level == "weak"  # a strong suite, but a chain a validating client refuses
    en = verdict_summary(v, Translator("en"))
    assert en.startswith("TLS 1.2 with TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384; a strong "
                         "suite: forward secrecy and authenticated encryption (AEAD); but ")
    assert "certificate 1 (GEMALTO SA) had expired" in en
    zh = verdict_summary(v, Translator("zh"))
    assert "强套件：具备前向保密和认证加密（AEAD）" in zh and "但是证书 1（GEMALTO SA）已过期" in zh


def test_findings_drive_the_level(seed_conn) -> None:  # type: ignore[no-untyped-def]
    clean = dataclasses.replace(seed_conn, chain=(), findings=())
    assert judge(clean, []).level == "good"
    assert judge(clean, [Finding("x", "medium")]).level == "acceptable"
    assert judge(clean, [Finding("x", "high")]).level == "weak"
    assert judge(clean, [Finding("x", "critical"), Finding("y", "info")]).level == "insecure"


def test_suite_class_caps_the_level(seed_conn) -> None:  # type: ignore[no-untyped-def]
    rc4 = dataclasses.replace(seed_conn, cipher_suite=0x0005)  # TLS_RSA_WITH_RC4_128_SHA
    v = judge(rc4, evaluate(rc4))
    assert v.level == "insecure"
    assert "neither forward secrecy nor authenticated encryption" in \
        verdict_summary(v, Translator("en"))


def test_failed_and_unjudged(seed_conn) -> None:  # type: ignore[no-untyped-def]
    failed = dataclasses.replace(seed_conn, state="failed")
    v = judge(failed, evaluate(failed))
    assert v.level == "failed"
    assert verdict_summary(v, Translator("en")).startswith("the handshake failed; the ")
    unknown = dataclasses.replace(seed_conn, cipher_suite=None)
    assert judge(unknown, []).level == "acceptable"
    assert "not judged" in verdict_summary(judge(unknown, []), Translator("en"))


def test_incomplete_is_said(seed_conn) -> None:  # type: ignore[no-untyped-def]
    inc = dataclasses.replace(seed_conn, state="incomplete")
    assert "not seen to completion" in verdict_summary(judge(inc, []), Translator("en"))


def test_worse_orders_levels() -> None:
    assert worse("good", "weak") == "weak" and worse("insecure", "acceptable") == "insecure"


@pytest.mark.skipif(not (CORPUS / "pcaps").is_dir(), reason="corpus not present")
def test_real_levels_on_the_corpus() -> None:
    ssl3 = tlslens.analyze(str(CORPUS / "pcaps" / "lekensteyn__ssl3-dump.pcapng"))
    assert {c.verdict.level for c in ssl3.connections if c.cipher_suite is not None} \
        == {"insecure"}
    alert = tlslens.analyze(str(CORPUS / "pcaps" / "ndpi__tls_alert.pcap")).connections[0]
    assert alert.verdict.level == "failed"
