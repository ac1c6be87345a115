#!/usr/bin/env python3
"""Generate src/tlslens/registry/esim_data.py from the eSIM research folder.

Usage: python scripts/gen_esim_data.py [DATA_DIR] [--out FILE] [--check]

DATA_DIR defaults to ../shared/data/esim relative to the repository (read its NOTES.md:
GSMA SGP.22 facts gathered from public repositories, each with its source and a
confidence). tlslens ships the *facts* it needs, never the certificate files: CI roots
(name, key identifier, SHA-256 of each certificate, validity, curve, category, the public
key as SubjectPublicKeyInfo DER so a chain whose root is not sent can still be verified),
SM-DP+/SM-DS host rules -> vendor, SM-DP+ OID prefix -> vendor, the RSP role OIDs and the
TLS/certificate rules of sgp22_tls_rules.json with their confidence and sources.

Where the data needs a human decision the tables below hold it (a CI's category, a vendor
string's company name), and the generator refuses input it has no decision for, so new
data is a choice, not a silent default. ``--check`` writes nothing and exits 1 when the
committed module is stale. The output is plain Python literals (no parsing at run time).

Licence: the facts come from the sources listed in the generated module's SOURCES; they
are facts (names, identifiers, fingerprints, OIDs), not copied code or files.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data" / "esim"
DEFAULT_OUT = REPO / "src" / "tlslens" / "registry" / "esim_data.py"

#: CI key id prefix -> (kind, production). Kinds: gsma-production (the two live SGP.22
#: CIs), gsma-test (SGP.26 test CIs: their private keys are public), gsma-m2m (SGP.02),
#: test (other test roots), regional, private (vendor roots), other. NOTES.md section 2.
CI_KINDS: dict[str, tuple[str, bool]] = {
    "81370f": ("gsma-production", True),
    "4c2796": ("gsma-production", True),
    "16704b": ("other", True),  # Entrust: not on the GSMA list, widely answered for
    "d7a7d0": ("gsma-m2m", True),
    "665a14": ("test", False),
    "f54172": ("gsma-test", False),
    "c0bc70": ("gsma-test", False),
    "34eecf": ("gsma-test", False),
    "2209f6": ("gsma-test", False),
    "16b5d1": ("regional", True),
    "7c0e54": ("regional", False),  # "NISTP BZTEST": a test root
    "cdf6d1": ("regional", True),
    "b60f0b": ("private", True),
    "ea53ad": ("private", True),
    "cd6e60": ("private", True),
    "77f0bd": ("private", True),
}

#: smdp_vendors.json "vendor" string -> (company, formerly, product or note). The company
#: is what a report names ("Thales"); "formerly" is a previous company name.
VENDORS: dict[str, tuple[str, str | None, str | None]] = {
    "Thales (ex-Gemalto) SM-DP+ (On-Demand Connectivity, GCP-hosted)":
        ("Thales", "Gemalto", "On-Demand Connectivity"),
    "Thales (SM-DP+/SM-DS operated for Verizon)": ("Thales", None, "operated for Verizon"),
    "Giesecke+Devrient (G+D) AirOn SM-DP+": ("G+D", None, "AirOn"),
    "Giesecke+Devrient (G+D) AirOn V4 / SubMan SM-DP+": ("G+D", None, "AirOn V4 / SubMan"),
    "Giesecke+Devrient (G+D) SubMan SM-DP+": ("G+D", None, "SubMan"),
    "IDEMIA (ex-Oberthur Technologies) M-Connect SM-DP+":
        ("IDEMIA", "Oberthur Technologies", "M-Connect"),
    "Oberthur Technologies / IDEMIA test SM-DP+ (MC4)":
        ("IDEMIA", "Oberthur Technologies", "test SM-DP+ (MC4)"),
    "Valid (Valid USA) SM-DP+": ("Valid", None, "Valid USA"),
    "Valid (Valid Soluciones Tecnologicas, Spain) SM-DP+":
        ("Valid", None, "Valid Soluciones Tecnologicas, Spain"),
    "Kigen SM-DP+": ("Kigen", None, None),
    "Truphone / 1GLOBAL SM-DP+": ("1GLOBAL", "Truphone", None),
    "Google SM-DP+ / SM-DS": ("Google", None, None),
    "Workz SM-DP+": ("Workz", None, None),
    "Monty Mobile (Monty UK Global) SM-DP+": ("Monty Mobile", None, "Monty UK Global"),
    "Oasis Smart SIM SM-DP+": ("Oasis Smart SIM", None, None),
    "Eastcompeace SM-DP+": ("Eastcompeace", None, None),
    "Eastcompeace SM-DP+ (Billion Connect brand)": ("Eastcompeace", None, "Billion Connect"),
    "Eastcompeace SM-DP+ (CMLink brand)": ("Eastcompeace", None, "CMLink"),
    "Redtea Mobile SM-DP+": ("Redtea Mobile", None, None),
    "LinksField SM-DP+": ("LinksField", None, None),
    "1oT SM-DP+": ("1oT", None, None),
    "A1 Systems SM-DP+": ("A1 Systems", None, None),
    "NovaCard SM-DP+": ("NovaCard", None, None),
    "NovaCard SM-DP+ (MTS brand)": ("NovaCard", None, "MTS"),
    "T2 Mobile (Tele2 Russia) SM-DP+": ("T2 Mobile", "Tele2 Russia", None),
    "Watchdata SM-DP+": ("Watchdata", None, None),
    "Hengbao SM-DP+": ("Hengbao", None, None),
    "XH Smart Tech SM-DP+": ("XH Smart Tech", None, None),
    "Wuhan Tianyu (TianYu/WHTY) SM-DP+": ("WHTY", None, "Wuhan Tianyu"),
    "Nokia iSIM Secure Connect SM-DP+": ("Nokia", None, "iSIM Secure Connect"),
    "Invigo SM-DP+": ("Invigo", None, None),
    "RiPSIM SM-DP+": ("RiPSIM", None, None),
    "Simartis Telecom SM-DP+": ("Simartis Telecom", None, None),
    "Protahub SM-DP+": ("Protahub", None, None),
    "Saudi Telecom Company SM-DP+": ("Saudi Telecom Company", None, None),
    "Bharti Airtel SM-DP+ (G+D AirOn platform)": ("Bharti Airtel", None, "G+D AirOn platform"),
    "Reliance Jio SM-DP+ (G+D AirOn platform)": ("Reliance Jio", None, "G+D AirOn platform"),
    "China Unicom (Vsens) SM-DP+": ("China Unicom", None, "Vsens"),
    "China Telecom SM-DP+": ("China Telecom", None, None),
    "China Mobile SM-DP+": ("China Mobile", None, None),
    "CAICT / CTTL test SM-DP+ (China)": ("CAICT", None, "CTTL test SM-DP+"),
    "NXP test SM-DP+ (eSIM.me)": ("NXP", None, "test SM-DP+ (eSIM.me)"),
    "Infineon test SM-DP+ (SGP.26 test certificates)": ("Infineon", None, "test SM-DP+"),
    "sysmocom test SM-DP+ (SGP.26 test certificates)": ("sysmocom", None, "test SM-DP+"),
    "GSMA root SM-DS (operated by Thales)": ("Thales", None, "GSMA root SM-DS"),
    "eSIM Discovery SM-DS (Thales-operated, Google)": ("Thales", None, "eSIM Discovery SM-DS"),
    "eSIM Discovery test SM-DS (Thales-operated)":
        ("Thales", None, "eSIM Discovery test SM-DS"),
    "Google 'Stork' SM-DS": ("Google", None, "Stork SM-DS"),
    "Verizon SM-DS (Thales-operated)": ("Thales", None, "Verizon SM-DS"),
}

#: OID prefixes that identify SGP.26 test identities, not a company.
TEST_OID_ARC = "2.999."

#: ES11 (LPA -> SM-DS) HTTP path prefix. Not in the research data: SGP.22 names the ES11
#: functions under /gsma/rsp2/es11/ (low confidence: lpac calls es9plus paths on SM-DSs).
ES11_PATH_PREFIX = "/gsma/rsp2/es11/"


class DataError(Exception):
    """The data holds something this generator has no decision for."""


# ---------------------------------------------------------------------------------------
# A minimal DER walk: the SubjectPublicKeyInfo of a certificate cryptography refuses
# ---------------------------------------------------------------------------------------

def _tlv(buf: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, contents start, contents end) of the TLV at ``pos``."""
    tag = buf[pos]
    first = buf[pos + 1]
    if first < 0x80:
        return tag, pos + 2, pos + 2 + first
    n = first & 0x7F
    length = int.from_bytes(buf[pos + 2:pos + 2 + n], "big")
    return tag, pos + 2 + n, pos + 2 + n + length


