"""Real live-capture tests: tcpdump on lo, Python ``ssl`` peers on 127.0.0.1.

They run for real in CI (as root) and skip cleanly where tcpdump or the right to capture
is missing. Each test starts ``tlslens capture`` as a subprocess, waits for its
"Capturing on" line (tcpdump is listening by then), and only then starts TLS traffic.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

SNI = "live.tlslens.test"


def _can_capture() -> str | None:
    """Why live tests cannot run here, or None when they can."""
    if shutil.which("tcpdump") is None:
        return "tcpdump is not installed"
    if os.geteuid() != 0:
        return "capturing on lo needs root"
    return None


_SKIP = _can_capture()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if _SKIP is None:
        return
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).parent == here:
            item.add_marker(pytest.mark.skip(reason=_SKIP))


@pytest.fixture(scope="session")
def cert_files(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed ECDSA P-256 certificate for SNI, made here (no fixture files)."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SNI)])
    now = dt.datetime.now(dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(SNI)]), critical=False)
            .sign(key, hashes.SHA256()))
    d = tmp_path_factory.mktemp("live-cert")
    cert_path, key_path = d / "cert.pem", d / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


class TlsServer:
    """A TLS server on 127.0.0.1 in a thread: handshakes, echoes one read, closes."""

    def __init__(self, cert: Path, key: Path, tls12: bool = False,
                 host: str = "127.0.0.1") -> None:
        self.ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.ctx.load_cert_chain(cert, key)
        if tls12:
            self.ctx.maximum_version = ssl.TLSVersion.TLSv1_2
            self.ctx.set_ciphers("ECDHE-ECDSA-AES128-GCM-SHA256")
        self.host = host
        self.sock = socket.create_server((host, 0), family=socket.AF_INET6 if ":" in host
                                         else socket.AF_INET)
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _one(self, conn: socket.socket) -> None:
        conn.settimeout(10)
        try:
            with self.ctx.wrap_socket(conn, server_side=True) as tls:
                data = tls.recv(100)
                if data:
                    tls.sendall(data)
        except (OSError, ssl.SSLError):
            pass

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture
def tls_server(cert_files: tuple[Path, Path]) -> Iterator[TlsServer]:
    server = TlsServer(*cert_files)
    yield server
    server.close()


@pytest.fixture
def tls12_server(cert_files: tuple[Path, Path]) -> Iterator[TlsServer]:
    server = TlsServer(*cert_files, tls12=True)
    yield server
    server.close()


def client(port: int, cert: Path, host: str = "127.0.0.1",
           keylog: Path | None = None) -> ssl.SSLSocket:
    """A finished client handshake to host:port with SNI (the caller closes it)."""
    ctx = ssl.create_default_context(cafile=str(cert))
    if keylog is not None:
        ctx.keylog_filename = str(keylog)
    sock = socket.create_connection((host, port), timeout=10)
    return ctx.wrap_socket(sock, server_hostname=SNI)


def exchange(tls: ssl.SSLSocket) -> None:
    tls.sendall(b"ping")
    tls.recv(100)


class Capture:
    """``tlslens capture ...`` as a subprocess; stdout lines come with their arrival time."""

    def __init__(self, *args: str, prefix: tuple[str, ...] = ()) -> None:
        self.argv = [*prefix, sys.executable, "-m", "tlslens.cli", "capture", "--lang", "en",
                     *args]
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True)
        self.lines: queue.Queue[tuple[float, str]] = queue.Queue()
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self._ready = threading.Event()
        self._threads = [threading.Thread(target=self._pump, args=(s, sink, q), daemon=True)
                         for s, sink, q in ((self.proc.stdout, self.stdout, True),
                                            (self.proc.stderr, self.stderr, False))]
        for t in self._threads:
            t.start()

    def _pump(self, stream, sink: list[str], queue_it: bool) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            sink.append(line)
            if queue_it:
                self.lines.put((time.time(), line))
            elif line.startswith("Capturing on"):
                self._ready.set()
        if not queue_it:
            self._ready.set()  # ended without listening: wait() tells why

    def ready(self) -> Capture:
        """Block until tcpdump listens (tlslens printed "Capturing on")."""
        assert self._ready.wait(15), "capture never got ready"
        assert self.proc.poll() is None, f"capture ended: {self.wait()}"
        return self

    def next_line(self, timeout: float = 5.0) -> tuple[float, str]:
        return self.lines.get(timeout=timeout)

    def wait(self, timeout: float = 10.0) -> tuple[int, str, str]:
        """Exit status, stdout and stderr once the process has ended."""
        rc = self.proc.wait(timeout)
        for t in self._threads:
            t.join(5)
        return rc, "".join(self.stdout), "".join(self.stderr)

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def capture() -> Iterator[Callable[..., Capture]]:
    """``capture(*args)`` starts ``tlslens capture``; a test's leftovers are killed."""
    started: list[Capture] = []

    def start(*args: str, prefix: tuple[str, ...] = ()) -> Capture:
        c = Capture(*args, prefix=prefix)
        started.append(c)
        return c

    yield start
    for c in started:
        c.kill()
