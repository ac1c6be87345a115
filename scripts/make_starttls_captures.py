#!/usr/bin/env python3
"""Record tests/fixtures/starttls/: TLS that starts after a plaintext dialogue, or off-port.

tlslens recognises TLS by content, not by port, and decodes it from where the TLS bytes
start. These captures prove it on real stacks: for each case a tiny plaintext server
written here (SMTP, POP3, PostgreSQL) talks to a tiny client written here, both switch to
TLS with Python's ``ssl`` (OpenSSL 3) on the same socket, exchange a few protected
messages and close. A fourth case is plain TLS on an unusual port (8853, DNS over TLS
style). Each runs on 127.0.0.1 under tcpdump; as root in a private network namespace
(``unshare --net``) whose loopback has a 1500-byte MTU and no offloads, so segments are
wire-sized and the ports are ours alone.

The dialogues follow the protocols' RFCs: SMTP STARTTLS (RFC 3207), POP3 STLS
(RFC 2595), PostgreSQL's SSLRequest (an 8-byte packet: length 8, code 80877103 =
0x04d2162f; the server answers one byte, ``S``). The server certificate is a fresh
self-signed ECDSA P-256 one built with ``cryptography``; its key is never written out.
Key logs are written next to each capture, so the protected parts can be decrypted.

    python scripts/make_starttls_captures.py        # writes tests/fixtures/starttls/*

The facts tests rely on (SNI, TLS version, cipher suite per case) are in :data:`CASES`
and checked against what the client's ``ssl`` object reports after each run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_seed_capture import Tcpdump

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "starttls"

#: PostgreSQL SSLRequest: Int32 length 8, Int32 code 1234 << 16 | 5679.
PG_SSL_REQUEST = struct.pack("!II", 8, 80877103)


class Case(NamedTuple):
    """One capture: its name, port, SNI, TLS version cap and the cipher suite expected."""

    name: str
    port: int
    sni: str
    tls13: bool  # False: capped at TLS 1.2 with ``cipher`` as the only suite
    cipher: str  # OpenSSL name of the suite the run must negotiate
    alpn: str | None


CASES = (
    Case("smtp-starttls", 2525, "mail.example.test", False, "ECDHE-ECDSA-AES128-GCM-SHA256",
         None),
    Case("pop3-stls", 110, "pop.example.test", True, "TLS_AES_256_GCM_SHA384", None),
    Case("postgres-sslrequest", 5432, "db.example.test", False,
         "ECDHE-ECDSA-CHACHA20-POLY1305", "postgresql"),
    Case("tls-port-8853", 8853, "dns.example.test", True, "TLS_AES_256_GCM_SHA384", "dot"),
)


# --- certificate ----------------------------------------------------------------------
def make_certificate(tmpdir: Path, names: list[str]) -> tuple[Path, Path]:
    """A self-signed ECDSA P-256 server certificate for ``names``; (cert.pem, key.pem)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0]),
                         x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tlslens fixtures")])
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=365))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = tmpdir / "cert.pem", tmpdir / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def contexts(case: Case, cert: Path, key: Path, keylog: Path
             ) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server, client) contexts that can only agree on ``case.cipher``."""
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.load_verify_locations(cert)
    client.keylog_filename = str(keylog)
    if not case.tls13:
        for ctx in (server, client):
            ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            ctx.set_ciphers(case.cipher)
    if case.alpn:
        server.set_alpn_protocols([case.alpn])
        client.set_alpn_protocols([case.alpn])
    return server, client


# --- plaintext dialogues --------------------------------------------------------------
def _line(sock: socket.socket | ssl.SSLSocket) -> bytes:
    """One CRLF-terminated line, read byte by byte so nothing after it is consumed."""
    out = b""
    while not out.endswith(b"\r\n"):
        ch = sock.recv(1)
        if not ch:
            raise ConnectionError(f"peer closed after {out!r}")
        out += ch
    return out


def _exact(sock: socket.socket | ssl.SSLSocket, n: int) -> bytes:
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise ConnectionError(f"peer closed after {len(out)} of {n} bytes")
        out += chunk
    return out


def _expect(got: bytes, prefix: bytes) -> None:
    if not got.startswith(prefix):
        raise RuntimeError(f"expected {prefix!r}, got {got!r}")


def smtp_server(sock: socket.socket, tls: Callable[[socket.socket], ssl.SSLSocket]) -> None:
    sock.sendall(b"220 mail.example.test ESMTP tlslens-fixture\r\n")
    _expect(_line(sock), b"EHLO ")
    sock.sendall(b"250-mail.example.test\r\n250-PIPELINING\r\n250 STARTTLS\r\n")
    _expect(_line(sock), b"STARTTLS")
    sock.sendall(b"220 2.0.0 Ready to start TLS\r\n")
    s = tls(sock)
    _expect(_line(s), b"EHLO ")
    s.sendall(b"250-mail.example.test\r\n250 AUTH PLAIN\r\n")
    _expect(_line(s), b"QUIT")
    s.sendall(b"221 2.0.0 Bye\r\n")
    s.unwrap().close()


def smtp_client(sock: socket.socket, tls: Callable[[socket.socket], ssl.SSLSocket]) -> None:
    _expect(_line(sock), b"220 ")
    sock.sendall(b"EHLO client.example.test\r\n")
    while not (line := _line(sock)).startswith(b"250 "):
        _expect(line, b"250-")
    sock.sendall(b"STARTTLS\r\n")
    _expect(_line(sock), b"220 ")
    s = tls(sock)
    s.sendall(b"EHLO client.example.test\r\n")
    while not (line := _line(s)).startswith(b"250 "):
        _expect(line, b"250-")
    s.sendall(b"QUIT\r\n")
    _expect(_line(s), b"221 ")
    s.unwrap().close()


def pop3_server(sock: socket.socket, tls: Callable[[socket.socket], ssl.SSLSocket]) -> None:
    sock.sendall(b"+OK POP3 tlslens-fixture ready\r\n")
    _expect(_line(sock), b"CAPA")
    sock.sendall(b"+OK Capability list follows\r\nSTLS\r\nUSER\r\n.\r\n")
    _expect(_line(sock), b"STLS")
    sock.sendall(b"+OK Begin TLS negotiation\r\n")
    s = tls(sock)
    _expect(_line(s), b"QUIT")
    s.sendall(b"+OK bye\r\n")
    s.unwrap().close()


def pop3_client(sock: socket.socket, tls: Callable[[socket.socket], ssl.SSLSocket]) -> None:
    _expect(_line(sock), b"+OK")
    sock.sendall(b"CAPA\r\n")
    while _line(sock) != b".\r\n":
        pass
    sock.sendall(b"STLS\r\n")
    _expect(_line(sock), b"+OK")
    s = tls(sock)
    s.sendall(b"QUIT\r\n")
    _expect(_line(s), b"+OK")
    s.unwrap().close()


def pg_server(sock: socket.socket, tls: Callable[[socket.socket], ssl.SSLSocket]) -> None:
    if _exact(sock, 8) != PG_SSL_REQUEST:
        raise RuntimeError("no SSLRequest")
    sock.sendall(b"S")
    s = tls(sock)
    length = struct.unpack("!I", _exact(s, 4))[0]
    _exact(s, length - 4)  # StartupMessage
    s.sendall(b"R" + struct.pack("!II", 8, 0) + b"Z" + struct.pack("!I", 5) + b"I")
    _expect(_exact(s, 5), b"X")
    s.unwrap().close()


def pg_client(sock: socket.socket, tls: Callable[[socket.socket], ssl.SSLSocket]) -> None:
    sock.sendall(PG_SSL_REQUEST)
    _expect(_exact(sock, 1), b"S")
    s = tls(sock)
    params = b"user\0fixture\0database\0fixture\0\0"
    s.sendall(struct.pack("!II", 8 + len(params), 196608) + params)  # protocol 3.0
    _expect(_exact(s, 9), b"R")
    _expect(_exact(s, 6), b"Z")
    s.sendall(b"X" + struct.pack("!I", 4))
    s.unwrap().close()


#: A DNS query for example.test/A (RFC 1035), framed with its length as RFC 7858 says.
DNS_QUERY = bytes.fromhex("123401000001000000000000076578616d706c65047465737400000100 01"
                          .replace(" ", ""))


def dot_server(sock: socket.socket, tls: Callable[[socket.socket], ssl.SSLSocket]) -> None:
    s = tls(sock)
    n = struct.unpack("!H", _exact(s, 2))[0]
    query = _exact(s, n)
    answer = query[:2] + b"\x81\x83" + query[4:]  # NXDOMAIN
    s.sendall(struct.pack("!H", len(answer)) + answer)
    s.unwrap().close()


def dot_client(sock: socket.socket, tls: Callable[[socket.socket], ssl.SSLSocket]) -> None:
    s = tls(sock)
    s.sendall(struct.pack("!H", len(DNS_QUERY)) + DNS_QUERY)
    n = struct.unpack("!H", _exact(s, 2))[0]
    _exact(s, n)
    s.unwrap().close()


DIALOGUES = {
    "smtp-starttls": (smtp_server, smtp_client),
    "pop3-stls": (pop3_server, pop3_client),
    "postgres-sslrequest": (pg_server, pg_client),
    "tls-port-8853": (dot_server, dot_client),
}


# --- recording ------------------------------------------------------------------------


def run_case(case: Case, out: Path, cert: Path, key: Path) -> str:
    """Record one case into ``out/<name>.pcap`` (+ ``.keylog``); returns the cipher used."""
    capture, keylog = out / f"{case.name}.pcap", out / f"{case.name}.keylog"
    keylog.unlink(missing_ok=True)
    server_ctx, client_ctx = contexts(case, cert, key, keylog)
    serve, talk = DIALOGUES[case.name]
    listener = socket.create_server(("127.0.0.1", case.port))
    listener.settimeout(20)
    errors: list[BaseException] = []

    def server() -> None:
        try:
            conn, _ = listener.accept()
            with conn:
                serve(conn, lambda s: server_ctx.wrap_socket(s, server_side=True))
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    used: list[tuple[str, str, str | None]] = []

    def client_tls(s: socket.socket) -> ssl.SSLSocket:
        tls = client_ctx.wrap_socket(s, server_hostname=case.sni)
        cipher = tls.cipher()
        assert cipher is not None
        used.append((cipher[0], cipher[1], tls.selected_alpn_protocol()))
        return tls

    with Tcpdump(capture, case.port):
        thread = threading.Thread(target=server, daemon=True)
        thread.start()
        with socket.create_connection(("127.0.0.1", case.port), timeout=20) as sock:
            talk(sock, client_tls)
        thread.join(20)
    listener.close()
    if errors or thread.is_alive():
        raise RuntimeError(f"{case.name}: server failed: {errors!r}")
    if not used or used[0][0] != case.cipher or used[0][2] != case.alpn:
        raise RuntimeError(f"{case.name}: negotiated {used}, expected {case.cipher}")
    return f"{used[0][1]} {used[0][0]}"


def _bring_up_private_loopback() -> None:
    """Inside a fresh network namespace: lo up, wire MTU, no offloads (real segments)."""
    subprocess.run(["ip", "link", "set", "lo", "mtu", "1500", "up"], check=True)
    subprocess.run(["ethtool", "-K", "lo", "tso", "off", "gso", "off", "gro", "off"],
                   check=True, stdout=subprocess.DEVNULL)


def record_all(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="tlslens-starttls-") as tmp:
        names = sorted({c.sni for c in CASES})
        cert, key = make_certificate(Path(tmp), names)
        for case in CASES:
            print(f"{case.name}: port {case.port}, SNI {case.sni}: "
                  f"{run_case(case, out, cert, key)}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT)
    ap.add_argument("--no-netns", action="store_true", help="record on the host's lo")
    ap.add_argument("--in-private-netns", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    out = args.out.resolve()
    if args.in_private_netns:
        _bring_up_private_loopback()
    elif not args.no_netns and os.geteuid() == 0 and shutil.which("unshare"):
        return subprocess.run(["unshare", "--net", "--", sys.executable,
                               str(Path(__file__).resolve()), "--in-private-netns",
                               "--out", str(out)], check=False).returncode
    record_all(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