def spki_der(cert_der: bytes) -> bytes:
    """The SubjectPublicKeyInfo SEQUENCE of a certificate (RFC 5280 4.1)."""
    _, start, _ = _tlv(cert_der, 0)  # Certificate
    _, pos, _ = _tlv(cert_der, start)  # tbsCertificate
    fields = []
    while len(fields) < 7:
        tag, _, e = _tlv(cert_der, pos)
        fields.append((tag, pos, e))
        pos = e
    if fields[0][0] != 0xA0:  # v1 certificate: no [0] version
        fields = [(0xA0, 0, 0), *fields[:6]]
    _, begin, end = fields[6]
    return cert_der[begin:end]


def key_sha1(spki: bytes) -> str:
    """SHA-1 of the subjectPublicKey BIT STRING contents (RFC 5280 4.2.1.2 method 1)."""
    _, start, _ = _tlv(spki, 0)
    _, _, alg_end = _tlv(spki, start)
    _, bits_start, bits_end = _tlv(spki, alg_end)
    return hashlib.sha1(spki[bits_start + 1:bits_end]).hexdigest()


# ---------------------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------------------

def _cn(subject: str) -> str | None:
    for part in subject.split(","):
        if part.startswith("CN="):
            return part[3:].replace("\\ ", " ").strip()
    return None


