"""The eSIM profile on real bytes: the seed capture (an LPA talking to a Thales SM-DP+
through a chain whose root borrows the GSMA CI's name), the SGP.26 test CERT.DP.TLS
certificates, forged certificates that claim a CI's key id, and plain web captures."""

from __future__ import annotations

import datetime as _dt
import importlib.util
import json
import pickle
import shutil
import string
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import tlslens
from tlslens.analysis import esim
from tlslens.analysis.model import TlsConnection
from tlslens.pipeline import Options
from tlslens.registry import esim_data
from tlslens.report import i18n
from tlslens.report.messages import esim as esim_messages
from tlslens.report.schema import validate_connection
from tlslens.x509.certs import summarize_certificate

REPO = Path(__file__).resolve().parents[3]
SEED = REPO / "tests" / "fixtures" / "seed"
SHARED = REPO.parent / "shared"
ESIM_DATA = SHARED / "data" / "esim"
CORPUS = SHARED / "corpus" / "pcaps"
RSP2_CI1 = "81370f5125d0b1d408d4c3b232e6d25e795bebfb"
TEST_CI_NIST = "f54172bdf98a95d65cbeb88a38a1c11d800a85c3"
UTC = _dt.UTC

needs_esim_data = pytest.mark.skipif(not ESIM_DATA.is_dir(), reason=f"{ESIM_DATA} absent")


@pytest.fixture(scope="module")
def seed() -> TlsConnection:
    result = tlslens.analyze(str(SEED / "seed.pcap"))
    assert len(result.connections) == 1
    return result.connections[0]


def checks(conn_or_esim: Any) -> list[dict[str, Any]]:
    doc = conn_or_esim.esim if isinstance(conn_or_esim, TlsConnection) else conn_or_esim
    return list(doc["checks"])


def check(items: list[dict[str, Any]], check_id: str, subject: str | None = None
          ) -> dict[str, Any]:
    found = [k for k in items if k["id"] == check_id
             and (subject is None or k["subject"] == subject)]
    assert len(found) == 1, (check_id, subject, [k["id"] for k in items])
    return found[0]


# ---------------------------------------------------------------------------------------
# The seed capture
# ---------------------------------------------------------------------------------------

def test_seed_is_recognised_as_lpa_to_smdp(seed: TlsConnection) -> None:
    assert seed.esim is not None
    assert seed.esim["role_client"] == "LPA"
    assert seed.esim["role_server"] == "SM-DP+"
    # SNI rakuten.prod.ondemandconnectivity.com, the root's borrowed CI name, the leaf's
    # id-rspRole-dp-tls policy; no keys given, so no HTTP path
    assert seed.esim["recognized_by"] == ["sni-rule", "ci-name", "policy-oid"]


def test_seed_vendor_is_thales_formerly_gemalto(seed: TlsConnection) -> None:
    vendor = seed.esim["vendor"]
    assert vendor["name"] == "Thales"
    assert vendor["detail"] == "formerly Gemalto; On-Demand Connectivity"
    host, oid = vendor["evidence"]
    assert "rakuten.prod.ondemandconnectivity.com" in host
    assert "*.prod.ondemandconnectivity.com" in host
    assert "1.3.6.1.4.1.31746.1.220.100.101.2" in oid and "1.3.6.1.4.1.31746 " in oid


def test_seed_root_borrows_the_gsma_name_and_is_called_an_impostor(
        seed: TlsConnection) -> None:
    assert seed.esim["ci"] == {"name": "GSM Association - RSP2 Root CI1", "key_id": RSP2_CI1,
                               "production": True, "match": "mismatch"}
    genuine = check(checks(seed), "ci-genuine")
    assert (genuine["result"], genuine["subject"], genuine["confidence"]) == \
        ("fail", "certificates[2]", "high")
    own_key_id = seed.certificates[2].extension("subjectKeyIdentifier").value
    assert own_key_id != RSP2_CI1 and own_key_id in genuine["reason"]
    assert check(checks(seed), "chain-gsma-ci")["result"] == "warn"  # medium confidence
    impostor = [f for f in seed.findings if f.id == "ci-impostor"]
    assert len(impostor) == 1 and impostor[0].severity == "high"
    assert "RSP2 Root CI1" in impostor[0].title


def test_seed_expired_gemalto_intermediate_fails(seed: TlsConnection) -> None:
    validity = {k["subject"]: k for k in checks(seed) if k["id"] == "cert-validity"}
    assert {s: k["result"] for s, k in validity.items()} == {
        "certificates[0]": "pass", "certificates[1]": "fail", "certificates[2]": "pass"}
    reason = validity["certificates[1]"]["reason"]
    assert "GEMALTO SA" in reason and "2022-08-24" in reason and "2026-11-25" in reason


