"""Fingerprints against third-party truth: tshark's JA3/JA3S and the peers' JA4 values.

Hellos are rebuilt from the tshark truth fields (/work/shared/corpus/truth/*.json), so this
checks the fingerprint rules independently of our parsers. JA4 truth comes only from the
peers in peer_expected/ (FoxIO python + rust, Zeek ja4 package, Suricata, nDPI, Arkime),
matched to a truth stream by its endpoints. Where a peer disagrees with the current FoxIO
spec, the case is listed in JA4_EXCEPTIONS / JA3_EXCEPTIONS with the reason.
Skips cleanly when the corpus folder is absent.
"""

from __future__ import annotations

import ipaddress
import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tlslens.analysis.fingerprints import client_fingerprints, server_fingerprints
from tlslens.tls.messages import ClientHello, Extension, ServerHello

CORPUS = Path(os.environ.get("TLSLENS_CORPUS",
                             Path(__file__).resolve().parents[3] / "shared" / "corpus"))
TRUTH = CORPUS / "truth"
PEERS = CORPUS / "peer_expected"

pytestmark = pytest.mark.skipif(not TRUTH.is_dir(), reason=f"no corpus at {CORPUS}")

TRANSPORT_LETTER = {"tcp": "t", "udp": "d", "quic": "q"}

# (capture, frame of the ClientHello) -> reason tshark's JA3 is not ours to match.
JA3_EXCEPTIONS: dict[tuple[str, int], str] = {
    ("ndpi__tls_invalid_reads.pcap", 4):
        "malformed hello (compression vector runs past the end): tshark stops its JA3 "
        "string after the ciphers ('769,4-...-37,'); ours always has all five fields",
}

# (capture, source, client endpoint, field) -> reason the peer disagrees with the spec.
_PY_O = ("FoxIO python reference (at the corpus commit) drops SNI/ALPN before hashing JA4_o "
         "as well, so a hello whose only extension is SNI hashes to 000000000000, while its "
         "own JA4_ro keeps '0000'. Spec: the o forms keep SNI and ALPN; ours hashes '0000' "
         "(rust and the spec's example agree with keeping them)")
_NDPI_SNI = ("nDPI (commit 3b1286ab03) writes 'd' although the hello has no server_name "
             "extension (its own risk list says 'Missing SNI TLS Extn'); spec: 'i' when the "
             "SNI extension is absent. All other characters and both hashes agree")
JA4_EXCEPTIONS: dict[tuple[str, str, str, str], str] = {
    ("ja4__socks-https-example.pcap", "ja4_python", "10.180.156.185:53554", "ja4_o"): _PY_O,
    ("ja4__socks-https-example.pcap", "ja4_python", "10.180.156.185:53555", "ja4_o"): _PY_O,
    ("ja4__socks-https-example.pcap", "ja4_python", "10.180.156.185:53556", "ja4_o"): _PY_O,
    ("ndpi__dtls_certificate_fragments.pcap", "ndpi", "10.186.198.149:39347", "ja4"):
        _NDPI_SNI,
    ("ndpi__dtls_certificate_fragments.pcap", "ndpi", "192.168.1.26:43594", "ja4"): _NDPI_SNI,
    ("ndpi__ftp-start-tls.pcap", "ndpi", "10.238.26.36:62092", "ja4"): _NDPI_SNI,
    ("ndpi__tls_port_80.pcapng", "ndpi", "57.91.202.194:50541", "ja4"): _NDPI_SNI,
}


# -- rebuilding hellos from truth ---------------------------------------------------------

def alpn_extension_data(t: dict[str, Any]) -> bytes:
    """ALPN extension_data from the truth's ``alpn_hex`` (raw bytes, also non-UTF-8)."""
    names = ([bytes.fromhex(h) for h in t["alpn_hex"]] if "alpn_hex" in t
             else [a.encode() for a in t["alpn"]])
    body = b"".join(bytes([len(n)]) + n for n in names)
    return len(body).to_bytes(2, "big") + body


def hello_from_truth(t: dict[str, Any]) -> ClientHello:
    sslv2 = bool(t.get("sslv2"))
    exts = tuple(Extension(code, alpn_extension_data(t) if code == 16 else b"")
                 for code in t["extensions"])
    return ClientHello(
        record_version=t["record_version"], legacy_version=t["legacy_version"],
        random=None if sslv2 else bytes.fromhex(t["random"]),
        legacy_session_id=bytes.fromhex(t["session_id"]),
        cipher_suites=tuple(t["cipher_specs"] if sslv2 else t["cipher_suites"]),
        compression_methods=tuple(t["compression_methods"]), extensions=exts,
        sslv2_format=sslv2, server_name=t["sni"], alpn=tuple(t["alpn"]),
        supported_groups=tuple(t["supported_groups"]),
        ec_point_formats=tuple(t["ec_point_formats"]),
        signature_algorithms=tuple(t["signature_algorithms"]),
        supported_versions=tuple(t["supported_versions"]),
    )