def build_cis(data: Path) -> list[dict[str, Any]]:
    """One entry per CI key (certificates sharing a key are grouped)."""
    index = json.loads((data / "ci" / "index.json").read_text())
    by_key: dict[str, dict[str, Any]] = {}
    for c in index["certificates"]:
        if c["kind"] != "ci-root":
            continue
        key_id = c["ski_hex"]
        kind = CI_KINDS.get(key_id[:6])
        if kind is None:
            raise DataError(f"CI {key_id} ({c['name']}) has no category in CI_KINDS")
        der = (data / "ci" / c["file_der"]).read_bytes()
        if hashlib.sha256(der).hexdigest() != c["sha256_fingerprint"]:
            raise DataError(f"{c['file_der']}: SHA-256 differs from index.json")
        spki = spki_der(der)
        if key_sha1(spki) != key_id:
            raise DataError(f"{c['file_der']}: SKI is not SHA-1 of the key (NOTES 1.2)")
        entry = by_key.setdefault(key_id, {
            "key_id": key_id, "names": [], "subjects": [], "common_names": [],
            "sha256": [], "not_before": c["not_before"][:10], "not_after": c["not_after"][:10],
            "curve": {"prime256v1": "secp256r1"}.get(c["public_key_curve"],
                                                      c["public_key_curve"]),
            "kind": kind[0], "production": kind[1],
            "ci_oids": sorted(set(c["subject_alt_name"].get("rid", []))),
            "public_key": spki.hex()})
        if entry["public_key"] != spki.hex():
            raise DataError(f"CI {key_id}: two certificates with one SKI but two keys")
        for listname, value in (("names", c["name"]), ("subjects", c["subject"]),
                                ("common_names", _cn(c["subject"]) or c["name"]),
                                ("sha256", c["sha256_fingerprint"])):
            if value not in entry[listname]:
                entry[listname].append(value)
        entry["not_before"] = min(entry["not_before"], c["not_before"][:10])
        entry["not_after"] = max(entry["not_after"], c["not_after"][:10])
    missing = set(CI_KINDS) - {k[:6] for k in by_key}
    if missing:
        raise DataError(f"CI_KINDS names CIs absent from the data: {sorted(missing)}")
    out = []
    for key_id in sorted(by_key):
        e = by_key[key_id]
        # certificates sharing one key are one CI: every name they carry is listed
        e["name"] = " / ".join(e.pop("names"))
        for k in ("subjects", "common_names", "sha256", "ci_oids"):
            e[k] = tuple(e[k])
        out.append(e)
    return out