def test_seed_suite_is_judged_against_sgp22_list(seed: TlsConnection) -> None:
    suite = check(checks(seed), "cipher-suite")
    assert suite["result"] == "warn" and suite["confidence"] == "medium"
    assert "0xc02c" in suite["reason"]  # the server chose AES_256_GCM_SHA384
    assert "0xc02b" in suite["reason"] and "0xc023" in suite["reason"]
    offered = check(checks(seed), "client-cipher-suites")
    assert offered["result"] == "pass"  # gnutls offered 0xc02b too
    assert check(checks(seed), "key-exchange-group")["result"] == "warn"  # x25519
    assert check(checks(seed), "server-signature-scheme")["result"] == "pass"


def test_seed_leaf_meets_the_dp_tls_profile(seed: TlsConnection) -> None:
    for check_id in ("leaf-key-usage", "leaf-extended-key-usage", "leaf-policy",
                     "leaf-subject-alt-name", "leaf-crl-distribution-points",
                     "leaf-key-identifiers", "leaf-basic-constraints", "leaf-public-key",
                     "chain-signature-algorithm", "chain-same-curve", "chain-signatures",
                     "sni", "sni-certificate-match", "tls-version"):
        assert check(checks(seed), check_id)["result"] == "pass", check_id


def test_seed_json_validates_and_sources_are_spelled_out(seed: TlsConnection) -> None:
    doc = seed.to_dict()
    validate_connection(doc)
    assert doc["esim"] == dict(seed.esim)
    sources = check(doc["esim"]["checks"], "leaf-policy")["sources"]
    assert sources[0].startswith("pysim-dptls-cnf: github:osmocom/pysim@597f1e0 ")
    json.dumps(doc)  # plain JSON values only


def test_seed_with_keylog_adds_the_es9plus_path(seed: TlsConnection) -> None:
    result = tlslens.analyze(str(SEED / "seed.pcap"),
                             Options(keylogs=(str(SEED / "seed.keylog"),)))
    conn = result.connections[0]
    assert conn.decryption is not None
    assert conn.esim["recognized_by"] == ["sni-rule", "ci-name", "policy-oid",
                                          "es9plus-path"]


def test_seed_in_chinese(seed: TlsConnection) -> None:
    zh = esim.localized(seed.esim, "zh")
    assert zh["vendor"]["detail"] == "原 Gemalto；On-Demand Connectivity"
    validity = check(zh["checks"], "cert-validity", "certificates[1]")
    assert "过期" in validity["reason"] and "GEMALTO SA" in validity["reason"]
    assert "冒充者" in check(zh["checks"], "ci-genuine")["reason"]
    for k in zh["checks"]:  # every rule is in Chinese (at least one CJK character)
        assert any("\u4e00" <= ch <= "\u9fff" for ch in k["rule"]), k["id"]
    # the language-neutral parts do not change
    en = dict(seed.esim)
    assert [(k["id"], k["result"]) for k in zh["checks"]] == \
        [(k["id"], k["result"]) for k in en["checks"]]


def test_seed_text_names_the_roles_and_the_section(seed: TlsConnection) -> None:
    from tlslens.report.text import TextReport

    lines = [line.plain for line in TextReport("en").connection_lines(seed)]
    assert lines[0].startswith("Connection #0: LPA 127.0.0.1:")
    assert "-> SM-DP+ 127.0.0.1:443" in lines[0]
    ladder = [line for line in lines if "ClientHello" in line and "frame 4" in line]
    assert ladder and "LPA ──▶ SM-DP+" in ladder[0]
    text = "\n".join(lines)
    assert "eSIM (GSMA SGP.22): LPA -> SM-DP+" in text
    assert "Operator (vendor): Thales (formerly Gemalto; On-Demand Connectivity)" in text
    assert "match: MISMATCH" in text
    assert "[FAIL] cert-validity (certificates[1])" in text


def test_seed_text_in_chinese(seed: TlsConnection) -> None:
    from tlslens.report.text import TextReport

    if "zh" not in i18n.CATALOGUES:
        pytest.skip("the Chinese catalogue is not complete yet (core strings)")
    text = "\n".join(line.plain for line in TextReport("zh").connection_lines(seed))
    assert "eSIM（GSMA SGP.22）：LPA -> SM-DP+" in text
    assert "运营方（厂商）：Thales（原 Gemalto；On-Demand Connectivity）" in text
    assert "[失败] cert-validity (certificates[1])" in text


