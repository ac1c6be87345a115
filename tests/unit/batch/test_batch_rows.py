"""The flat batch row agrees with the JSON report, field by field, on real connections.

The row is built straight from the TlsConnection; the JSON report is built by another
path (report/json_report.py). Both must say the same about every connection.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import tlslens
from tlslens.batch.rows import COLUMN_NAMES, COLUMNS, ERROR_IDS, _text, connection_row, error_row

SEED = Path(__file__).resolve().parents[2] / "fixtures" / "seed" / "seed.pcap"


def _rows_and_dicts(path: Path) -> list[tuple[dict, dict]]:
    return [(connection_row(str(path), c), c.to_dict())
            for c in tlslens.iter_connections(str(path))]


def test_seed_row_has_the_seed_handshake() -> None:
    [(row, _)] = _rows_and_dicts(SEED)
    assert list(row) == list(COLUMN_NAMES)
    assert row["capture"] == str(SEED)
    assert row["connection_id"] == 0
    assert (row["client_ip"], row["server_ip"], row["server_port"]) == \
        ("127.0.0.1", "127.0.0.1", 443)
    assert row["sni"] == "rakuten.prod.ondemandconnectivity.com"
    assert row["alpn"] == "http/1.1"
    assert (row["version"], row["version_code"]) == ("TLS 1.2", 0x0303)
    assert (row["cipher_suite"], row["cipher_suite_code"]) == \
        ("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", 0xC02C)
    assert row["resumed"] is False
    assert "cert-expired" in row["finding_ids"]  # the GEMALTO intermediate (2022)
    assert row["cert_subjects"][0] == \
        "CN=rakuten.prod.ondemandconnectivity.com,O=THALES SA,C=FR"
    assert len(row["cert_subjects"]) == len(row["cert_issuers"]) == len(row["cert_sha256"]) == 3
    assert row["cert_issuers"][0] == row["cert_subjects"][1]  # chain sent in order
    assert row["leaf_not_after"] == "2032-02-23T23:59:59Z"
    assert row["error"] is None and row["error_detail"] is None


def test_seed_certificate_hashes_are_of_the_der_on_the_wire() -> None:
    conn = next(tlslens.iter_connections(str(SEED)))
    row = connection_row("x", conn)
    assert row["cert_sha256"] == [hashlib.sha256(c.der).hexdigest() for c in conn.certificates]
    assert row["start_time"] < row["end_time"]


def test_rows_match_the_json_report(corpus: Path) -> None:
    """Every corpus connection: row fields equal the JSON report's."""
    seen = 0
    for path in sorted(corpus.iterdir()):
        if path.suffix == ".keylog":
            continue
        for row, doc in _rows_and_dicts(path):
            seen += 1
            assert row["connection_id"] == doc["id"]
            assert row["start_time"] == doc["start_time"]
            assert row["end_time"] == doc["end_time"]
            assert (row["client_ip"], row["client_port"]) == \
                (doc["client"]["ip"], doc["client"]["port"])
            assert (row["server_ip"], row["server_port"]) == \
                (doc["server"]["ip"], doc["server"]["port"])
            assert row["sni"] == doc["server_name"]
            assert row["alpn"] == doc["alpn"]
            assert row["state"] == doc["state"]
            assert row["resumed"] == doc["resumed"]
            version = doc["version"]
            assert row["version_code"] == (version["code"] if version else None)
            assert row["version"] == (version["name"] if version else None)
            suite = doc["cipher_suite"]
            assert row["cipher_suite_code"] == (suite["code"] if suite else None)
            assert row["cipher_suite"] == (suite["name"] if suite else None)
            for key in ("ja3", "ja3n", "ja4", "ja3s"):
                assert row[key] == doc["fingerprints"][key]
            assert row["verdict"] == doc["verdict"]["level"]
            assert row["finding_ids"] == [f["id"] for f in doc["findings"]]
            assert row["cert_sha256"] == [c["sha256"] for c in doc["certificates"]]
            assert row["anomaly_count"] == len(doc["anomalies"])
            assert row["anomaly_ids"] == sorted({a["id"] for a in doc["anomalies"]})
    assert seen > 200  # the corpus has about 245 TLS connections


def test_error_row_has_every_column_and_only_the_error_set() -> None:
    row = error_row("a.pcap", "batch.not_a_capture", "a.pcap: the file is empty")
    assert list(row) == list(COLUMN_NAMES)
    assert {k for k, v in row.items() if v is not None} == {"capture", "error", "error_detail"}
    assert "batch.not_a_capture" in ERROR_IDS


def test_error_ids_are_catalogued_anomaly_ids() -> None:
    from tlslens.anomalies import CATALOGUE

    assert set(ERROR_IDS) <= set(CATALOGUE)


def test_wire_text_with_a_lone_surrogate_becomes_encodable() -> None:
    text = _text("bad\udcffname")
    assert text is not None
    text.encode("utf-8")  # would raise for a lone surrogate
    assert "bad" in text and "name" in text
    assert _text("plain") == "plain" and _text("日本") == "日本" and _text(None) is None


def test_columns_have_known_types() -> None:
    assert {kind for _, kind in COLUMNS} <= {"string", "int64", "bool", "timestamp",
                                             "list<string>"}
    assert len(set(COLUMN_NAMES)) == len(COLUMN_NAMES)