def server_from_truth(t: dict[str, Any]) -> ServerHello:
    sslv2 = bool(t.get("sslv2"))
    return ServerHello(
        record_version=t["record_version"], legacy_version=t["version"],
        random=None if sslv2 else bytes.fromhex(t["random"]),
        legacy_session_id=bytes.fromhex(t["session_id"]),
        cipher_suite=t["cipher_suite"], compression_method=t["compression_method"],
        extensions=tuple(Extension(code, b"") for code in t["extensions"]),
        sslv2_format=sslv2, hello_retry_request=t["is_hello_retry_request"],
    )


def truth_files() -> list[Path]:
    return sorted(TRUTH.glob("*.json")) if TRUTH.is_dir() else []


def load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text())


# -- (a) and (b): JA3 / JA3S against tshark -----------------------------------------------

@pytest.mark.parametrize("path", truth_files(), ids=lambda p: p.stem)
def test_ja3_matches_tshark(path: Path) -> None:
    truth = load(path)
    capture = truth["file"]
    for stream in truth["streams"]:
        for t in stream["client_hellos"]:
            fp = client_fingerprints(hello_from_truth(t))
            key = (capture, t["frame"])
            if t.get("sslv2"):
                assert fp.ja3 is None and fp.ja3_full is None  # as tshark: no JA3
                assert fp.ja4 is not None
                continue
            if "ja3" not in t or key in JA3_EXCEPTIONS:
                continue  # tshark gave none (malformed) or a listed exception
            assert (fp.ja3_full, fp.ja3) == (t["ja3_full"], t["ja3"]), key
        for t in stream["server_hellos"]:
            fp = server_fingerprints(server_from_truth(t))
            if t.get("sslv2"):
                assert fp.ja3s is None
                continue
            assert (fp.ja3s_full, fp.ja3s) == (t["ja3s_full"], t["ja3s"]), t["frame"]
    for key in JA3_EXCEPTIONS:
        if key[0] == capture:  # a listed exception must still be a real disagreement
            hello = next(t for s in truth["streams"] for t in s["client_hellos"]
                         if t["frame"] == key[1])
            assert client_fingerprints(hello_from_truth(hello)).ja3_full != hello["ja3_full"]


# -- (c): JA4 against the peers -----------------------------------------------------------

@dataclass(frozen=True)
class Claim:
    """One JA4 value a peer published for one ClientHello."""

    capture: str
    source: str
    a: str  # one endpoint "ip:port" (any order)
    b: str
    transport: str | None  # None when the peer does not say
    index: int  # 1 = first ClientHello of the stream, 2 = the one after a HRR, ...
    field: str  # ja4, ja4_r, ja4_o, ja4_ro
    value: str


def _ep(ip: str, port: Any) -> str:
    return f"{ipaddress.ip_address(ip)}:{int(port)}"


def _norm(ep: str) -> str:
    ip, _, port = ep.rpartition(":")
    return _ep(ip.strip("[]"), port)


def _python_claims(capture: str, rows: list[dict[str, Any]]) -> Iterator[Claim]:
    for r in rows:
        for key, value in r.items():
            head, _, n = key.partition(".")
            if head in ("JA4", "JA4_r", "JA4_o", "JA4_ro") and n.isdigit():
                yield Claim(capture, "ja4_python", _ep(r["src"], r["srcport"]),
                            _ep(r["dst"], r["dstport"]), None, int(n), head.lower(), value)


def _rust_claims(capture: str, rows: list[dict[str, Any]]) -> Iterator[Claim]:
    for r in rows:
        for field in ("ja4", "ja4_r", "ja4_o", "ja4_ro"):
            if field in r:
                yield Claim(capture, "ja4_rust", _ep(r["src"], r["src_port"]),
                            _ep(r["dst"], r["dst_port"]), r["transport"], 1, field, r[field])


def _zeek_claims(capture: str, rows: list[dict[str, Any]]) -> Iterator[Claim]:
    for r in rows:
        if r.get("ja4") not in (None, "", "-"):
            yield Claim(capture, "zeek_ja4", _ep(r["id.orig_h"], r["id.orig_p"]),
                        _ep(r["id.resp_h"], r["id.resp_p"]), None, 1, "ja4", r["ja4"])


def _ndpi_claims(capture: str, rows: list[dict[str, Any]]) -> Iterator[Claim]:
    for r in rows:
        if r.get("JA4"):
            yield Claim(capture, "ndpi", _norm(r["a"]), _norm(r["b"]), r["transport"], 1,
                        "ja4", r["JA4"])


def _arkime_claims(capture: str, rows: list[dict[str, Any]]) -> Iterator[Claim]:
    for r in rows:
        a = _ep(r["source"]["ip"], r["source"]["port"])
        b = _ep(r["destination"]["ip"], r["destination"]["port"])
        for field in ("ja4", "ja4_r"):
            for value in r.get("tls", {}).get(field, []):
                yield Claim(capture, "arkime", a, b, "tcp", 1, field, value)