def test_esim_report_survives_pickling(seed: TlsConnection) -> None:
    """Connections cross process boundaries (process pools, Dask)."""
    back = pickle.loads(pickle.dumps(seed.esim))
    assert back == seed.esim
    assert esim.localized(back, "zh") == esim.localized(seed.esim, "zh")


# ---------------------------------------------------------------------------------------
# Catalogue
# ---------------------------------------------------------------------------------------

def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}


def test_catalogue_has_every_key_in_both_languages_with_the_same_fields() -> None:
    assert set(esim_messages.EN) == set(esim_messages.ZH)
    for key, text in esim_messages.EN.items():
        assert _fields(text) == _fields(esim_messages.ZH[key]), key


def test_every_check_reason_and_rule_has_words() -> None:
    """Each reason key the profile can produce exists (read from the module's source)."""
    source = "\n".join(p.read_text() for p in sorted(Path(esim.__file__).parent.glob("*.py")))
    ids = set()
    for line in source.splitlines():
        line = line.strip()
        if line.startswith(("_check(", "genuine = _check(", "anchor = _check(",
                            "return [_check(", "out.append(_check(", "checks.append(_check(")):
            ids.add(line.split('_check("', 1)[1].split('"', 1)[0])
    assert len(ids) >= 25
    for check_id in ids:
        assert f"esim.rule.{check_id}" in esim_messages.EN, check_id
        assert any(k.startswith(f"esim.reason.{check_id}.") for k in esim_messages.EN)


# ---------------------------------------------------------------------------------------
# Look-ups
# ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("host", "vendor", "role"), [
    ("rakuten.prod.ondemandconnectivity.com", "Thales", "SM-DP+"),
    ("RAKUTEN.Prod.OnDemandConnectivity.com.", "Thales", "SM-DP+"),
    ("lpa.ds.gsma.com", "Thales", "SM-DS"),
    ("prod.smds.rsp.goog", "Google", "SM-DS"),  # the exact SM-DS rule beats *.rsp.goog
    ("prod.smdp-plus.rsp.goog", "Google", "SM-DP+"),
    ("t-mobile.gdsb.net", "G+D", "SM-DP+"),
])
def test_host_rules(host: str, vendor: str, role: str) -> None:
    rule = esim.host_rule(host)
    assert rule is not None and (rule["vendor"], rule["role"]) == (vendor, role)


@pytest.mark.parametrize("host", [
    "prod.ondemandconnectivity.com",  # the suffix rule needs a label in front
    "rakuten.prod.ondemandconnectivity.com.evil.example",
    "xprod.ondemandconnectivity.com", "example.com", "", None,
])
def test_host_rules_do_not_match_lookalikes(host: str | None) -> None:
    assert esim.host_rule(host) is None


def test_oid_vendor_respects_arc_boundaries() -> None:
    thales = esim.oid_vendor("1.3.6.1.4.1.31746.1.220.100.101.2")
    assert thales is not None and thales["vendor"] == "Thales"
    assert thales["formerly"] == "Gemalto"
    assert esim.oid_vendor("1.3.6.1.4.1.317460.1") is None
    assert esim.oid_vendor("2.999.10") is None  # SGP.26 test identity: no company


# ---------------------------------------------------------------------------------------
# Forged certificates: a key id or a name is a claim, the key decides
# ---------------------------------------------------------------------------------------

def _cert(subject_cn: str, key: ec.EllipticCurvePrivateKey, signer: ec.EllipticCurvePrivateKey,
          ski: bytes | None = None, aki: bytes | None = None, issuer_cn: str | None = None,
          ) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject_cn)])
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_cn or subject_cn)])
    now = _dt.datetime(2026, 1, 1, tzinfo=UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(key.public_key()).serial_number(7)
               .not_valid_before(now).not_valid_after(now + _dt.timedelta(days=365)))
    if ski is not None:
        builder = builder.add_extension(x509.SubjectKeyIdentifier(ski), critical=False)
    if aki is not None:
        builder = builder.add_extension(x509.AuthorityKeyIdentifier(aki, None, None),
                                        critical=False)
    return builder.sign(signer, hashes.SHA256()).public_bytes(Encoding.DER)


