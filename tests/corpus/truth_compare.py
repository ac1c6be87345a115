"""Compare tlslens's analysis of a corpus capture with tshark's truth file.

Shared by the corpus test and by ``python -m tests.corpus.truth_compare`` (a report of
every difference, for investigating). Connections are matched by their endpoint pair
(truth marks guessed directions, so the pair is compared unordered).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

CORPUS = Path(os.environ.get("TLSLENS_CORPUS",
                             Path(__file__).resolve().parents[3] / "shared" / "corpus"))


def corpus_captures() -> list[Path]:
    pcaps = CORPUS / "pcaps"
    if not pcaps.is_dir():
        return []
    return sorted(p for p in pcaps.iterdir() if p.suffix in (".pcap", ".pcapng"))


def truth_of(capture: Path) -> dict[str, Any]:
    return json.loads((CORPUS / "truth" / f"{capture.name}.json").read_text())


def _endpoint(e: dict[str, Any]) -> str:
    ip = e["ip"]
    return f"{ip}:{e['port']}"


def _pair(a: str, b: str) -> frozenset[str]:
    return frozenset((a, b))


def _hex(v: str | None) -> str | None:
    return v.lower() if isinstance(v, str) else v


def _codes(items: list[Any]) -> list[int]:
    return [i["code"] if isinstance(i, dict) else i for i in items]


def client_hello_fields(ours: dict[str, Any]) -> dict[str, Any]:
    sslv2 = ours["sslv2_format"]
    return {
        "legacy_version": ours["version"],
        "random": ours["random"],
        "session_id": ours["session_id"],
        "cipher_suites": [] if sslv2 else _codes(ours["cipher_suites"]),
        "cipher_specs": _codes(ours["cipher_suites"]) if sslv2 else None,
        "compression_methods": ours["compression_methods"],
        "extensions": [e["code"] for e in ours["extensions"]],
        "sni": ours["server_name"],
        "alpn": ours["alpn"],
        "supported_groups": _codes(ours["supported_groups"]),
        "ec_point_formats": ours["ec_point_formats"],
        "signature_algorithms": _codes(ours["signature_algorithms"]),
        "signature_algorithms_cert": _codes(ours["signature_algorithms_cert"]),
        "supported_versions": _codes(ours["supported_versions"]),
        "key_share_groups": _codes(ours["key_share_groups"]),
        "psk_key_exchange_modes": ours["psk_key_exchange_modes"],
        "psk_identities": ours["psk_identities"],
    }


def truth_client_hello(t: dict[str, Any]) -> dict[str, Any]:
    sslv2 = bool(t.get("sslv2"))
    out = {
        "legacy_version": t["legacy_version"], "random": _hex(t["random"]),
        "session_id": _hex(t["session_id"]),
        "cipher_suites": t["cipher_suites"],
        "cipher_specs": t.get("cipher_specs") if sslv2 else None,
        "compression_methods": t["compression_methods"], "extensions": t["extensions"],
        "sni": t["sni"], "alpn": t["alpn"], "supported_groups": t["supported_groups"],
        "ec_point_formats": t["ec_point_formats"],
        "signature_algorithms": t["signature_algorithms"],
        "signature_algorithms_cert": t["signature_algorithms_cert"],
        "supported_versions": t["supported_versions"],
        "key_share_groups": t["key_share_groups"],
        "psk_key_exchange_modes": t["psk_key_exchange_modes"],
        "psk_identities": t["psk_identities"],
    }
    return out


def server_hello_fields(ours: dict[str, Any]) -> dict[str, Any]:
    sslv2 = ours["sslv2_format"]
    return {
        "version": ours["version"], "random": ours["random"],
        "is_hello_retry_request": ours["hello_retry_request"],
        "session_id": ours["session_id"],
        "cipher_suite": ours["cipher_suite"]["code"] if ours["cipher_suite"] else None,
        "cipher_specs": _codes(ours["cipher_suites"]) if sslv2 else None,
        "compression_method": ours["compression_method"],
        "extensions": [e["code"] for e in ours["extensions"]],
        "selected_version": ours["selected_version"]["code"] if ours["selected_version"]
        else None,
        "alpn": ours["alpn"],
        "key_share_group": ours["key_share_group"]["code"] if ours["key_share_group"]
        else None,
        "ec_point_formats": ours["ec_point_formats"],
    }


def truth_server_hello(t: dict[str, Any]) -> dict[str, Any]:
    sslv2 = bool(t.get("sslv2"))
    return {
        "version": t["version"], "random": _hex(t["random"]),
        "is_hello_retry_request": t["is_hello_retry_request"],
        "session_id": _hex(t["session_id"]), "cipher_suite": t["cipher_suite"],
        "cipher_specs": t.get("cipher_specs") if sslv2 else None,
        "compression_method": t["compression_method"], "extensions": t["extensions"],
        "selected_version": t["selected_version"], "alpn": t["alpn"],
        "key_share_group": t["key_share_group"], "ec_point_formats": t["ec_point_formats"],
    }


def cert_fields(c: dict[str, Any]) -> dict[str, Any]:
    return {"sha256": c["sha256"], "subject": c["subject"], "issuer": c["issuer"],
            "serial": int(c["serial"], 16) if c["serial"] else None,
            "not_before": c["not_before"], "not_after": c["not_after"]}


def truth_cert(c: dict[str, Any]) -> dict[str, Any]:
    return {"sha256": c["sha256"], "subject": c.get("subject_rfc4514"),
            "issuer": c.get("issuer_rfc4514"),
            "serial": int(c["serial_int"]) if c.get("serial_int") is not None else None,
            "not_before": c.get("not_before"), "not_after": c.get("not_after")}


def compare_capture(capture: Path, report: dict[str, Any]) -> Iterator[str]:
    """Yield one line per difference between our report and tshark's truth."""
    truth = truth_of(capture)
    ours = {}
    for c in report["connections"]:
        ours.setdefault(_pair(_endpoint(c["client"]), _endpoint(c["server"])), []).append(c)
    for s in truth["streams"]:
        if s["transport"] != "tcp":
            continue
        if not (s["client_hellos"] or s["server_hellos"] or s["certificates"]
                or s["alerts"] or s["handshake_sequence"]):
            continue
        key = _pair(s["client"], s["server"])
        cands = ours.get(key)
        where = f"{capture.name} stream {s['stream']} {s['client']}-{s['server']}"
        if not cands:
            yield f"{where}: connection missing"
            continue
        conn = cands.pop(0)
        yield from _compare_stream(where, s, conn)


