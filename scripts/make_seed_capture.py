#!/usr/bin/env python3
"""Record tests/fixtures/seed/: a real capture that reproduces the seed's TLS handshake.

The seed article analyses one TLS 1.2 handshake between an eSIM LPA and the SM-DP+
``rakuten.prod.ondemandconnectivity.com``. We cannot ship that capture, so this script
re-enacts it with real TLS stacks on loopback under tcpdump:

* client (the LPA): GnuTLS ``gnutls-cli``, the only stack here that offers exactly the
  seed's 14 suites with record version 0x0303 (OpenSSL adds the SCSV);
* server (the SM-DP+): OpenSSL 3 through Python's ``ssl``, capped at TLS 1.2 so its random
  carries no RFC 8446 downgrade sentinel, with tickets and extended master secret off so
  ServerHello carries exactly renegotiation_info, ec_point_formats and ALPN;
* a 3-certificate ECDSA P-256 chain named as in the seed, built here with
  ``cryptography`` under a root key of our own (the root only borrows the GSMA name; its
  private key lives in memory and is gone when the script ends);
* one ES9+ ``initiateAuthentication`` POST and its 200 answer inside the tunnel, with the
  key log committed next to the capture so the HTTP layer can be decrypted.

As root, the peers run in a private network namespace (``unshare --net``) whose loopback
has a 1500-byte MTU and no segmentation offload, so the capture has wire-sized TCP
segments (the Certificate flight spans several) and port 443 is ours alone.

After recording, :func:`verify` asks tshark for every promised fact; the script exits
non-zero if one is missing. Run it from the repository root:

    python scripts/make_seed_capture.py            # writes tests/fixtures/seed/seed.{pcap,keylog}

Library use (e.g. a benchmark generator): ``build_seed_chain(tmpdir)`` and
``record(capture_path, keylog_path, port=...)``.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import NamedTuple, Self

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

SNI = "rakuten.prod.ondemandconnectivity.com"
ES9_PATH = "/gsma/rsp2/es9plus/initiateAuthentication"
ADMIN_PROTOCOL = "gsma/rsp/v2.2.0"
DEFAULT_OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "seed"

#: GnuTLS priority giving the seed's ClientHello (TLS 1.2 only, 14 suites, ECDHE +
#: AES-256-GCM first, groups x25519/secp256r1/secp384r1); see shared notes/making-captures.md.
GNUTLS_PRIORITY = (
    "NONE:+VERS-TLS1.2:+ECDHE-ECDSA:+ECDHE-RSA:+RSA:+AES-256-GCM:+AES-128-GCM:"
    "+CHACHA20-POLY1305:+AES-256-CBC:+AES-128-CBC:+AEAD:+SHA1:+COMP-NULL:"
    "+SIGN-ECDSA-SHA256:+SIGN-RSA-PSS-RSAE-SHA256:+SIGN-RSA-SHA256:+SIGN-ECDSA-SHA384:"
    "+SIGN-RSA-PSS-RSAE-SHA384:+SIGN-RSA-SHA384:+SIGN-RSA-PSS-RSAE-SHA512:+SIGN-RSA-SHA512:"
    "+GROUP-X25519:+GROUP-SECP256R1:+GROUP-SECP384R1:%NO_TICKETS"
)

#: OpenSSL 3.0 SSL_OP_NO_EXTENDED_MASTER_SECRET; Python 3.11's ssl has no name for it.
OP_NO_EXTENDED_MASTER_SECRET = 0x1


# --- names, OIDs and dates of the chain ------------------------------------------------
def _name(*attributes: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    """A name in PrintableString, as the real RSP2 Root CI1 spells its own (cryptography
    would pick UTF8String; a decoder must meet both, and the fixture shows the real one)."""
    return x509.Name(
        [
            x509.NameAttribute(oid, value, _type=_ASN1Type.PrintableString)
            for oid, value in attributes
        ]
    )


C, O, CN = NameOID.COUNTRY_NAME, NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME
ROOT_NAME = _name((O, "GSM Association"), (CN, "GSM Association - RSP2 Root CI1"))
SUBCA_NAME = _name((C, "FR"), (O, "GEMALTO SA"), (CN, "GEMALTO SA"))
LEAF_NAME = _name((C, "FR"), (O, "THALES SA"), (CN, SNI))
DPAUTH_NAME = _name((C, "FR"), (O, "THALES SA"), (CN, "THALES SMDPP"))
ROOT_CI_OID = x509.ObjectIdentifier("1.3.6.1.4.1.46304")  # the real CI1's SAN registeredID
#: SM-DP+ OID under Thales's arc, as rakuten's CERT.DPauth carries (shared smdp_hosts_observed).
SMDP_OID = x509.ObjectIdentifier("1.3.6.1.4.1.31746.1.220.100.101.2")
POLICY_CI = x509.ObjectIdentifier("2.23.146.1.2.1.0")  # id-rspRole-ci
POLICY_DP_TLS = x509.ObjectIdentifier("2.23.146.1.2.1.3")  # id-rspRole-dp-tls (v2)
POLICY_DP_AUTH = x509.ObjectIdentifier("2.23.146.1.2.1.4")  # id-rspRole-dp-auth (v2)
ROOT_CRL = "http://gsma-crl.symauth.com/offlineca/gsma-rsp2-root-ci1.crl"
SUBCA_CRL = "http://crl.gemalto-sa.example/rsp2-dp-tls.crl"  # invented: .example on purpose


def _utc(year: int, month: int, day: int, end_of_day: bool = False) -> dt.datetime:
    if end_of_day:
        return dt.datetime(year, month, day, 23, 59, 59, tzinfo=dt.UTC)
    return dt.datetime(year, month, day, tzinfo=dt.UTC)


ROOT_VALIDITY = (_utc(2017, 2, 22), _utc(2052, 2, 21, True))
#: expired at capture time: the fact the seed article missed.
SUBCA_VALIDITY = (_utc(2017, 8, 25), _utc(2022, 8, 24, True))
#: issued while the sub-CA was valid, outlives it (so only the intermediate is expired).
LEAF_VALIDITY = (_utc(2022, 2, 24), _utc(2032, 2, 23, True))
DPAUTH_VALIDITY = (_utc(2024, 9, 26), _utc(2027, 9, 25, True))


class SeedChain(NamedTuple):
    """What :func:`build_seed_chain` made. Paths point into the caller's tmpdir."""

    chain_pem: Path  # leaf, intermediate, root: what the server sends, in that order
    leaf_key_pem: Path
    root_pem: Path  # trust anchor for the client (certificate only)
    certs: tuple[x509.Certificate, x509.Certificate, x509.Certificate]
    dpauth_cert: x509.Certificate  # CERT.DPauth for the ES9+ answer (issued by the root)
    dpauth_key: ec.EllipticCurvePrivateKey