def build_known_ci_prefixes(data: Path) -> list[dict[str, Any]]:
    index = json.loads((data / "ci" / "index.json").read_text())
    # production: the name does not say TEST ("MC4 CI TEST v2")
    return [{"prefix": k["ski_prefix"], "name": k["name"], "country": k["country"],
             "production": "test" not in k["name"].lower()}
            for k in index["known_ci_without_pem"]]


def _role_of(vendor: str) -> str:
    return "SM-DS" if "SM-DS" in vendor and "SM-DP+" not in vendor else "SM-DP+"


def build_host_rules(data: Path) -> list[dict[str, Any]]:
    vendors = json.loads((data / "smdp_vendors.json").read_text())
    out = []
    for r in vendors["rules"]:
        if r["vendor"] not in VENDORS:
            raise DataError(f"vendor {r['vendor']!r} has no entry in VENDORS")
        if r["match_type"] not in ("suffix", "exact_host"):
            raise DataError(f"match_type {r['match_type']!r}")
        company, formerly, product = VENDORS[r["vendor"]]
        out.append({"match": r["match"].lower(), "exact": r["match_type"] == "exact_host",
                    "vendor": company, "formerly": formerly, "product": product,
                    "role": _role_of(r["vendor"]), "confidence": r["confidence"],
                    "hosts": r["evidence"].get("observed_hosts", 0)})
    return out