def _diff(where: str, what: str, mine: dict[str, Any], theirs: dict[str, Any]) -> Iterator[str]:
    for k, value in theirs.items():
        if mine.get(k) != value:
            yield f"{where}: {what}.{k}: ours {mine.get(k)!r} != tshark {value!r}"


def _compare_stream(where: str, s: dict[str, Any], conn: dict[str, Any]) -> Iterator[str]:
    tch, och = s["client_hellos"], conn["client_hellos"]
    if len(tch) != len(och):
        yield f"{where}: {len(och)} client hellos != tshark {len(tch)}"
    for i, (t, o) in enumerate(zip(tch, och)):
        yield from _diff(where, f"client_hello[{i}]", client_hello_fields(o),
                         truth_client_hello(t))
    tsh, osh = s["server_hellos"], conn["server_hellos"]
    if len(tsh) != len(osh):
        yield f"{where}: {len(osh)} server hellos != tshark {len(tsh)}"
    for i, (t, o) in enumerate(zip(tsh, osh)):
        yield from _diff(where, f"server_hello[{i}]", server_hello_fields(o),
                         truth_server_hello(t))
    server_certs = [c for c in s["certificates"] if c["from"] == "server"]
    if not server_certs:
        for t in s["server_hellos"]:
            if t.get("sslv2_certificate"):
                server_certs = [t["sslv2_certificate"]]
    if server_certs:
        tcerts = server_certs[0]["certs"]
        ocerts = conn["certificates"]
        if len(tcerts) != len(ocerts):
            yield f"{where}: {len(ocerts)} server certificates != tshark {len(tcerts)}"
        for i, (t, o) in enumerate(zip(tcerts, ocerts)):
            yield from _diff(where, f"certificate[{i}]", cert_fields(o), truth_cert(t))
    elif conn["certificates"]:
        yield f"{where}: ours has {len(conn['certificates'])} certificates, tshark none"
    if s["server_key_exchanges"]:
        t = s["server_key_exchanges"][0]
        o = conn["server_key_exchange"]
        if o is None:
            yield f"{where}: server_key_exchange missing"
        else:
            mine = {"curve_type": o["curve_type"],
                    "named_curve": o["named_curve"]["code"] if o["named_curve"] else None,
                    "signature_scheme": o["signature_algorithm"]["code"]
                    if o["signature_algorithm"] else None}
            theirs = {k: t.get(k) for k in ("curve_type", "named_curve", "signature_scheme")}
            yield from _diff(where, "server_key_exchange", mine, theirs)
    talerts = [(a["from"], a["level"], a["description"]) for a in s["alerts"]
               if not a.get("encrypted")]
    oalerts = [(a["direction"], a["level"], a["description"]["code"])
               for a in conn["alerts"] if not a["encrypted"]]
    if talerts != oalerts:
        yield f"{where}: plaintext alerts ours {oalerts} != tshark {talerts}"


def main() -> None:
    import sys

    import tlslens

    names = sys.argv[1:]
    total = 0
    for cap in corpus_captures():
        if names and cap.name not in names:
            continue
        report = tlslens.analyze(str(cap)).to_dict()
        for line in compare_capture(cap, report):
            total += 1
            print(line)
    print(f"{total} differences")


if __name__ == "__main__":
    main()
