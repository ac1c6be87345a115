"""Findings: every id triggered by a real capture, and absent on a clean one.

Sources, per id (see PRESENT):
- third-party captures in ../shared/corpus (skipped when the corpus is absent);
- the seed fixture (OpenSSL server, GnuTLS client);
- captures recorded here on 127.0.0.1 under tcpdump, between Python's ``ssl`` (OpenSSL)
  server and client, with certificates made for the case: a leaf not yet valid, a chain
  whose next certificate is not the issuer, a chain sent out of order;
- two captures built from the seed's bytes, because no stack here can produce them: a
  ServerHello choosing DEFLATE compression (OpenSSL 3 has no TLS compression) and a
  ServerKeyExchange with one byte of its signed params flipped (no honest stack signs
  wrong). These are said to be built, not recorded.
Each rule is also shown as a pure function of a hand-built connection.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
import shutil
import signal
import socket
import ssl
import subprocess
import threading
import time
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import tlslens
from tests.corpus.truth_compare import CORPUS as CORPUS_ROOT
from tlslens.analysis.findings import RULES, evaluate
from tlslens.analysis.model import Finding
from tlslens.report.i18n import Translator
from tlslens.report.messages.findings import finding_text

ROOT = Path(__file__).resolve().parents[3]
SEED = ROOT / "tests" / "fixtures" / "seed" / "seed.pcap"
CORPUS = CORPUS_ROOT / "pcaps"

#: id -> (source, connection id) where it must appear.
PRESENT: dict[str, tuple[str, int]] = {
    "handshake-failed": ("corpus:ndpi__tls_alert.pcap", 0),
    "legacy-protocol": ("corpus:zeek__tls1_1.pcap", 0),
    "weak-cipher": ("corpus:lekensteyn__ssl3-dump.pcapng", 0),
    "no-forward-secrecy": ("corpus:lekensteyn__ldap-ssl.pcapng", 0),
    "cbc-mode": ("corpus:lekensteyn__mysql-ssl.pcapng", 0),
    "md5-signature": ("corpus:lekensteyn__sslv2.pcapng", 0),
    "sha1-signature": ("corpus:ja4__socks-https-example.pcap", 0),
    "weak-key": ("corpus:lekensteyn__mysql-ssl.pcapng", 0),
    "cert-expired": ("seed", 0),
    "cert-not-yet-valid": ("loopback:not_yet_valid", 0),
    "hostname-mismatch": ("corpus:zeek__tls-early-alert.pcap", 0),
    "chain-broken": ("loopback:broken", 0),
    "chain-order": ("loopback:misordered", 0),
    "self-signed-leaf": ("corpus:lekensteyn__ldap-ssl.pcapng", 0),
    "ske-signature-invalid": ("built:bad_ske", 0),
    "no-extended-master-secret": ("seed", 0),
    "no-secure-renegotiation": ("corpus:zeek__ssl.v3.pcap", 0),
    "tls-compression": ("built:deflate", 0),
    "heartbeat-enabled": ("corpus:zeek__dhe.pcap", 0),
    "fallback-scsv": ("corpus:ndpi__tls_alert.pcap", 0),
    "downgrade-sentinel": ("corpus:suricata__tls-certs-alert.pcap", 0),
    "hello-retry": ("corpus:ja4__tls-handshake.pcapng", 38),
    "weak-offer": ("corpus:lekensteyn__ldap-ssl.pcapng", 0),
    "grease": ("corpus:ja4__browsers-x509.pcapng", 0),
    "random-not-time": ("seed", 0),
    "session-new": ("seed", 0),
    "session-resumed": ("corpus:ja4__tls3.pcapng", 4),
}
#: A clean connection for each id (a browser to a well-run server), unless listed.
CLEAN = ("loopback:clean", 0)
ABSENT: dict[str, tuple[str, int]] = {
    "grease": ("seed", 0),
    "random-not-time": ("corpus:lekensteyn__ssl3-dump.pcapng", 0),
    "session-new": ("corpus:ja4__tls3.pcapng", 4),
    "session-resumed": ("seed", 0),
}

# -- loopback recordings ------------------------------------------------------------------

NOW = dt.datetime.now(dt.UTC)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(cn: str, issuer: str, key, signer, *, ca: bool, san: str | None = None,  # type: ignore[no-untyped-def]
          nb: dt.datetime | None = None) -> x509.Certificate:
    nb = nb or NOW - dt.timedelta(days=30)
    b = (x509.CertificateBuilder().subject_name(_name(cn)).issuer_name(_name(issuer))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(nb).not_valid_after(nb + dt.timedelta(days=365))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), True)
         .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False))
    if cn != issuer:
        b = b.add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
            signer.public_key()), False)
    if san:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), False)
    return b.sign(signer, hashes.SHA256())


def _pem(*certs: x509.Certificate) -> bytes:
    return b"".join(c.public_bytes(serialization.Encoding.PEM) for c in certs)


def _chains(folder: Path) -> dict[str, tuple[Path, Path]]:
    """scenario -> (chain PEM as the server sends it, key PEM)."""
    k = {n: ec.generate_private_key(ec.SECP256R1()) for n in ("root", "inter", "leaf", "other")}
    root = _cert("Findings Root", "Findings Root", k["root"], k["root"], ca=True)
    inter = _cert("Findings Inter", "Findings Root", k["inter"], k["root"], ca=True)
    other = _cert("Unrelated CA", "Unrelated CA", k["other"], k["other"], ca=True)
    host = "findings.test"
    leaf = _cert(host, "Findings Inter", k["leaf"], k["inter"], ca=False, san=host)
    future = _cert(host, "Findings Inter", k["leaf"], k["inter"], ca=False, san=host,
                   nb=NOW + dt.timedelta(days=40))
    key = folder / "leaf.key"
    key.write_bytes(k["leaf"].private_bytes(serialization.Encoding.PEM,
                                            serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
    out = {}
    for name_, certs in {"clean": (leaf, inter, root), "not_yet_valid": (future, inter, root),
                         "broken": (leaf, other), "misordered": (leaf, root, inter)}.items():
        p = folder / f"{name_}.pem"
        p.write_bytes(_pem(*certs))
        out[name_] = (p, key)
    return out


def _handshake(chain: Path, key: Path) -> int:
    """One TLS 1.2 connection (certificates visible) between Python ssl peers; its port."""
    sctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    sctx.maximum_version = ssl.TLSVersion.TLSv1_2
    sctx.load_cert_chain(str(chain), str(key))
    cctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    cctx.check_hostname = False
    cctx.verify_mode = ssl.CERT_NONE
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with sctx.wrap_socket(conn, server_side=True) as tls:
            tls.recv(16)
            tls.sendall(b"pong")

    th = threading.Thread(target=serve)
    th.start()
    with socket.create_connection(("127.0.0.1", port)) as raw, \
            cctx.wrap_socket(raw, server_hostname="findings.test") as tls:
        tls.sendall(b"ping")
        tls.recv(16)
    th.join(10)
    listener.close()
    return port


@pytest.fixture(scope="module")
def loopback(tmp_path_factory) -> dict[str, Path]:  # type: ignore[no-untyped-def]
    """One capture per scenario, recorded with tcpdump on lo (root only)."""
    if shutil.which("tcpdump") is None or os.geteuid() != 0:
        pytest.skip("needs tcpdump and root to record on loopback")
    folder = tmp_path_factory.mktemp("loopback")
    chains = _chains(folder)
    pcap = folder / "all.pcap"
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "--immediate-mode", "-Z", "root",
                             "-w", str(pcap), "tcp"], stderr=subprocess.PIPE)
    assert dump.stderr is not None
    line = dump.stderr.readline().decode()
    assert "listening" in line, line
    ports = {}
    try:
        for scenario, (chain, key) in chains.items():
            ports[scenario] = _handshake(chain, key)
        time.sleep(0.3)
    finally:
        dump.send_signal(signal.SIGINT)
        dump.wait(10)
    return {"all": pcap, **{s: p for s, p in ports.items()}}  # type: ignore[dict-item]


# -- built captures (from the seed's bytes) -----------------------------------------------

def _built(kind: str, folder: Path) -> Path:
    data = bytearray(SEED.read_bytes())
    seed = tlslens.analyze(str(SEED)).connections[0]
    if kind == "bad_ske":
        # One byte of the ECDHE public key inside the signed params.
        key = seed.server_key_exchange.public_key
        at = data.find(key)
        assert at > 0 and data.count(key) == 1
        data[at + 5] ^= 0x01
    else:  # deflate: ServerHello random, session id, suite, then compression_method
        sh = seed.server_hellos[0].hello
        at = data.find(sh.random)
        assert at > 0
        comp = at + 32 + 1 + len(sh.legacy_session_id) + 2
        assert data[comp] == 0
        data[comp] = 1
    out = folder / f"{kind}.pcap"
    out.write_bytes(bytes(data))
    return out


_CACHE: dict[str, tlslens.AnalysisResult] = {}  # type: ignore[name-defined]


def connection(source: str, conn_id: int, request) -> tlslens.TlsConnection:  # type: ignore[name-defined,no-untyped-def]
    if source == "seed":
        path = SEED
    elif source.startswith("corpus:"):
        path = CORPUS / source.split(":", 1)[1]
        if not path.exists():
            pytest.skip(f"corpus capture {path.name} not present")
    elif source.startswith("built:"):
        path = _built(source.split(":", 1)[1], request.getfixturevalue("tmp_path"))
    else:
        rec = request.getfixturevalue("loopback")
        path = rec["all"]
        port = rec[source.split(":", 1)[1]]
        result = _CACHE.get(str(path)) or tlslens.analyze(str(path))
        _CACHE[str(path)] = result
        matches = [c for c in result.connections if c.server.port == port]
        assert len(matches) == 1
        return matches[0]
    key = str(path)
    if key not in _CACHE:
        _CACHE[key] = tlslens.analyze(key)
    return _CACHE[key].connections[conn_id]


def ids(c) -> set[str]:  # type: ignore[no-untyped-def]
    return {f.id for f in c.findings}


def test_table_covers_every_rule() -> None:
    assert set(PRESENT) == {r.id for r in RULES}
    assert len({r.id for r in RULES}) == len(RULES)


@pytest.mark.parametrize("finding_id", sorted(PRESENT))
def test_triggered_by_a_real_capture(finding_id: str, request) -> None:  # type: ignore[no-untyped-def]
    c = connection(*PRESENT[finding_id], request)
    assert finding_id in ids(c), sorted(ids(c))


@pytest.mark.parametrize("finding_id", sorted(PRESENT))
def test_absent_on_a_clean_connection(finding_id: str, request) -> None:  # type: ignore[no-untyped-def]
    c = connection(*ABSENT.get(finding_id, CLEAN), request)
    assert finding_id not in ids(c), sorted(ids(c))


def test_clean_loopback_connection_is_good(request) -> None:  # type: ignore[no-untyped-def]
    c = connection(*CLEAN, request)
    assert c.server_key_exchange_valid is True and c.hostname_match is True
    assert {f.severity for f in c.findings} <= {"info"}, c.findings
    assert c.verdict.level == "good"


def test_seed_findings_are_the_articles_corrections() -> None:
    c = tlslens.analyze(str(SEED)).connections[0]
    own = {f.id for f in c.findings if f.id in PRESENT}
    assert own == {"cert-expired", "no-extended-master-secret", "random-not-time",
                   "session-new"}
    expired = next(f for f in c.findings if f.id == "cert-expired")
    assert expired.severity == "high"
    title, detail = finding_text(expired, Translator("en"))
    assert "GEMALTO SA" in title and "certificate 1" in title
    assert "intermediate" in detail and "2022-08-24" in detail
    assert "4 years 3 months before the capture (2026-11-25)" in detail
    assert "session-resumed" not in ids(c)


def test_built_captures_say_what_changed(request) -> None:  # type: ignore[no-untyped-def]
    bad = connection("built:bad_ske", 0, request)
    assert bad.server_key_exchange_valid is False
    assert next(f for f in bad.findings if f.id == "ske-signature-invalid").severity \
        == "critical"
    assert bad.verdict.level == "insecure"
    deflate = connection("built:deflate", 0, request)
    f = next(f for f in deflate.findings if f.id == "tls-compression")
    assert dict(f.params)["method"] == "DEFLATE"


def test_loopback_details(request) -> None:  # type: ignore[no-untyped-def]
    t = Translator("en")
    nyv = connection("loopback:not_yet_valid", 0, request)
    f = next(f for f in nyv.findings if f.id == "cert-not-yet-valid")
    detail = finding_text(f, t)[1]
    assert "1 months" in detail and "days after the capture" in detail, detail
    broken = connection("loopback:broken", 0, request)
    assert broken.chain[0].name_chained is False
    order = connection("loopback:misordered", 0, request)
    assert order.chain[0].out_of_order and order.chain[0].issuer_index == 2
    assert "chain-broken" not in ids(order)


def test_handshake_failed_names_who_and_why(request) -> None:  # type: ignore[no-untyped-def]
    c = connection("corpus:ndpi__tls_alert.pcap", 0, request)
    f = next(f for f in c.findings if f.id == "handshake-failed")
    detail = finding_text(f, Translator("en"))[1]
    assert "sent the fatal alert" in detail and "likely cause" in detail
    assert c.verdict.level == "failed"


# -- rules as pure functions of hand-built connections ------------------------------------

@pytest.fixture(scope="module")
def seed_conn():  # type: ignore[no-untyped-def]
    return tlslens.analyze(str(SEED)).connections[0]


@pytest.mark.parametrize(("change", "expected", "severity"), [
    ({"version": 0x0300}, "legacy-protocol", "critical"),
    ({"version": 0x0301}, "legacy-protocol", "high"),
    ({"cipher_suite": 0x0004}, "weak-cipher", "high"),        # RC4_128_MD5
    ({"cipher_suite": 0x0003}, "weak-cipher", "critical"),    # EXPORT
    ({"cipher_suite": 0x000A}, "weak-cipher", "medium"),      # 3DES
    ({"cipher_suite": 0x009D}, "no-forward-secrecy", "medium"),
    ({"cipher_suite": 0xC00A}, "cbc-mode", "low"),
    ({"hostname_match": False}, "hostname-mismatch", "high"),
    ({"server_key_exchange_valid": False}, "ske-signature-invalid", "critical"),
    ({"resumed": True}, "session-resumed", "info"),
    ({"state": "failed"}, "handshake-failed", "medium"),
])
def test_rules_on_hand_built_connections(seed_conn, change, expected, severity) -> None:  # type: ignore[no-untyped-def]
    c = dataclasses.replace(seed_conn, **change)
    found = [f for f in evaluate(c) if f.id == expected]
    assert found and found[0].severity == severity
    assert expected not in {f.id for f in evaluate(seed_conn)}


def test_cbc_with_encrypt_then_mac_is_not_flagged(seed_conn) -> None:  # type: ignore[no-untyped-def]
    from tlslens.tls import messages as m

    h = seed_conn.server_hellos[0]
    sh = dataclasses.replace(h.hello, extensions=h.hello.extensions + (m.Extension(22, b""),))
    c = dataclasses.replace(seed_conn, cipher_suite=0xC00A,
                            server_hellos=(dataclasses.replace(h, hello=sh),))
    assert "cbc-mode" not in {f.id for f in evaluate(c)}


def test_findings_made_elsewhere_keep_their_words() -> None:
    f = Finding("some-profile-check", "low", "English title", "English detail")
    assert finding_text(f, Translator("zh")) == ("English title", "English detail")


def test_capture_day_is_the_datetime_day_everywhere() -> None:
    """random-not-time names the capture's day without a datetime per connection
    (findings._capture_day): the same text as _day(_at(c)), at midnight's edges too."""
    import random as _random

    from tlslens.analysis import findings as fmod

    rng = _random.Random(1)
    values = [0, 1, 86_399 * 10**9, 86_400 * 10**9 - 1, 86_400 * 10**9, 10**18,
              253_402_214_399 * 10**9, 253_402_214_400 * 10**9 - 1, -1, -(10**12)]
    values += [rng.randrange(0, 253_402_300_000 * 10**9) for _ in range(5000)]
    values += [d * 86_400 * 10**9 + off for d in (0, 1, 20_000, 20_412)
               for off in (-2 * 10**9, -(10**9), -1, 0, 1, 10**9 - 1, 10**9, 2 * 10**9)]
    for ns in values:
        try:
            expected: object = fmod._day(fmod._dt.datetime.fromtimestamp(ns / 1e9,
                                                                         fmod._dt.UTC))
        except (OverflowError, ValueError, OSError) as exc:
            expected = type(exc)
        try:
            got: object = fmod._capture_day(ns)
        except (OverflowError, ValueError, OSError) as exc:
            got = type(exc)
        assert got == expected, ns