def test_a_root_carrying_the_ci_key_id_but_another_key_is_a_mismatch() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    root = summarize_certificate(_cert("Some Root", key, key, ski=bytes.fromhex(RSP2_CI1)))
    match = esim.match_ci([root])
    assert match is not None
    assert (match.ci.key_id, match.match, match.via, match.signal) == \
        (RSP2_CI1, "mismatch", "ski", "ci-key")


def test_a_leaf_claiming_issuance_by_the_ci_is_checked_with_the_ci_key() -> None:
    """Root not sent: the leaf's AKI names RSP2 Root CI1; its signature is checked with
    the CI's public key shipped in the data module, and fails."""
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = summarize_certificate(_cert("smdp.example", key, key,
                                       aki=bytes.fromhex(RSP2_CI1),
                                       issuer_cn="GSM Association - RSP2 Root CI1"))
    match = esim.match_ci([leaf])
    assert match is not None and (match.match, match.via) == ("mismatch", "aki")
    at = _dt.datetime(2026, 6, 1, tzinfo=UTC)
    results = {k.id: k.result for k in esim.certificate_checks([leaf], "SM-DP+", at)}
    assert results["ci-genuine"] == "fail"
    assert results["chain-signatures"] == "fail"


# ---------------------------------------------------------------------------------------
# SGP.26 test CERT.DP.TLS certificates (../shared/data/esim/ci/leaf)
# ---------------------------------------------------------------------------------------

def _sgp26_dp_tls() -> list[dict[str, Any]]:
    if not ESIM_DATA.is_dir():
        return []
    index = json.loads((ESIM_DATA / "ci" / "index.json").read_text())
    return [c for c in index["certificates"] if c["kind"] == "leaf"
            and c["category"].startswith("test leaf: SGP.26 CERT.DP.TLS")]


LEAF_PROFILE = ("leaf-key-usage", "leaf-extended-key-usage", "leaf-policy",
                "leaf-subject-alt-name", "leaf-crl-distribution-points",
                "leaf-key-identifiers", "leaf-basic-constraints", "leaf-public-key",
                "chain-signature-algorithm", "chain-same-curve")


@needs_esim_data
def test_there_are_sgp26_dp_tls_certificates() -> None:
    assert len(_sgp26_dp_tls()) >= 7


@needs_esim_data
@pytest.mark.parametrize("entry", _sgp26_dp_tls(), ids=lambda e: e["file_der"])
def test_sgp26_dp_tls_certificate_meets_the_profile(entry: dict[str, Any]) -> None:
    leaf = summarize_certificate((ESIM_DATA / "ci" / entry["file_der"]).read_bytes())
    assert leaf.parsed
    inside = leaf.not_before + _dt.timedelta(days=1)  # validity aside: a time it is valid
    results = {(k.id, k.subject): k for k in esim.certificate_checks([leaf], "SM-DP+", inside)}
    for check_id in LEAF_PROFILE:
        assert [k.result for (i, _), k in results.items() if i == check_id] == ["pass"], \
            check_id
    assert results[("cert-validity", "certificates[0]")].result == "pass"
    # the root is not sent: the AKI names an SGP.26 test CI whose key verifies the leaf
    assert results[("chain-signatures", "certificates")].result == "pass"
    genuine = results[("ci-genuine", "certificates[0]")]
    assert (genuine.result, genuine.reason) == ("pass", "esim.reason.ci-genuine.verified_aki")
    # ... which the notes say a production LPA must never trust: a warning, not a pass
    anchor = results[("chain-gsma-ci", "certificates[0]")]
    assert (anchor.result, anchor.reason) == ("warn", "esim.reason.chain-gsma-ci.test")
    match = esim.match_ci([leaf])
    assert match is not None and match.ci.key_id == entry["aki_hex"]
    assert match.ci.production is False


@needs_esim_data
def test_sgp26_dp_tls_certificate_expired_at_a_later_time() -> None:
    """pysim's set expired on 2026-08-02 (NOTES 1.4): checked at a later capture time."""
    entry = next(e for e in _sgp26_dp_tls() if e["not_after"].startswith("2026-08-02"))
    leaf = summarize_certificate((ESIM_DATA / "ci" / entry["file_der"]).read_bytes())
    at = _dt.datetime(2026, 11, 25, tzinfo=UTC)
    validity = [k for k in esim.certificate_checks([leaf], "SM-DP+", at)
                if k.id == "cert-validity"]
    assert [(k.result, k.reason) for k in validity] == \
        [("fail", "esim.reason.cert-validity.expired")]


