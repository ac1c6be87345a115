"""The report schema accepts a complete hand-written report and rejects contract breaks."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from tlslens.anomalies import CATALOGUE, Anomaly
from tlslens.report.schema import (
    SCHEMA_VERSION,
    ReportSchemaError,
    load_schema,
    validate_connection,
    validate_report,
)

NO_FP = {
    "ja3": None,
    "ja3_full": None,
    "ja3n": None,
    "ja4": None,
    "ja4_r": None,
    "ja4_o": None,
    "ja4_ro": None,
    "ja3s": None,
    "ja3s_full": None,
}


def coded(code: int, name: str | None) -> dict[str, Any]:
    return {"code": code, "name": name}


def client_hello() -> dict[str, Any]:
    return {
        "record_version": 769,
        "version": 771,
        "sslv2_format": False,
        "random": "5f" * 32,
        "challenge": None,
        "random_time": "2020-09-13T12:26:40Z",
        "session_id": "e0" * 32,
        "cipher_suites": [coded(0x0A0A, "GREASE"), coded(4865, "TLS_AES_128_GCM_SHA256")],
        "compression_methods": [0],
        "extensions": [
            {
                "code": 0,
                "name": "server_name",
                "length": 16,
                "data": {"server_name_list": [{"type": 0, "name": "example.com"}]},
                "raw": "000e00000b6578616d706c652e636f6d",
            },
            {"code": 0xFE0D, "name": None, "length": 2, "data": None, "raw": "abcd"},
        ],
        "server_name": "example.com",
        "alpn": ["h2", "http/1.1"],
        "supported_groups": [coded(29, "x25519")],
        "ec_point_formats": [0],
        "signature_algorithms": [coded(0x0403, "ecdsa_secp256r1_sha256")],
        "signature_algorithms_cert": [],
        "supported_versions": [coded(772, "TLS 1.3"), coded(771, "TLS 1.2")],
        "key_share_groups": [coded(29, "x25519")],
        "psk_key_exchange_modes": [1],
        "psk_identities": 0,
        "fingerprints": {
            **NO_FP,
            "ja3": "cd08e31494f9531f560d64c695473da9",
            "ja3_full": "771,4865,0-65037,29,0",
            "ja4": "t13d0102h2_aaaaaaaaaaaa_bbbbbbbbbbbb",
        },
    }


def server_hello() -> dict[str, Any]:
    return {
        "record_version": 771,
        "version": 771,
        "sslv2_format": False,
        "random": "a1" * 32,
        "session_id": "e0" * 32,
        "cipher_suite": coded(4865, "TLS_AES_128_GCM_SHA256"),
        "cipher_suites": [],
        "compression_method": 0,
        "extensions": [
            {
                "code": 43,
                "name": "supported_versions",
                "length": 2,
                "data": {"selected_version": 772},
                "raw": "0304",
            }
        ],
        "selected_version": coded(772, "TLS 1.3"),
        "alpn": None,
        "key_share_group": coded(29, "x25519"),
        "ec_point_formats": [],
        "hello_retry_request": False,
        "downgrade_sentinel": None,
        "fingerprints": {"ja3s": "15af977ce25de452b96affa2addb1036", "ja3s_full": "771,4865,43"},
    }


def certificate() -> dict[str, Any]:
    return {
        "subject": "CN=example.com",
        "issuer": "CN=Example CA,O=Example",
        "serial": "05a9",
        "not_before": "2024-01-01T00:00:00Z",
        "not_after": "2025-01-01T00:00:00Z",
        "sha256": "00" * 32,
        "sha1": "11" * 20,
        "der_length": 801,
        "public_key": {"type": "ec", "bits": 256, "curve": "secp256r1"},
        "signature_algorithm": {"oid": "1.2.840.10045.4.3.2", "name": "ecdsa-with-SHA256"},
        "extensions": [
            {
                "oid": "2.5.29.19",
                "name": "basicConstraints",
                "critical": True,
                "value": {"ca": False, "path_length": None},
            }
        ],
        "entry_extensions": [],
        "self_signed": False,
    }


def connection() -> dict[str, Any]:
    return {
        "id": 0,
        "transport": "tcp",
        "client": {"ip": "192.0.2.1", "port": 50000},
        "server": {"ip": "2001:db8::1", "port": 443},
        "direction_inferred": False,
        "start_time": "2024-05-01T10:00:00.000000Z",
        "end_time": "2024-05-01T10:00:00.250123Z",
        "state": "failed",
        "version": coded(772, "TLS 1.3"),
        "cipher_suite": coded(4865, "TLS_AES_128_GCM_SHA256"),
        "server_name": "example.com",
        "alpn": None,
        "resumed": False,
        "verdict": {"level": "failed", "summary": "The handshake failed."},
        "messages": [
            {
                "frame": 4,
                "time": "2024-05-01T10:00:00.100000Z",
                "direction": "client",
                "type": "client_hello",
                "length": 508,
                "encrypted": False,
                "decrypted": False,
            },
            {
                "frame": 6,
                "time": "2024-05-01T10:00:00.200000Z",
                "direction": "server",
                "type": "server_hello",
                "length": 118,
                "encrypted": False,
                "decrypted": False,
            },
            {
                "frame": 7,
                "time": "2024-05-01T10:00:00.250123Z",
                "direction": "client",
                "type": "alert",
                "length": 2,
                "encrypted": False,
                "decrypted": False,
            },
        ],
        "application_data": {
            "client": {"records": 0, "bytes": 0},
            "server": {"records": 0, "bytes": 0},
        },
        "client_hellos": [client_hello()],
        "server_hellos": [server_hello()],
        "certificates": [certificate()],
        "certificate_request": None,
        "client_certificates": None,
        "server_key_exchange": None,
        "client_key_exchange": None,
        "certificate_verify": [],
        "new_session_tickets": [],
        "certificate_status": None,
        "encrypted_extensions": None,
        "alerts": [
            {
                "frame": 7,
                "time": "2024-05-01T10:00:00.250123Z",
                "direction": "client",
                "level": 2,
                "description": coded(48, "unknown_ca"),
                "encrypted": False,
                "decrypted": False,
            }
        ],
        "fingerprints": {
            **NO_FP,
            "ja3": "cd08e31494f9531f560d64c695473da9",
            "ja3s": "15af977ce25de452b96affa2addb1036",
        },
        "findings": [
            {
                "id": "handshake-failed",
                "severity": "info",
                "title": "Handshake failed",
                "detail": "The client sent unknown_ca.",
            }
        ],
        "esim": None,
        "decryption": None,
        "anomalies": [],
        "chain": [{"index": 0, "validity": "valid", "issuer_index": None,
                   "name_chained": None, "key_id_chained": None, "signature_valid": True,
                   "self_signed": True, "out_of_order": False}],
        "hostname_match": True,
    }


def report() -> dict[str, Any]:
    """A minimal but complete report: every key present, absent things null or []."""
    return {
        "schema_version": 1,
        "tool": {"name": "tlslens", "version": "0.1.0"},
        "capture": {
            "path": "-",
            "format": "pcapng",
            "compressed": False,
            "link_types": [1],
            "packets": 7,
            "bytes": 2048,
            "first_time": "2024-05-01T10:00:00.000000Z",
            "last_time": "2024-05-01T10:00:00.250123Z",
        },
        "connections": [connection()],
        "stats": {"tcp_connections": 1, "tls_connections": 1},
        "anomalies": [
            {"id": "tcp.midstream", "severity": "info", "detail": "no SYN seen", "frame": None}
        ],
    }


def errors_of(doc: dict[str, Any]) -> ReportSchemaError:
    with pytest.raises(ReportSchemaError) as info:
        validate_report(doc)
    return info.value


# --- the schema itself ---------------------------------------------------------------


def test_schema_is_package_data_and_a_valid_2020_12_schema() -> None:
    path = resources.files("tlslens.report").joinpath("schema.json")
    on_disk = json.loads(path.read_text("utf-8"))
    Draft202012Validator.check_schema(on_disk)
    assert on_disk == load_schema()
    assert on_disk["properties"]["schema_version"]["const"] == SCHEMA_VERSION
    for name in (
        "coded",
        "time",
        "hex",
        "extension",
        "certificate",
        "client_hello",
        "server_hello",
        "fingerprints",
        "anomaly",
        "finding",
        "esim",
        "decryption",
        "connection",
    ):
        assert name in on_disk["$defs"]


def test_load_schema_returns_an_independent_copy() -> None:
    first = load_schema()
    first["$defs"].clear()
    assert "connection" in load_schema()["$defs"]


def _objects(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if "properties" in node:
            found.append(node)
        for value in node.values():
            found += _objects(value)
    elif isinstance(node, list):
        for value in node:
            found += _objects(value)
    return found


def test_every_listed_key_is_required_and_described() -> None:
    schema = load_schema()
    objects = _objects(schema)
    assert len(objects) > 25
    for obj in objects:
        assert set(obj["required"]) == set(obj["properties"]), obj.get("description")
        assert "additionalProperties" not in obj  # "add fields freely"
    for name, sub in schema["$defs"].items():
        assert sub.get("description"), name


# --- positive cases -------------------------------------------------------------------


def test_minimal_complete_report_is_valid() -> None:
    validate_report(report())


def test_extra_fields_are_allowed_everywhere() -> None:
    doc = report()
    doc["generator_note"] = "x"
    doc["stats"]["udp_flows"] = 3
    doc["connections"][0]["history"] = "CSA"
    doc["connections"][0]["client_hellos"][0]["cipher_suites"][0]["iana"] = True
    validate_report(doc)


def test_filled_optional_objects_are_valid() -> None:
    doc = report()
    conn = doc["connections"][0]
    conn["server_key_exchange"] = {
        "kind": "ecdhe",
        "curve_type": 3,
        "named_curve": coded(23, "secp256r1"),
        "public_key": "04" + "ab" * 64,
        "dh_p_bits": None,
        "dh_g": None,
        "dh_ys": None,
        "rsa_modulus_bits": None,
        "psk_identity_hint": None,
        "signature_algorithm": coded(0x0804, "rsa_pss_rsae_sha256"),
        "signature": "ff" * 256,
        "signature_valid": None,
    }
    conn["client_key_exchange"] = {"kind": "ecdh", "public_key_length": 65}
    conn["certificate_request"] = {
        "certificate_types": [1, 64],
        "signature_algorithms": [coded(0x0401, None)],
        "certificate_authorities": ["CN=Root"],
    }
    conn["client_certificates"] = []
    conn["certificate_verify"] = [
        {"direction": "server", "signature_algorithm": coded(0x0403, None), "signature_valid": True}
    ]
    conn["new_session_tickets"] = [
        {"lifetime": 7200, "ticket_length": 192, "age_add": None, "extensions": []}
    ]
    conn["certificate_status"] = {"type": 1, "ocsp": {"response_status": "successful"}}
    conn["encrypted_extensions"] = []
    conn["esim"] = {
        "role_client": "LPA",
        "role_server": "SM-DP+",
        "recognized_by": ["sni-rule", "ci-key"],
        "vendor": {"name": "Thales", "detail": None, "evidence": ["sni suffix"]},
        "ci": {
            "name": "GSM Association - RSP2 Root CI1",
            "key_id": "f54172bdf98a95d65cbe",
            "production": True,
            "match": "claimed",
        },
        "checks": [
            {
                "id": "ci-chain",
                "rule": "The chain ends at a GSMA CI.",
                "subject": "certificates[1]",
                "result": "not_observable",
                "reason": "no signature could be checked",
                "sources": ["SGP.22 4.5"],
                "confidence": "medium",
            }
        ],
    }
    conn["decryption"] = {
        "status": "partial",
        "reason": None,
        "reason_id": None,
        "reason_args": {},
        "key_source": "keylog",
        "client_finished_valid": True,
        "server_finished_valid": None,
        "records": {"ok": 4, "failed": 1},
        "early_data": None,
        "application_data": {
            "client": {
                "bytes": 18,
                "first_hex": "474554202f20485454502f312e310d0a0d0a",
                "first_text": "GET / HTTP/1.1....",
            },
            "server": {"bytes": 0, "first_hex": "", "first_text": ""},
        },
    }
    validate_report(doc)
    validate_connection(conn)


def test_real_anomaly_objects_match_the_anomaly_definition() -> None:
    doc = report()
    doc["anomalies"] = [
        Anomaly(anomaly_id, "detail", frame=3).to_dict() for anomaly_id in CATALOGUE
    ]
    validate_report(doc)


# --- negative cases: each breaks exactly one rule of the contract --------------------


def test_missing_key_is_rejected_with_its_path() -> None:
    doc = report()
    del doc["connections"][0]["alpn"]
    err = errors_of(doc)
    assert err.total == 1
    assert err.issues[0].path == "$.connections[0]"
    assert "'alpn' is a required property" in err.issues[0].message
    assert "$.connections[0]: 'alpn' is a required property" in str(err)


def test_wrong_enum_is_rejected() -> None:
    doc = report()
    doc["connections"][0]["state"] = "done"
    err = errors_of(doc)
    assert [issue.path for issue in err.issues] == ["$.connections[0].state"]


@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("start_time", "2024-05-01T10:00:00Z"),  # packet times need 6 fraction digits
        ("start_time", "2024-05-01T10:00:00.123Z"),
        ("start_time", "2024-05-01 10:00:00.000000Z"),
        ("end_time", "2024-05-01T10:00:00.000000+00:00"),
        ("end_time", "2024-05-01T10:00:00.000000Z\n"),
    ],
)
def test_bad_packet_time_is_rejected(where: str, value: str) -> None:
    doc = report()
    doc["connections"][0][where] = value
    assert errors_of(doc).issues[0].path == f"$.connections[0].{where}"


def test_certificate_time_must_have_whole_seconds() -> None:
    doc = report()
    doc["connections"][0]["certificates"][0]["not_after"] = "2025-01-01T00:00:00.000000Z"
    assert errors_of(doc).issues[0].path == "$.connections[0].certificates[0].not_after"


@pytest.mark.parametrize("value", ["5F" * 32, "0x05a9", "5a9", "zz", "05a9\n"])
def test_bad_hex_is_rejected(value: str) -> None:
    doc = report()
    doc["connections"][0]["certificates"][0]["serial"] = value
    assert errors_of(doc).issues[0].path == "$.connections[0].certificates[0].serial"


def test_coded_value_without_name_is_rejected() -> None:
    doc = report()
    doc["connections"][0]["client_hellos"][0]["cipher_suites"][1] = {"code": 4865}
    err = errors_of(doc)
    assert err.issues[0].path == "$.connections[0].client_hellos[0].cipher_suites[1]"
    assert "'name' is a required property" in err.issues[0].message


def test_nullable_coded_reports_the_near_miss() -> None:
    doc = report()
    doc["connections"][0]["cipher_suite"] = {"code": "4865", "name": None}
    err = errors_of(doc)
    assert err.issues[0].path == "$.connections[0].cipher_suite.code"


def test_float_where_an_integer_is_required_is_rejected() -> None:
    doc = report()
    doc["connections"][0]["messages"][0]["frame"] = 4.0
    assert errors_of(doc).issues[0].path == "$.connections[0].messages[0].frame"


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("schema_version",), 2),
        (("tool", "name"), "tlsview"),
        (("capture", "format"), "erf"),
        (("connections", 0, "messages", 0, "frame"), 0),  # frames are 1-based
        (("connections", 0, "messages", 0, "type"), "ClientHello"),
        (("connections", 0, "alerts", 0, "direction"), "to_server"),
        (("connections", 0, "verdict", "level"), "ok"),
        (("connections", 0, "findings", 0, "severity"), "warning"),
        (("anomalies", 0, "severity"), "high"),
        (("connections", 0, "server_hellos", 0, "downgrade_sentinel"), "tls13"),
        (("connections", 0, "client", "port"), 65536),
        (("connections", 0, "resumed"), 0),
        (("stats",), {"tls_connections": 1}),
    ],
)
def test_other_contract_breaks_are_rejected(path: tuple[Any, ...], value: Any) -> None:
    doc = report()
    target: Any = doc
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    errors_of(doc)


def test_error_lists_only_the_first_few_and_counts_the_rest() -> None:
    doc = report()
    for message in doc["connections"][0]["messages"]:
        message["direction"] = "up"
        message["time"] = "later"
    with pytest.raises(ReportSchemaError) as info:
        validate_report(doc, max_errors=2)
    assert info.value.total == 6
    assert len(info.value.issues) == 2
    assert "... and 4 more" in str(info.value)


def test_validate_connection_checks_one_ndjson_line() -> None:
    conn = connection()
    validate_connection(conn)
    conn["transport"] = "sctp"
    with pytest.raises(ReportSchemaError) as info:
        validate_connection(conn)
    assert info.value.issues[0].path == "$.transport"