def build_oid_vendors(data: Path, rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """SM-DP+ OID prefix -> company: from the host rules whose hosts carry that prefix
    (first, highest-confidence rule), else the certificates' most frequent organisation."""
    vendors = json.loads((data / "smdp_vendors.json").read_text())
    by_prefix: dict[str, tuple[str, str | None]] = {}
    rank = {"high": 0, "medium": 1, "low": 2}
    ordered = sorted(zip(vendors["rules"], rules, strict=True),
                     key=lambda pair: rank.get(pair[0]["confidence"], 3))
    for raw, rule in ordered:
        for prefix in raw["evidence"].get("smdp_oid_prefixes", {}):
            if not prefix.startswith(TEST_OID_ARC):
                by_prefix.setdefault(prefix, (rule["vendor"], rule["formerly"]))
    out = []
    for e in vendors["smdp_oid_prefix_observed"]["entries"]:
        prefix = e["oid_prefix"]
        if prefix.startswith(TEST_OID_ARC):
            continue
        orgs = sorted(e["observed_subject_O"], key=lambda o: -e["observed_subject_O"][o])
        company, formerly = by_prefix.get(prefix, (orgs[0], None))
        out.append({"prefix": prefix, "vendor": company, "formerly": formerly,
                    "organisations": tuple(orgs)})
    return sorted(out, key=lambda e: e["prefix"])


def _conf(value: str) -> str:
    """'high (observed values)' -> 'high'."""
    word = value.split()[0]
    if word not in ("high", "medium", "low"):
        raise DataError(f"confidence {value!r}")
    return word


def _hex_code(text: str) -> int:
    return int(text, 16)


def build_rules(data: Path) -> dict[str, Any]:
    """The rules tlslens checks, each with its confidence and source keys."""
    rules = json.loads((data / "sgp22_tls_rules.json").read_text())
    ext = rules["extensions"]
    prof = rules["certificate_profiles"]["CERT.DP.TLS"]
    trust = rules["trust"]
    general = rules["general_certificate_checks_4522"]

    def rule(confidence: str, sources: list[str], **values: Any) -> dict[str, Any]:
        return {"confidence": _conf(confidence), "sources": tuple(sources), **values}

    versions = {}
    for v in rules["tls_versions"]:
        versions[v["version"]] = rule(v["confidence"], v["sources"])
    groups = [g for g in rules["named_groups"] if "iana" in g]
    sigs = [s for s in rules["signature_algorithms"] if "iana" in s]
    cert_sig = next(s for s in rules["signature_algorithms"] if "iana" not in s)
    out = {
        "tls12": rule(versions["TLS 1.2"]["confidence"], versions["TLS 1.2"]["sources"],
                      code=0x0303),
        "tls13": rule(versions["TLS 1.3"]["confidence"], versions["TLS 1.3"]["sources"],
                      code=0x0304),
        "below_tls12": versions["TLS 1.1 / 1.0 / SSL"],
        "suites_tls12": rule(
            min((s["confidence"] for s in rules["cipher_suites_tls12"]), key=_rank),
            sorted({src for s in rules["cipher_suites_tls12"] for src in s["sources"]}),
            codes=tuple(_hex_code(s["iana"]) for s in rules["cipher_suites_tls12"])),
        "suites_tls13": rule(
            rules["cipher_suites_tls13"][0]["confidence"],
            rules["cipher_suites_tls13"][0]["sources"],
            codes=tuple(_hex_code(s["iana"]) for s in rules["cipher_suites_tls13"])),
        "groups": rule(groups[0]["confidence"],
                       sorted({src for g in groups for src in g["sources"]}),
                       tls12=tuple(g["iana"] for g in groups if g["iana"] in (23, 26)),
                       tls13=tuple(g["iana"] for g in groups if g["iana"] in (23, 31))),
        "signature_schemes": rule(sigs[0]["confidence"],
                                  sorted({src for s in sigs for src in s["sources"]}),
                                  codes=tuple(_hex_code(s["iana"]) for s in sigs)),
        "certificate_signature": rule(cert_sig["confidence"], cert_sig["sources"],
                                      oid="1.2.840.10045.4.3.2"),
        "sni": rule(ext["server_name"]["confidence"], ext["server_name"]["sources"]),
        "alpn": rule(ext["alpn"]["confidence"], ext["alpn"]["sources"]),
        "resumption": rule(ext["session_resumption"]["confidence"],
                           ext["session_resumption"]["sources"]),
        "client_certificate": rule(ext["client_certificate"]["confidence"],
                                   ext["client_certificate"]["sources"]),
        "anchor": rule(trust["confidence"], trust["sources"]),
        "production_ci": rule(trust["production_ci_confidence"],
                              trust["production_ci_sources"],
                              key_ids=tuple(sorted(trust["production_ci_pkids"]))),
        "test_ci_key_ids": tuple(sorted(trust["test_ci_pkids"])),
        # "not expired" and "valid signature" are RFC 5280 path validation; SGP.22
        # 4.5.2.2 requires it (general_certificate_checks_4522). The dates are facts read
        # from the certificates, so a broken one is certain: high.
        "validity": rule("high", [*general["sources"], "rfc5280"]),
        "chain_signatures": rule("high", [*general["sources"], "rfc5280"]),
        "ci_genuine": rule("high", ["ci-index"]),
    }
    for name, key in (("key_usage", "keyUsage"), ("extended_key_usage", "extendedKeyUsage"),
                      ("policies", "certificatePolicies"), ("san", "subjectAltName"),
                      ("crl_dp", "crlDistributionPoints"), ("ski", "subjectKeyIdentifier"),
                      ("aki", "authorityKeyIdentifier"), ("basic_constraints",
                                                          "basicConstraints"),
                      ("public_key", "public_key")):
        out["cert_" + name] = rule(prof[key]["confidence"], prof[key]["sources"])
    return out


def _rank(confidence: str) -> int:
    return {"high": 2, "medium": 1, "low": 0}[_conf(confidence)]


def build_oids(data: Path) -> dict[str, Any]:
    rules = json.loads((data / "sgp22_tls_rules.json").read_text())
    oids = rules["oids"]
    roles = {k: v for k, v in oids.items() if k.startswith("2.23.146.1.2.1.")}
    return {
        "rsp_roles": roles,
        "dp_tls": ("2.23.146.1.2.1.3", "2.23.146.1.2.1.0.0.1.0"),
        "ds_tls": ("2.23.146.1.2.1.6", "2.23.146.1.2.1.0.0.2.0"),
        "test_smdp": {k: v for k, v in oids.items() if k.startswith(TEST_OID_ARC)},
    }


def build_sources(data: Path) -> dict[str, str]:
    rules = json.loads((data / "sgp22_tls_rules.json").read_text())
    sources = dict(rules["meta"]["sources"])
    sources["rfc5280"] = "RFC 5280 (X.509 path validation, 6.1)"
    return sources


def build_paths(data: Path) -> dict[str, str]:
    rules = json.loads((data / "sgp22_tls_rules.json").read_text())
    return {"es9plus": rules["interfaces"]["ES9+"]["path_prefix"], "es11": ES11_PATH_PREFIX}


# ---------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------

INPUTS = ("NOTES.md", "sgp22_tls_rules.json", "smdp_vendors.json", "ci/index.json")


def _lit(value: object, indent: str = "") -> str:
    """A Python literal, one item per line for containers that do not fit on one line
    (strings are never split, so no implicit concatenation appears)."""
    inner = indent + "    "
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f"{inner}{_lit(k)}: {_lit(v, inner)}," for k, v in value.items()]
        return "{\n" + "\n".join(items) + f"\n{indent}}}"
    if isinstance(value, (tuple, list)):
        flat = repr(tuple(value)) if isinstance(value, tuple) else repr(list(value))
        if len(flat) + len(indent) <= 80 and not any(isinstance(v, (dict, tuple, list))
                                                      for v in value):
            return flat
        o, c = ("(", ")") if isinstance(value, tuple) else ("[", "]")
        items = [f"{inner}{_lit(v, inner)}," for v in value]
        return o + "\n" + "\n".join(items) + f"\n{indent}{c}"
    return repr(value)