@needs_esim_data
def test_sgp26_leaf_with_its_test_ci_root_sent_is_verified_by_fingerprint() -> None:
    entry = next(e for e in _sgp26_dp_tls() if e["aki_hex"] == TEST_CI_NIST)
    leaf = summarize_certificate((ESIM_DATA / "ci" / entry["file_der"]).read_bytes())
    root_file = next((ESIM_DATA / "ci").glob("f54172_Test_CI_*.der"))
    root = summarize_certificate(root_file.read_bytes())
    match = esim.match_ci([leaf, root])
    assert match is not None
    assert (match.match, match.via, match.index) == ("verified", "fingerprint", 1)
    at = leaf.not_before + _dt.timedelta(days=1)
    results = {k.id: k.result for k in esim.certificate_checks([leaf, root], "SM-DP+", at)}
    assert results["chain-signatures"] == "pass"


@needs_esim_data
def test_a_tampered_sgp26_leaf_no_longer_verifies_with_the_test_ci() -> None:
    entry = next(e for e in _sgp26_dp_tls() if e["aki_hex"] == TEST_CI_NIST)
    der = bytearray((ESIM_DATA / "ci" / entry["file_der"]).read_bytes())
    der[-1] ^= 0x01  # the last byte of the signature's s value
    leaf = summarize_certificate(bytes(der))
    assert leaf.parsed
    match = esim.match_ci([leaf])
    assert match is not None and (match.match, match.via) == ("mismatch", "aki")


@needs_esim_data
def test_a_leaf_under_a_ci_without_a_known_key_is_only_claimed() -> None:
    """www.esimtest.chinattl.cn: AKI 148030... (Taier eSIM Root CA, no PEM known)."""
    der = next((ESIM_DATA / "ci" / "leaf").glob("12da1e_*.der")).read_bytes()
    match = esim.match_ci([summarize_certificate(der)])
    assert match is not None
    assert (match.ci.name, match.match, match.via) == ("Taier eSIM Root CA", "claimed",
                                                       "aki-prefix")


# ---------------------------------------------------------------------------------------
# Plain web captures: no eSIM
# ---------------------------------------------------------------------------------------

@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"{CORPUS} absent")
@pytest.mark.parametrize("capture", ["zeek__ecdhe.pcap", "zeek__ecdsa-cert.pcap",
                                     "ja4__tls12.pcap", "arkime__tls13.pcap"])
def test_plain_web_capture_has_no_esim(capture: str) -> None:
    from tlslens.report.text import TextReport

    result = tlslens.analyze(str(CORPUS / capture))
    assert result.connections
    for conn in result.connections:
        assert conn.esim is None
        assert conn.to_dict()["esim"] is None
        assert not any(f.id == "ci-impostor" for f in conn.findings)
        text = "\n".join(line.plain for line in TextReport("en").connection_lines(conn))
        assert "eSIM" not in text and "LPA" not in text


# ---------------------------------------------------------------------------------------
# The generated data module
# ---------------------------------------------------------------------------------------

def _generator() -> ModuleType:
    path = REPO / "scripts" / "gen_esim_data.py"
    spec = importlib.util.spec_from_file_location("gen_esim_data", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@needs_esim_data
def test_generated_module_is_current() -> None:
    assert _generator().generate(ESIM_DATA) == Path(esim_data.__file__).read_text()


@needs_esim_data
def test_generator_refuses_a_vendor_it_has_no_company_for(tmp_path: Path) -> None:
    gen = _generator()
    data = tmp_path / "esim"
    shutil.copytree(ESIM_DATA, data, ignore=shutil.ignore_patterns("_src", "*.pem"))
    vendors = json.loads((data / "smdp_vendors.json").read_text())
    vendors["rules"][0]["vendor"] = "Someone New SM-DP+"
    (data / "smdp_vendors.json").write_text(json.dumps(vendors))
    with pytest.raises(gen.DataError, match="Someone New"):
        gen.generate(data)


def test_data_module_facts() -> None:
    cis = {c["key_id"]: c for c in esim_data.CIS}
    assert cis[RSP2_CI1]["kind"] == "gsma-production" and cis[RSP2_CI1]["production"]
    assert cis[TEST_CI_NIST]["kind"] == "gsma-test" and not cis[TEST_CI_NIST]["production"]
    assert len(cis[TEST_CI_NIST]["sha256"]) == 2  # the 2017 and 2020 certificates
    assert set(esim_data.RULES["production_ci"]["key_ids"]) == {
        k for k, c in cis.items() if c["kind"] == "gsma-production"}
    assert esim_data.RULES["suites_tls12"]["codes"] == (0xC02B, 0xC023)
