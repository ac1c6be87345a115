"""Decryption against tshark on every corpus capture with key material.

For each TLS-over-TCP capture in ../shared/corpus with a ``<capture>.keylog`` (MANIFEST
"Keylogs"), the connection tshark decrypted must decrypt here too: the same handshake
messages come out of the encryption (frame, direction, type), the first 64 bytes of
application data per direction equal tshark's ``follow,tls,raw`` bytes
(``app_data_first_bytes_hex``), and both Finished messages verify. pcapng files with an
embedded Decryption Secrets Block need no key log: tshark's plain pass is the truth.
DTLS (illustrated-dtls) is out of scope: tlslens decrypts TLS over TCP.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

import tlslens
from tests.corpus.truth_compare import CORPUS
from tlslens.pipeline import Options
from tlslens.report.schema import validate_report

PCAPS = CORPUS / "pcaps"
KEYLOGGED = sorted(p for p in PCAPS.glob("*.keylog")
                   if "dtls" not in p.name) if PCAPS.is_dir() else []
DSB = [PCAPS / "ja4__chrome-cloudflare-quic-with-secrets.pcapng"] if PCAPS.is_dir() else []

pytestmark = pytest.mark.skipif(not PCAPS.is_dir(), reason="../shared/corpus is absent")


def _truth(capture: Path) -> dict[str, Any]:
    return json.loads((CORPUS / "truth" / f"{capture.name}.json").read_text())


@cache
def _report(capture: str, keylog: str | None) -> dict[str, Any]:
    opts = Options(keylogs=(keylog,) if keylog else ())
    doc = tlslens.analyze(capture, opts).to_dict()
    validate_report(doc)
    return doc


def _by_client(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {f"{c['client']['ip']}:{c['client']['port']}": c for c in doc["connections"]}


def _decrypted_messages(conn: dict[str, Any]) -> list[tuple[int, str, str]]:
    return [(x["frame"], x["direction"], x["type"]) for x in conn["messages"]
            if x["decrypted"] and x["type"] not in ("alert", "change_cipher_spec")]


@pytest.mark.parametrize("keylog", KEYLOGGED, ids=[p.name for p in KEYLOGGED])
def test_decrypts_as_tshark_did(keylog: Path) -> None:
    capture = PCAPS / keylog.name[:-len(".keylog")]
    truth = _truth(capture)
    plain = {(s["transport"], s["stream"]): s for s in truth["streams"]}
    conns = _by_client(_report(str(capture), str(keylog)))
    streams = truth["decryption"]["streams"]
    assert streams, "tshark decrypted nothing: nothing to compare"
    for t in streams:
        client = plain[(t["transport"], t["stream"])]["client"]
        conn = conns[client]
        dec = conn["decryption"]
        where = f"stream {t['stream']} ({client})"
        assert dec["status"] == "decrypted", (where, dec)
        assert dec["client_finished_valid"] is True, where
        assert dec["server_finished_valid"] is True, where
        want = [(x["frame"], x["from"], x["name"]) for x in t["decrypted_handshake_messages"]]
        assert _decrypted_messages(conn) == want, where
        first = t.get("app_data_first_bytes_hex", {})
        for direction in ("client", "server"):
            assert dec["application_data"][direction]["first_hex"] == \
                first.get(direction, ""), (where, direction)
        for cert, tc in zip(conn["certificates"], [c for d in t["decrypted_certificates"]
                                                   for c in d["certs"]]):
            assert cert["sha256"] == tc["sha256"], where


@pytest.mark.parametrize("capture", DSB, ids=[p.name for p in DSB])
def test_decryption_secrets_block_decrypts_as_tshark_did(capture: Path) -> None:
    truth = _truth(capture)
    doc = _report(str(capture), None)
    conns = _by_client(doc)
    tcp = [s for s in truth["streams"] if s["transport"] == "tcp"]
    assert tcp
    for t in tcp:
        conn = conns[t["client"]]
        dec = conn["decryption"]
        assert dec is not None and dec["status"] == "decrypted", dec
        assert dec["client_finished_valid"] is True and dec["server_finished_valid"] is True
        want = [(x["frame"], x["from"], x["type"]) for x in t["handshake_sequence"]
                if x.get("decrypted")]
        ours = [(x["frame"], x["direction"], x["type"]) for x in conn["messages"]
                if x["decrypted"] and x["type"] not in ("alert", "change_cipher_spec")]
        from tlslens.tls.session import HANDSHAKE_TYPE_NAMES

        assert ours == [(f, d, HANDSHAKE_TYPE_NAMES[ty]) for f, d, ty in want]
        assert [cv["signature_valid"] for cv in conn["certificate_verify"]] == [True]
        assert conn["decryption"]["application_data"]["client"]["first_text"].startswith(
            "PRI * HTTP/2.0")