def _const(name: str, annotation: str, value: object) -> list[str]:
    return [f"{name}: {annotation} = {_lit(value)}", ""]


def generate(data: Path) -> str:
    host_rules = build_host_rules(data)
    out = [
        '"""eSIM (GSMA SGP.22) facts for tlslens. GENERATED, do not edit.',
        "",
        "Regenerate with: python scripts/gen_esim_data.py (sources: docs/esim.md, SOURCES).",
        "Inputs (sha256, from ../shared/data/esim):",
    ]
    for name in INPUTS:
        digest = hashlib.sha256((data / name).read_bytes()).hexdigest()
        out.append(f"  {name}\n    {digest}")
    out += ['"""', "", "# fmt: off", "from typing import Any", ""]
    out += _const("SOURCES", "dict[str, str]", build_sources(data))
    out += _const("CIS", "tuple[dict[str, Any], ...]", tuple(build_cis(data)))
    out += _const("KNOWN_CI_PREFIXES", "tuple[dict[str, Any], ...]",
                  tuple(build_known_ci_prefixes(data)))
    out += _const("HOST_RULES", "tuple[dict[str, Any], ...]", tuple(host_rules))
    out += _const("OID_VENDORS", "tuple[dict[str, Any], ...]",
                  tuple(build_oid_vendors(data, host_rules)))
    out += _const("OIDS", "dict[str, Any]", build_oids(data))
    out += _const("PATHS", "dict[str, str]", build_paths(data))
    out += _const("RULES", "dict[str, Any]", build_rules(data))
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("data", nargs="?", type=Path, default=DEFAULT_DATA)
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--check", action="store_true", help="exit 1 if the output is stale")
    args = ap.parse_args(argv)
    try:
        text = generate(args.data)
    except (DataError, OSError, KeyError, ValueError) as exc:
        print(f"gen_esim_data: {exc}", file=sys.stderr)
        return 2
    if args.check:
        current = args.out.read_text() if args.out.exists() else ""
        if current != text:
            print(f"{args.out} is stale: run scripts/gen_esim_data.py", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
