"""Decryption of captures real stacks made: the seed fixture and the OpenSSL recordings
of scripts/make_decryption_captures.py (key logs written by the peers themselves)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import tlslens
from tlslens.crypto.decryptor import Decryptor
from tlslens.crypto.keylog import KeyStore
from tlslens.pipeline import Options
from tlslens.report.schema import validate_report
from tlslens.tls import messages as m

ROOT = Path(__file__).resolve().parents[3]
FIX = Path(__file__).parent / "fixtures"
SEED = ROOT / "tests" / "fixtures" / "seed"
GET = "GET /tlslens HTTP/1.0...."
OK = "HTTP/1.0 200 ok"


@cache
def report(capture: str, keylogs: tuple[str, ...] = (), rsa: tuple[str, ...] = ()
           ) -> dict[str, Any]:
    doc = tlslens.analyze(capture, Options(keylogs=keylogs, rsa_keys=rsa)).to_dict()
    validate_report(doc)
    return doc


def fixture(name: str) -> dict[str, Any]:
    return report(str(FIX / f"{name}.pcap"), (str(FIX / f"{name}.keylog"),))


def test_seed_decrypts_and_shows_the_es9plus_request() -> None:
    doc = report(str(SEED / "seed.pcap"), (str(SEED / "seed.keylog"),))
    (conn,) = doc["connections"]
    dec = conn["decryption"]
    assert dec["status"] == "decrypted" and dec["reason"] is None
    assert dec["client_finished_valid"] is True and dec["server_finished_valid"] is True
    assert dec["application_data"]["client"]["first_text"].startswith(
        "POST /gsma/rsp2/es9plus/initiateAuthentication HTTP/1.1")
    assert dec["application_data"]["server"]["first_text"].startswith("HTTP/1.1 200 OK")
    assert dec["records"] == {"ok": 6, "failed": 0}
    finished = [x for x in conn["messages"] if x["type"] == "finished"]
    assert [(x["direction"], x["encrypted"], x["decrypted"]) for x in finished] == [
        ("client", True, True), ("server", True, True)]
    closes = [a for a in conn["alerts"] if a["decrypted"]]
    assert [a["description"]["name"] for a in closes] == ["close_notify", "close_notify"]


def test_without_key_material_decryption_is_null() -> None:
    doc = report(str(SEED / "seed.pcap"))
    assert doc["connections"][0]["decryption"] is None


TLS12_SUITES = [0xC030, 0xC09C, 0xC0A1, 0xCCA8, 0xC013, 0x003D, 0x006B, 0xC028, 0x003B,
                0x002F, 0xC014, 0x002F]


def test_tls12_suites_all_decrypt_with_both_finished_valid() -> None:
    conns = fixture("tls12-suites")["connections"]
    assert [c["cipher_suite"]["code"] for c in conns] == TLS12_SUITES
    assert [c["version"]["name"] for c in conns][-3:] == ["TLS 1.1", "TLS 1.0", "TLS 1.0"]
    for c in conns:
        dec = c["decryption"]
        assert dec["status"] == "decrypted", (c["id"], dec)
        assert dec["records"]["failed"] == 0 and dec["records"]["ok"] >= 6
        assert dec["client_finished_valid"] is True and dec["server_finished_valid"] is True
        assert dec["application_data"]["client"]["first_text"] == GET
        assert dec["application_data"]["server"]["first_text"].startswith(OK)


def test_encrypt_then_mac_was_negotiated_where_expected() -> None:
    conns = fixture("tls12-suites")["connections"]

    def etm(c: dict[str, Any]) -> bool:
        return any(e["code"] == 22 for e in c["server_hellos"][0]["extensions"])

    # ECDHE-RSA-AES128-SHA and TLS 1.0 AES128-SHA with ETM; -no_etm ones without
    assert [etm(c) for c in conns if c["id"] in (4, 5, 9, 10, 11)] == [
        True, False, False, False, True]


def test_rsa_key_exchange_decrypts_with_the_server_key_alone() -> None:
    doc = report(str(FIX / "tls12-suites.pcap"), (), (str(FIX / "rsa.pem"),))
    by_kx = {c["id"]: c["decryption"] for c in doc["connections"]}
    rsa_kx = [i for i, c in enumerate(doc["connections"])
              if c["client_key_exchange"]["kind"] == "rsa"]
    assert rsa_kx == [1, 2, 5, 8, 9, 11]
    for i, dec in by_kx.items():
        if i in rsa_kx:
            assert dec["status"] == "decrypted" and dec["key_source"] == "rsa_key"
            assert dec["server_finished_valid"] is True
        else:  # (EC)DHE: the server key cannot help
            assert dec["status"] == "no_secret" and dec["reason_id"] == "no_secret"


def test_a_wrong_rsa_key_is_named(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    pem = rsa.generate_private_key(65537, 2048).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption())
    (tmp_path / "other.pem").write_bytes(pem)
    doc = tlslens.analyze(str(FIX / "tls12-suites.pcap"),
                          Options(rsa_keys=(str(tmp_path / "other.pem"),))).to_dict()
    conn = doc["connections"][1]
    # PKCS#1 v1.5 decryption either fails or (implicit rejection) gives a random
    # premaster: both end in no usable keys
    assert conn["decryption"]["status"] in ("no_secret", "wrong_key")
    ids = {a["id"] for a in conn["anomalies"]}
    assert ids & {"decrypt.bad_premaster", "decrypt.wrong_key"}


def _lines_for(keylog: Path, client_randoms: set[str]) -> str:
    return "".join(line for line in keylog.read_text().splitlines(keepends=True)
                   if not line.startswith("#") and line.split()[1].lower() in client_randoms)


def test_resumption_uses_the_master_secret_of_the_earlier_connection(tmp_path: Path) -> None:
    full = fixture("tls12-resume")["connections"]
    assert [c["resumed"] for c in full] == [False, True, False, True]
    firsts = {full[0]["client_hellos"][0]["random"], full[2]["client_hellos"][0]["random"]}
    reduced = tmp_path / "first-only.keylog"
    reduced.write_text(_lines_for(FIX / "tls12-resume.keylog", firsts))
    conns = tlslens.analyze(str(FIX / "tls12-resume.pcap"),
                            Options(keylogs=(str(reduced),))).to_dict()["connections"]
    sources = [c["decryption"]["key_source"] for c in conns]
    assert sources == ["keylog", "resumption", "keylog", "resumption"]
    for c in conns:
        assert c["decryption"]["status"] == "decrypted"
        assert c["decryption"]["client_finished_valid"] is True
        assert c["decryption"]["application_data"]["client"]["first_text"] == GET
    # connection 1 resumed by session ID, connection 3 by ticket
    assert conns[1]["client_hellos"][0]["session_id"] == conns[0]["server_hellos"][0][
        "session_id"]
    assert any(e["code"] == 35 and e["length"] > 0
               for e in conns[3]["client_hellos"][0]["extensions"])


def test_tls13_hrr_ccm_chacha_key_update_and_early_data() -> None:
    conns = fixture("tls13")["connections"]
    assert [c["cipher_suite"]["code"] for c in conns] == [0x1302, 0x1304, 0x1303, 0x1302,
                                                           0x1302, 0x1302]
    for c in conns:
        dec = c["decryption"]
        assert dec["status"] == "decrypted" and dec["records"]["failed"] == 0, dec
        assert dec["client_finished_valid"] is True and dec["server_finished_valid"] is True
        decrypted = [x["type"] for x in c["messages"] if x["decrypted"]]
        assert decrypted[:1] == ["encrypted_extensions"]
    hrr = conns[0]
    assert [h["hello_retry_request"] for h in hrr["server_hellos"]] == [True, False]
    for c in conns[:5]:  # full handshakes: the certificate came out of the encryption
        assert len(c["certificates"]) == 1
        assert [cv["signature_valid"] for cv in c["certificate_verify"]] == [True]
    ku = conns[3]
    assert "key_update" in [x["type"] for x in ku["messages"]]
    assert ku["decryption"]["application_data"]["client"]["first_text"] == \
        "before key update.after key update."
    assert ku["decryption"]["application_data"]["server"]["first_text"] == \
        "server before key update."
    early = conns[5]
    assert early["resumed"] is True
    assert early["decryption"]["early_data"]["first_text"] == GET
    assert "end_of_early_data" in [x["type"] for x in early["messages"]]


def test_one_wrong_secret_spoils_only_its_connection(tmp_path: Path) -> None:
    lines = (FIX / "tls12-suites.keylog").read_text().splitlines()
    conns = fixture("tls12-suites")["connections"]
    victim = conns[3]["client_hellos"][0]["random"]
    out = []
    for line in lines:
        if line.startswith("#"):
            out.append(line)
            continue
        label, cr, secret = line.split()
        if cr.lower() == victim:
            secret = ("00" if secret[:2] != "00" else "11") + secret[2:]
        out.append(f"{label} {cr} {secret}")
    bad = tmp_path / "one-wrong.keylog"
    bad.write_text("\n".join(out) + "\nthis line is not a key log line\n")
    doc = tlslens.analyze(str(FIX / "tls12-suites.pcap"),
                          Options(keylogs=(str(bad),))).to_dict()
    validate_report(doc)
    statuses = [c["decryption"]["status"] for c in doc["connections"]]
    assert statuses == ["decrypted"] * 3 + ["wrong_key"] + ["decrypted"] * 8
    wrong = doc["connections"][3]
    assert wrong["decryption"]["reason"].startswith("these keys do not belong to this "
                                                    "connection")
    assert victim in wrong["decryption"]["reason"]
    ids = [a["id"] for a in wrong["anomalies"]]
    assert "decrypt.wrong_key" in ids and "decrypt.record_failed" in ids
    assert [a["id"] for a in doc["anomalies"]] == ["keylog.bad_line"]
    assert doc["anomalies"][0]["detail"].startswith(f"{bad}:{len(lines) + 1}: unknown label")


def test_no_line_for_this_connection_is_no_secret(tmp_path: Path) -> None:
    other = tmp_path / "other.keylog"
    other.write_text(f"CLIENT_RANDOM {'ab' * 32} {'cd' * 48}\n")
    doc = tlslens.analyze(str(SEED / "seed.pcap"), Options(keylogs=(str(other),))).to_dict()
    dec = doc["connections"][0]["decryption"]
    assert dec["status"] == "no_secret"
    assert dec["reason"].startswith("no key log line for client random 2d15cd83")
    assert dec["records"] == {"ok": 0, "failed": 6}


def test_a_finished_that_does_not_match_the_transcript() -> None:
    """The decryptor's hooks on a hand-built TLS 1.2 handshake: keys known, Finished
    wrong (a master secret from another connection with the same client random)."""
    store = KeyStore()
    cr, sr = b"\x01" * 32, b"\x02" * 32
    store.add("CLIENT_RANDOM", cr, b"\x03" * 48)
    dec = Decryptor(store)
    ch = m.ClientHello(0x0303, 0x0303, cr, b"", (0xC02F,), (0,), ())
    sh = m.ServerHello(0x0303, 0x0303, sr, b"", 0xC02F, 0, ())
    dec.on_handshake("client", m.CLIENT_HELLO, b"\x01\x00\x00\x00", ch)
    dec.on_handshake("server", m.SERVER_HELLO, b"\x02\x00\x00\x00", sh)
    dec.on_change_cipher_spec("client")
    dec.on_handshake("client", m.FINISHED, b"\x14\x00\x00\x0c" + b"\x00" * 12,
                     m.Finished(b"\x00" * 12))
    summary = dec.summary()
    assert summary["client_finished_valid"] is False
    assert summary["status"] == "wrong_key"
    assert [a.id for a in dec.anomalies] == ["decrypt.finished_mismatch", "decrypt.wrong_key"]


def test_export_plaintext_writes_each_direction(tmp_path: Path) -> None:
    out = tmp_path / "plain"
    tlslens.analyze(str(SEED / "seed.pcap"), Options(
        keylogs=(str(SEED / "seed.keylog"),), export_plaintext=str(out)))
    files = sorted(p.name for p in out.iterdir())
    assert files == ["conn0-127.0.0.1_40088-127.0.0.1_443-client.bin",
                     "conn0-127.0.0.1_40088-127.0.0.1_443-server.bin"]
    client = (out / files[0]).read_bytes()
    assert client.startswith(b"POST /gsma/rsp2/es9plus/initiateAuthentication HTTP/1.1\r\n")
    assert len(client) == 410 and len((out / files[1]).read_bytes()) == 1372


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tlslens.cli", "analyze", *args, "-q"],
                          check=False, capture_output=True, text=True, cwd=ROOT,
                          env={**os.environ, **(env or {})}, timeout=120)


def test_cli_keylog_option_env_and_text_section() -> None:
    seed = str(SEED / "seed.pcap")
    r = _cli(seed, "--keylog", str(SEED / "seed.keylog"), "--color", "never")
    assert r.returncode == 0, r.stderr
    assert "Decryption" in r.stdout and "Status: decrypted" in r.stdout
    assert "Finished verified: client valid, server valid" in r.stdout
    assert "first bytes: POST /gsma/rsp2/es9plus/initiateAuthentication" in r.stdout
    env = {"SSLKEYLOGFILE": str(SEED / "seed.keylog")}
    r = _cli(seed, "--format", "json", env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["connections"][0]["decryption"]["status"] == "decrypted"
    r = _cli(seed, "--keylog", "/nonexistent/key.log")
    assert r.returncode == 2 and "/nonexistent/key.log: no such file" in r.stderr


@pytest.mark.parametrize("lang", ["en"])
def test_text_report_marks_decrypted_messages(lang: str) -> None:
    from io import StringIO

    from tlslens.report.text import write_text

    result = tlslens.analyze(str(SEED / "seed.pcap"),
                             Options(keylogs=(str(SEED / "seed.keylog"),)))
    buf = StringIO()
    write_text(result, buf, lang=lang, color=False)
    assert "Finished (decrypted)" in buf.getvalue()