def _suricata_claims(capture: str, rows: list[dict[str, Any]],
                     streams: list[dict[str, Any]]) -> Iterator[Claim]:
    # eve checks name no endpoints: they apply to the capture's only TLS connection.
    with_hello = [s for s in streams if s["client_hellos"]]
    for r in rows:
        value = r["match"].get("tls.ja4")
        if value is not None and len(with_hello) == 1:
            s = with_hello[0]
            yield Claim(capture, "suricata", _norm(s["client"]), _norm(s["server"]),
                        s["transport"], 1, "ja4", value)


def peer_claims(capture: str, streams: list[dict[str, Any]]) -> list[Claim]:
    path = PEERS / f"{capture}.json"
    if not path.is_file():
        return []
    peers = load(path)
    out: list[Claim] = []
    out += _python_claims(capture, peers.get("ja4_python", []))
    out += _rust_claims(capture, peers.get("ja4_rust", []))
    out += _zeek_claims(capture, peers.get("ja4_ssl_log", []))
    out += _ndpi_claims(capture, peers.get("ndpi_flows", []))
    out += _arkime_claims(capture, peers.get("arkime_sessions", []))
    out += _suricata_claims(capture, peers.get("suricata_eve_checks", []), streams)
    return out


def find_stream(streams: list[dict[str, Any]], claim: Claim) -> dict[str, Any] | None:
    want = {claim.a, claim.b}
    for s in streams:
        if not (s.get("client") and s.get("server")):
            continue
        if {_norm(s["client"]), _norm(s["server"])} == want and (
                claim.transport is None or claim.transport == s["transport"]
                or (claim.transport == "udp" and s["transport"] == "quic")):
            return s
    return None


def judge(claim: Claim, streams: list[dict[str, Any]]) -> tuple[str, str]:
    """('agree'|'exception'|'quic'|'unmatched'|'mismatch', detail)."""
    s = find_stream(streams, claim)
    if s is None or len(s["client_hellos"]) < claim.index:
        return "unmatched", f"{claim}"
    if s["transport"] == "quic":
        return "quic", ""
    hello = hello_from_truth(s["client_hellos"][claim.index - 1])
    ours = getattr(client_fingerprints(hello, TRANSPORT_LETTER[s["transport"]]), claim.field)
    key = (claim.capture, claim.source, _norm(s["client"]), claim.field)
    if ours == claim.value:
        assert key not in JA4_EXCEPTIONS, f"listed exception now agrees: {key}"
        return "agree", ""
    if key in JA4_EXCEPTIONS:
        return "exception", repr(key)
    return "mismatch", f"{key} #{claim.index}: ours {ours} peer {claim.value}"


def test_ja4_matches_peers(capsys: pytest.CaptureFixture[str]) -> None:
    tally: Counter[str] = Counter()
    by_source: Counter[tuple[str, str]] = Counter()
    problems: list[str] = []
    listed_seen: set[str] = set()
    for path in truth_files():
        truth = load(path)
        for claim in peer_claims(truth["file"], truth["streams"]):
            verdict, detail = judge(claim, truth["streams"])
            tally[verdict] += 1
            by_source[(claim.source, verdict)] += 1
            if verdict in ("mismatch", "unmatched"):
                problems.append(f"{verdict}: {detail}")
            elif verdict == "exception":
                listed_seen.add(detail)
    with capsys.disabled():
        print(f"\nJA4 vs peers: {tally['agree']} agree, {tally['exception']} listed "
              f"exceptions, {tally['quic']} QUIC skipped, {tally['unmatched']} unmatched, "
              f"{tally['mismatch']} mismatches; by source: {sorted(by_source.items())}")
    assert tally["agree"] > 100
    assert not problems, "\n".join(problems)
    stale = {repr(k) for k in JA4_EXCEPTIONS} - listed_seen
    assert not stale, f"listed exceptions no peer claims any more: {stale}"


def test_hellos_only_path_gives_the_full_paths_fingerprints() -> None:
    """`tlslens fingerprint` skips all but the hellos: its fingerprints must not change."""
    import tlslens
    from tlslens.pipeline import Options

    pcaps = sorted((CORPUS / "pcaps").glob("*.pcap*")) if CORPUS.is_dir() else []
    pcaps = [p for p in pcaps if not p.name.endswith(".keylog")]
    if not pcaps:
        pytest.skip("corpus absent")
    for path in pcaps:
        full = [(c.fingerprints, c.hello_fingerprints, c.server_hello_fingerprints)
                for c in tlslens.iter_connections(str(path))]
        light = [(c.fingerprints, c.hello_fingerprints, c.server_hello_fingerprints)
                 for c in tlslens.iter_connections(str(path), options=Options(hellos_only=True))]
        assert light == full, path.name