def _issue(
    subject: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    validity: tuple[dt.datetime, dt.datetime],
    extensions: list[tuple[x509.ExtensionType, bool]],
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(validity[0])
        .not_valid_after(validity[1])
    )
    for ext, critical in extensions:
        builder = builder.add_extension(ext, critical=critical)
    return builder.sign(issuer_key, hashes.SHA256())


def _key_usage(digital_signature: bool = False, ca: bool = False) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _crl_dp(uri: str) -> x509.CRLDistributionPoints:
    point = x509.DistributionPoint([x509.UniformResourceIdentifier(uri)], None, None, None)
    return x509.CRLDistributionPoints([point])


def _policies(oid: x509.ObjectIdentifier) -> x509.CertificatePolicies:
    return x509.CertificatePolicies([x509.PolicyInformation(oid, None)])


def _ski(key: ec.EllipticCurvePrivateKey) -> x509.SubjectKeyIdentifier:
    # SHA-1 of the public point, as every GSMA CI SKI is (RFC 6066 key_sha1_hash).
    return x509.SubjectKeyIdentifier.from_public_key(key.public_key())


def _aki(issuer_key: ec.EllipticCurvePrivateKey) -> x509.AuthorityKeyIdentifier:
    return x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(_ski(issuer_key))


def build_seed_chain(tmpdir: Path) -> SeedChain:
    """Make the seed's chain (all ECDSA P-256, ecdsa-with-SHA256) and write PEMs to tmpdir.

    Profiles follow the shared eSIM notes: the root mirrors the real RSP2 Root CI1 (SKI
    only, critical CA policy, SAN registeredID); the leaf follows SGP.26's CERT.DP.TLS
    (critical digitalSignature, critical serverAuth+clientAuth, dp-tls policy, SAN
    dNSName + SM-DP+ OID, no basicConstraints). The root key is never written to disk.
    """
    tmpdir = Path(tmpdir)
    curve = ec.SECP256R1()
    root_key, subca_key, leaf_key, dpauth_key = (ec.generate_private_key(curve) for _ in range(4))
    root = _issue(
        ROOT_NAME,
        root_key.public_key(),
        ROOT_NAME,
        root_key,
        ROOT_VALIDITY,
        [
            (_key_usage(ca=True), True),
            (x509.BasicConstraints(ca=True, path_length=None), True),
            (x509.SubjectAlternativeName([x509.RegisteredID(ROOT_CI_OID)]), False),
            (_policies(POLICY_CI), True),
            (_crl_dp(ROOT_CRL), False),
            (_ski(root_key), False),
        ],
    )
    subca = _issue(
        SUBCA_NAME,
        subca_key.public_key(),
        ROOT_NAME,
        root_key,
        SUBCA_VALIDITY,
        [
            (_key_usage(ca=True), True),
            (x509.BasicConstraints(ca=True, path_length=0), True),
            (_crl_dp(ROOT_CRL), False),
            (_ski(subca_key), False),
            (_aki(root_key), False),
        ],
    )
    leaf = _issue(
        LEAF_NAME,
        leaf_key.public_key(),
        SUBCA_NAME,
        subca_key,
        LEAF_VALIDITY,
        [
            (_key_usage(digital_signature=True), True),
            (
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                True,
            ),
            (_policies(POLICY_DP_TLS), False),
            (x509.SubjectAlternativeName([x509.DNSName(SNI), x509.RegisteredID(SMDP_OID)]), False),
            (_crl_dp(SUBCA_CRL), False),
            (_ski(leaf_key), False),
            (_aki(subca_key), False),
        ],
    )
    dpauth = _issue(
        DPAUTH_NAME,
        dpauth_key.public_key(),
        ROOT_NAME,
        root_key,
        DPAUTH_VALIDITY,
        [
            (_key_usage(digital_signature=True), True),
            (_policies(POLICY_DP_AUTH), True),
            (x509.SubjectAlternativeName([x509.RegisteredID(SMDP_OID)]), False),
            (_crl_dp(ROOT_CRL), False),
            (_ski(dpauth_key), False),
            (_aki(root_key), False),
        ],
    )
    pem = serialization.Encoding.PEM
    chain_pem = tmpdir / "chain.pem"
    chain_pem.write_bytes(b"".join(c.public_bytes(pem) for c in (leaf, subca, root)))
    leaf_key_pem = tmpdir / "leaf.key"
    leaf_key_pem.write_bytes(
        leaf_key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    root_pem = tmpdir / "root.pem"
    root_pem.write_bytes(root.public_bytes(pem))
    return SeedChain(chain_pem, leaf_key_pem, root_pem, (leaf, subca, root), dpauth, dpauth_key)


# --- the ES9+ exchange -------------------------------------------------------------------
def _tlv(tag: bytes, value: bytes) -> bytes:
    """DER tag-length-value (definite length)."""
    n = len(value)
    if n < 0x80:
        return tag + bytes([n]) + value
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return tag + bytes([0x80 | len(body)]) + body + value


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _ci_pkid(chain: SeedChain) -> bytes:
    root = chain.certs[2]
    return root.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value.digest


def es9_request(chain: SeedChain, euicc_challenge: bytes) -> bytes:
    """The LPA's initiateAuthentication POST (SGP.22 v2 JSON binding), as sent on the wire."""
    pkid_list = _tlv(b"\x04", _ci_pkid(chain))
    euicc_info1 = _tlv(
        b"\xbf\x20",
        _tlv(b"\x82", b"\x02\x02\x00")  # svn 2.2.0
        + _tlv(b"\xa9", pkid_list)  # CI PKIds for verification
        + _tlv(b"\xaa", pkid_list),
    )  # CI PKIds for signing
    body = json.dumps(
        {
            "euiccChallenge": _b64(euicc_challenge),
            "euiccInfo1": _b64(euicc_info1),
            "smdpAddress": SNI,
        },
        separators=(",", ":"),
    ).encode()
    head = (
        f"POST {ES9_PATH} HTTP/1.1\r\nHost: {SNI}\r\nUser-Agent: gsma-rsp-lpad\r\n"
        f"X-Admin-Protocol: {ADMIN_PROTOCOL}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def es9_response(chain: SeedChain, euicc_challenge: bytes) -> bytes:
    """The SM-DP+'s 200 answer: serverSigned1 really signed by the CERT.DPauth key."""
    transaction_id = os.urandom(16)
    server_signed1 = _tlv(
        b"\x30",
        _tlv(b"\x80", transaction_id)
        + _tlv(b"\x81", euicc_challenge)
        + _tlv(b"\x83", SNI.encode())
        + _tlv(b"\x84", os.urandom(16)),
    )
    der_sig = chain.dpauth_key.sign(server_signed1, ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der_sig)
    body = json.dumps(
        {
            "header": {"functionExecutionStatus": {"status": "Executed-Success"}},
            "transactionId": transaction_id.hex().upper(),
            "serverSigned1": _b64(server_signed1),
            "serverSignature1": _b64(
                _tlv(b"\x5f\x37", r.to_bytes(32, "big") + s.to_bytes(32, "big"))
            ),
            "euiccCiPKIdToBeUsed": _b64(_tlv(b"\x04", _ci_pkid(chain))),
            "serverCertificate": _b64(chain.dpauth_cert.public_bytes(serialization.Encoding.DER)),
        },
        separators=(",", ":"),
    ).encode()
    head = (
        f"HTTP/1.1 200 OK\r\nX-Admin-Protocol: {ADMIN_PROTOCOL}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


def _http_complete(buf: bytes) -> bool:
    """True once buf holds a whole HTTP/1.1 message framed by Content-Length."""
    head, sep, body = buf.partition(b"\r\n\r\n")
    if not sep:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value)
    return True


# --- the peers -----------------------------------------------------------------------------
def server_context(chain: SeedChain, keylog: Path) -> ssl.SSLContext:
    """OpenSSL 3 configured so that ServerHello matches the seed (notes: making-captures)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2  # no DOWNGRD sentinel in the random
    ctx.set_ciphers("ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES128-GCM-SHA256")
    ctx.options |= ssl.OP_NO_TICKET | ssl.OP_CIPHER_SERVER_PREFERENCE
    ctx.options |= OP_NO_EXTENDED_MASTER_SECRET
    ctx.set_alpn_protocols(["http/1.1"])
    ctx.load_cert_chain(chain.chain_pem, chain.leaf_key_pem)
    ctx.keylog_filename = str(keylog)
    return ctx


class _Server(threading.Thread):
    """Serves exactly one connection: one request, one response, then a clean close."""

    def __init__(self, listener: socket.socket, ctx: ssl.SSLContext, chain: SeedChain):
        super().__init__(daemon=True)
        self.listener, self.ctx, self.chain = listener, ctx, chain
        self.request = b""
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            conn, _ = self.listener.accept()
            conn.settimeout(20)
            tls = self.ctx.wrap_socket(conn, server_side=True)
            while not _http_complete(self.request):
                data = tls.recv(65536)
                if not data:
                    raise ConnectionError("client closed before a whole request")
                self.request += data
            challenge = base64.b64decode(
                json.loads(self.request.partition(b"\r\n\r\n")[2])["euiccChallenge"]
            )
            tls.sendall(es9_response(self.chain, challenge))
            while tls.recv(65536):  # until the client's close_notify
                pass
            try:
                tls.unwrap()  # answer with our close_notify
            except OSError:
                pass  # the client may already be gone: only the capture's tail differs
            conn.close()
        except (OSError, ValueError, KeyError) as exc:  # reported by record()
            self.error = exc


def _run_client(port: int, chain: SeedChain, request: bytes, keylog: Path, log: Path) -> bytes:
    """Run gnutls-cli, send the POST, keep stdin open until the whole answer is back."""
    cmd = [
        "gnutls-cli",
        f"--priority={GNUTLS_PRIORITY}",
        f"--sni-hostname={SNI}",
        f"--verify-hostname={SNI}",
        "--alpn=http/1.1",
        f"--x509cafile={chain.root_pem}",
        # the intermediate is expired (the seed's point), so validation must not abort
        "--insecure",
        f"--logfile={log}",
        "-p",
        str(port),
        "127.0.0.1",
    ]
    env = dict(os.environ, SSLKEYLOGFILE=str(keylog))
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(request)
    proc.stdin.flush()
    answer, deadline = b"", time.monotonic() + 20
    while not _http_complete(answer) and time.monotonic() < deadline:
        ready, _, _ = select.select([proc.stdout], [], [], 0.5)
        if ready:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            answer += chunk
    proc.stdin.close()  # EOF: gnutls-cli sends close_notify and exits
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    return answer


class Tcpdump:
    """tcpdump with the settings that lose no packets (notes: making-captures)."""

    def __init__(self, path: Path, port: int):
        opts = ["-i", "lo", "-U", "--immediate-mode", "-Z", "root", "-w"]
        self.cmd = ["tcpdump", *opts, str(path), f"tcp port {port}"]
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert self.proc.stderr is not None
        seen = b""
        while b"listening on" not in seen:
            line = self.proc.stderr.readline()
            if not line:
                raise RuntimeError(f"tcpdump did not start: {seen.decode(errors='replace')}")
            seen += line
        return self

    def __exit__(self, *exc: object) -> None:
        assert self.proc is not None
        time.sleep(0.3)  # let the last FIN/ACK pass through
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(10)


def _bring_up_private_loopback() -> None:
    """Inside a fresh network namespace: lo up, wire MTU, no offloads (real segments)."""
    subprocess.run(["ip", "link", "set", "lo", "mtu", "1500", "up"], check=True)
    subprocess.run(
        ["ethtool", "-K", "lo", "tso", "off", "gso", "off", "gro", "off"],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _record_here(capture_path: Path, keylog_path: Path, port: int) -> None:
    with tempfile.TemporaryDirectory(prefix="tlslens-seed-") as tmp:
        tmpdir = Path(tmp)
        chain = build_seed_chain(tmpdir)
        server_keylog = tmpdir / "server.keylog"
        ctx = server_context(chain, server_keylog)
        listener = socket.create_server(("127.0.0.1", port))
        listener.settimeout(20)  # accept() must not outlive a client that never came
        server = _Server(listener, ctx, chain)
        request = es9_request(chain, os.urandom(16))
        keylog_path.unlink(missing_ok=True)
        with Tcpdump(capture_path, port):
            server.start()
            answer = _run_client(port, chain, request, keylog_path, tmpdir / "gnutls-cli.log")
            server.join(20)
        listener.close()
        _check_run(server, request, answer, tmpdir / "gnutls-cli.log", keylog_path, server_keylog)


def _check_run(
    server: _Server, request: bytes, answer: bytes, gnutls_log: Path, keylog: Path, server_log: Path
) -> None:
    """Both peers did what the fixture promises, and a real stack judged the chain as we meant."""
    if server.error is not None or server.is_alive():
        raise RuntimeError(f"server failed: {server.error!r}")
    if server.request != request:
        raise RuntimeError("the server did not receive the request byte for byte")
    if not answer.startswith(b"HTTP/1.1 200 OK\r\n") or not _http_complete(answer):
        raise RuntimeError(f"client got no whole 200 answer: {answer[:200]!r}")
    verdict = gnutls_log.read_text()
    if "expired" not in verdict or "does not match" in verdict:
        raise RuntimeError(f"GnuTLS should reject the chain for expiry only: {verdict}")
    client_lines = _keylog_lines(keylog)
    if not client_lines or client_lines != _keylog_lines(server_log):
        raise RuntimeError("client and server key logs disagree")


def _keylog_lines(path: Path) -> list[str]:
    lines = path.read_text().splitlines() if path.exists() else []
    return [line for line in lines if line and not line.startswith("#")]


def record(
    capture_path: Path, keylog_path: Path, port: int = 443, isolate: bool | None = None
) -> None:
    """Record one seed-like connection into capture_path, its key log into keylog_path.

    isolate=None means: use a private network namespace when we can (root + unshare);
    that gives 1500-byte segments and a port nobody else uses. Raises on any failure.
    """
    capture_path, keylog_path = Path(capture_path).resolve(), Path(keylog_path).resolve()
    if isolate is None:
        isolate = os.geteuid() == 0 and shutil.which("unshare") is not None
    if not isolate:
        _record_here(capture_path, keylog_path, port)
        return
    cmd = [
        "unshare",
        "--net",
        "--",
        sys.executable,
        str(Path(__file__).resolve()),
        "--in-private-netns",
        "--port",
        str(port),
        "--out",
        str(capture_path.parent),
        "--capture-name",
        capture_path.name,
        "--keylog-name",
        keylog_path.name,
    ]
    subprocess.run(cmd, check=True)


# --- checking the result with tshark ------------------------------------------------------
def _tshark(
    capture: Path, port: int, display_filter: str, fields: list[str], keylog: Path | None = None
) -> list[list[str]]:
    cmd = [
        "tshark",
        "-n",
        "-r",
        str(capture),
        "-d",
        f"tcp.port=={port},tls",
        "-Y",
        display_filter,
        "-T",
        "fields",
        "-E",
        "separator=\t",
    ]
    if keylog is not None:
        cmd += ["-o", f"tls.keylog_file:{keylog}"]
    for field in fields:
        cmd += ["-e", field]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return [line.split("\t") for line in out.splitlines()]


def _one(rows: list[list[str]]) -> list[str]:
    if len(rows) != 1:
        raise AssertionError(f"expected one matching frame, got {len(rows)}")
    return rows[0]


#: What the capture must show (tshark's spelling). verify() and the fixture test use it.
EXPECTED: dict[str, object] = {
    "client_suite_count": 14,
    "first_client_suite": "0xc02c",
    "sni": SNI,
    "client_alpn": "http/1.1",
    "client_groups": "0x001d,0x0017,0x0018",  # x25519, secp256r1, secp384r1
    "server_suite": "0xc02c",  # TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384
    "session_id_length": "32",
    "server_extensions": "65281,11,16",  # renegotiation_info, ec_point_formats, ALPN
    "server_point_formats": "0,1,2",
    "server_alpn": "http/1.1",
    "downgrade_sentinel": False,
    "certificate_count": 3,
    "named_curve": "0x001d",
    "ske_signature": "0x0403",  # ecdsa_secp256r1_sha256
    "http": [["POST", ES9_PATH, ""], ["", "", "200"]],
}


def observed_facts(capture: Path, keylog: Path, port: int = 443) -> dict[str, object]:
    """Read the EXPECTED facts from a capture with tshark (the key log decrypts HTTP)."""
    ch = _one(
        _tshark(
            capture,
            port,
            "tls.handshake.type == 1",
            [
                "tls.handshake.ciphersuite",
                "tls.handshake.extensions_server_name",
                "tls.handshake.extensions_alpn_str",
                "tls.handshake.extensions_supported_group",
            ],
        )
    )
    sh = _one(
        _tshark(
            capture,
            port,
            "tls.handshake.type == 2",
            [
                "tls.handshake.ciphersuite",
                "tls.handshake.session_id_length",
                "tls.handshake.extension.type",
                "tls.handshake.extensions_ec_point_format",
                "tls.handshake.random",
                "tls.handshake.extensions_alpn_str",
            ],
        )
    )
    cert = _one(_tshark(capture, port, "tls.handshake.type == 11", ["tls.handshake.certificate"]))
    ske = _one(
        _tshark(
            capture,
            port,
            "tls.handshake.type == 12",
            ["tls.handshake.server_named_curve", "tls.handshake.sig_hash_alg"],
        )
    )
    http = _tshark(
        capture,
        port,
        "http",
        ["http.request.method", "http.request.uri", "http.response.code"],
        keylog,
    )
    suites = ch[0].split(",")
    return {
        "client_suite_count": len(suites),
        "first_client_suite": suites[0],
        "sni": ch[1],
        "client_alpn": ch[2],
        "client_groups": ch[3],
        "server_suite": sh[0],
        "session_id_length": sh[1],
        "server_extensions": sh[2],
        "server_point_formats": sh[3],
        "server_alpn": sh[5],
        # RFC 8446 4.1.3: the last 8 bytes of a downgraded server random
        "downgrade_sentinel": sh[4][-16:-2] == "444f574e475244",
        "certificate_count": len(cert[0].split(",")),
        "named_curve": ske[0],
        "ske_signature": ske[1],
        "http": http,
    }


def certificates(capture: Path, port: int = 443) -> list[bytes]:
    """The DER certificates of the capture's Certificate message, in wire order."""
    cert = _one(_tshark(capture, port, "tls.handshake.type == 11", ["tls.handshake.certificate"]))
    return [bytes.fromhex(c.replace(":", "")) for c in cert[0].split(",")]


def verify(capture: Path, keylog: Path, port: int = 443) -> list[str]:
    """Check the capture against EXPECTED; return the failures (empty means good)."""
    try:
        facts = observed_facts(capture, keylog, port)
    except (AssertionError, IndexError, subprocess.CalledProcessError) as exc:
        return [f"tshark could not read the handshake: {exc}"]
    return [
        f"{key}: expected {want!r}, observed {facts[key]!r}"
        for key, want in EXPECTED.items()
        if facts[key] != want
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    ap.add_argument("--port", type=int, default=443 if os.geteuid() == 0 else 8443)
    ap.add_argument("--capture-name", default="seed.pcap")
    ap.add_argument("--keylog-name", default="seed.keylog")
    ap.add_argument("--no-netns", action="store_true", help="record on the host's lo")
    ap.add_argument("--in-private-netns", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    capture, keylog = args.out / args.capture_name, args.out / args.keylog_name
    if args.in_private_netns:  # re-executed by record() under `unshare --net`
        _bring_up_private_loopback()
        _record_here(capture.resolve(), keylog.resolve(), args.port)
        return 0
    record(capture, keylog, args.port, isolate=False if args.no_netns else None)
    failures = verify(capture, keylog, args.port)
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    if not failures:
        print(f"ok: {capture} ({capture.stat().st_size} bytes) and {keylog}: all checks pass")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