def test_random_day_is_the_datetime_day() -> None:
    """random-not-time reads the random's first four bytes as a UTC day (findings._gmt,
    a date from the day number): the datetime's own ``%Y-%m-%d`` for every 32-bit value,
    the ends included."""
    import datetime as _dt
    import random as _random

    from tlslens.analysis import findings as fmod

    rng = _random.Random(2)
    values = [0, 1, 86_399, 86_400, 2**31 - 1, 2**31, 2**32 - 1]
    values += [rng.getrandbits(32) for _ in range(20_000)]
    for secs in values:
        expected = _dt.datetime.fromtimestamp(secs, _dt.UTC).strftime("%Y-%m-%d")
        assert fmod._gmt(secs.to_bytes(4, "big") + bytes(28)) == expected, secs


def test_rules_that_need_certificates_find_nothing_without_them() -> None:
    """evaluate() skips the rules marked ``needs_certificates`` where the capture shows
    no certificate, chain, ServerKeyExchange or verification: on every fixture and
    corpus connection, asking every rule everywhere finds the same findings, and a
    skipped rule finds nothing where it is skipped (the rules read only those fields)."""
    from tests.corpus.truth_compare import corpus_captures
    from tlslens.analysis.findings import has_certificate_facts

    marked = [r for r in RULES if r.needs_certificates]
    assert len(marked) >= 10
    everywhere = tuple(dataclasses.replace(r, needs_certificates=False) for r in RULES)
    captures = sorted((ROOT / "tests" / "fixtures").rglob("*.pcap*")) + corpus_captures()
    skipped = asked = 0
    for capture in captures:
        for conn in tlslens.analyze(str(capture)).connections:
            assert evaluate(conn) == evaluate(conn, everywhere), (capture.name, conn.id)
            if not has_certificate_facts(conn):
                skipped += 1
                assert all(not list(r.check(conn)) for r in marked), (capture.name, conn.id)
            else:
                asked += 1
    assert skipped >= 5 and asked >= 5  # both kinds were there
