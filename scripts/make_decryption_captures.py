#!/usr/bin/env python3
"""Record tests/unit/crypto/fixtures/: real TLS connections with their key logs.

OpenSSL's ``s_server``/``s_client`` (the machine's OpenSSL 3) talk on 127.0.0.1 under
tcpdump; both write NSS key logs (``-keylogfile``). Each scenario is one capture and
one key log of its own:

* ``tls12-suites``: TLS 1.2 (and 1.0, 1.1) with a range of record protections:
  AES-GCM with the SHA-384 PRF, AES-CCM and CCM_8, ChaCha20-Poly1305, CBC with
  encrypt_then_mac (OpenSSL's default), CBC MAC-then-encrypt (``-no_etm``), CBC with
  SHA-256/SHA-384 MACs, NULL-SHA256, TLS 1.0 and 1.1 CBC (implicit, explicit IV);
  the RSA-key-exchange ones are also decrypted with the server's key (``rsa.pem``);
* ``tls12-resume``: a full handshake then a session-ID resumption (server without
  tickets), and a full handshake then a ticket resumption;
* ``tls13``: TLS 1.3 with a HelloRetryRequest (client key share X25519, server wants
  P-256), TLS_AES_128_CCM_SHA256 and TLS_CHACHA20_POLY1305_SHA256, a KeyUpdate
  requested by the client ("K" command of s_client), and a 0-RTT resumption
  (``-early_data``).

Run as root from the repository root (tcpdump on ``lo``):

    python scripts/make_decryption_captures.py

The key and certificate are made fresh in a temporary folder; only the RSA key the tests
need (``rsa.pem``, a throwaway key for 127.0.0.1) is kept. Every run gives new keys, so
a capture and its key log are replaced together.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

OUT = Path("tests/unit/crypto/fixtures")
HTTP_GET = b"GET /tlslens HTTP/1.0\r\n\r\n"
#: Every process started, ended on exit even when a step fails (no stray tcpdump
#: keeps writing into a fixture, no stray server keeps a port).
STARTED: list[subprocess.Popen[bytes]] = []


class Tcpdump:
    def __init__(self, path: Path, ports: list[int]) -> None:
        expr = " or ".join(f"tcp port {p}" for p in ports)
        self.proc = subprocess.Popen(
            ["tcpdump", "-i", "lo", "-U", "--immediate-mode", "-Z", "root", "-w", str(path),
             expr], stderr=subprocess.PIPE)
        STARTED.append(self.proc)
        assert self.proc.stderr is not None
        while b"listening on" not in self.proc.stderr.readline():
            pass

    def stop(self) -> None:
        time.sleep(0.3)
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(timeout=10)


def server(tmp: Path, port: int, *extra: str, www: bool = True) -> subprocess.Popen[bytes]:
    args = ["openssl", "s_server", "-accept", str(port), "-cert", str(tmp / "cert.pem"),
            "-key", str(tmp / "key.pem"), "-keylogfile", str(tmp / f"srv{port}.log"),
            *extra]
    if www:
        args.append("-www")
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    STARTED.append(proc)
    time.sleep(0.4)
    if proc.poll() is not None:
        raise SystemExit(f"s_server on port {port} did not start (port in use?)")
    return proc


def client(port: int, keylog: Path, *extra: str, lines: list[tuple[bytes, float]] | None = None,
           ) -> bytes:
    args = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-keylogfile",
            str(keylog), *extra]
    proc = subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    assert proc.stdin is not None
    for data, pause in lines or [(HTTP_GET, 0.5)]:
        proc.stdin.write(data)
        proc.stdin.flush()
        time.sleep(pause)
    proc.stdin.close()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    assert proc.stdout is not None
    return proc.stdout.read()


TLS12_CASES = [
    ("-tls1_2", "ECDHE-RSA-AES256-GCM-SHA384"),
    ("-tls1_2", "AES128-CCM"),
    ("-tls1_2", "AES256-CCM8"),
    ("-tls1_2", "ECDHE-RSA-CHACHA20-POLY1305"),
    ("-tls1_2", "ECDHE-RSA-AES128-SHA"),              # encrypt_then_mac
    ("-tls1_2 -no_etm", "AES256-SHA256"),               # MAC-then-encrypt, RSA kx
    ("-tls1_2", "DHE-RSA-AES256-SHA256"),
    ("-tls1_2", "ECDHE-RSA-AES256-SHA384"),
    ("-tls1_2", "NULL-SHA256:@SECLEVEL=0"),
    ("-tls1_1 -no_etm", "AES128-SHA:@SECLEVEL=0"),       # explicit IV, RSA kx
    ("-tls1 -no_etm", "ECDHE-RSA-AES256-SHA:@SECLEVEL=0"),  # chained IV
    ("-tls1", "AES128-SHA:@SECLEVEL=0"),                 # TLS 1.0 with encrypt_then_mac
]


def record_tls12(tmp: Path) -> None:
    port = 24431
    keylog = OUT / "tls12-suites.keylog"
    keylog.unlink(missing_ok=True)
    dump = Tcpdump(OUT / "tls12-suites.pcap", [port])
    srv = server(tmp, port, "-cipher", "ALL:eNULL:@SECLEVEL=0")
    for opts, cipher in TLS12_CASES:
        out = client(port, keylog, *opts.split(), "-cipher", cipher)
        if b"Cipher is" not in out or b"Cipher is (NONE)" in out:
            print("FAILED", cipher, out[-400:].decode(errors="replace"), file=sys.stderr)
    srv.kill()
    dump.stop()


def record_resume(tmp: Path) -> None:
    p_id, p_ticket = 24432, 24433
    keylog = OUT / "tls12-resume.keylog"
    keylog.unlink(missing_ok=True)
    dump = Tcpdump(OUT / "tls12-resume.pcap", [p_id, p_ticket])
    s1 = server(tmp, p_id, "-no_ticket")
    s2 = server(tmp, p_ticket)
    for port in (p_id, p_ticket):
        sess = tmp / f"sess{port}.pem"
        client(port, keylog, "-tls1_2", "-sess_out", str(sess))
        out = client(port, keylog, "-tls1_2", "-sess_in", str(sess))
        if b"Reused" not in out:
            print("NOT RESUMED on", port, file=sys.stderr)
    s1.kill()
    s2.kill()
    dump.stop()


def record_tls13(tmp: Path) -> None:
    port, p_hrr, p_early = 24434, 24435, 24436
    keylog = OUT / "tls13.keylog"
    keylog.unlink(missing_ok=True)
    dump = Tcpdump(OUT / "tls13.pcap", [port, p_hrr, p_early])
    srv = server(tmp, port, "-ciphersuites",
                 "TLS_AES_128_CCM_SHA256:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_256_GCM_SHA384",
                 "-cipher", "ALL")
    hrr = server(tmp, p_hrr, "-groups", "P-256")
    client(p_hrr, keylog, "-groups", "X25519:P-256")
    for suite in ("TLS_AES_128_CCM_SHA256", "TLS_CHACHA20_POLY1305_SHA256"):
        client(port, keylog, "-ciphersuites", suite)
    srv.kill()
    # KeyUpdate: s_server without -www echoes nothing, so data flows client -> server,
    # then "K" (key update, update requested) and more data.
    ku = server(tmp, port, www=False)
    assert ku.stdin is not None

    def server_says() -> None:
        time.sleep(0.3)
        ku.stdin.write(b"server before key update\n")  # type: ignore[union-attr]
        ku.stdin.flush()  # type: ignore[union-attr]

    import threading

    threading.Thread(target=server_says).start()
    client(port, keylog, lines=[(b"before key update\n", 0.5), (b"K\n", 0.4),
                                (b"after key update\n", 0.6)])
    ku.kill()
    early = server(tmp, p_early, "-early_data", www=False)  # -www refuses early data
    sess = tmp / "sess13.pem"
    client(p_early, keylog, "-sess_out", str(sess))
    (tmp / "early.txt").write_bytes(HTTP_GET)
    out = client(p_early, keylog, "-sess_in", str(sess), "-early_data", str(tmp / "early.txt"))
    if b"Early data was accepted" not in out:
        print("EARLY DATA NOT ACCEPTED", out[-600:].decode(errors="replace"), file=sys.stderr)
    early.kill()
    hrr.kill()
    dump.stop()


def main() -> int:
    if os.geteuid() != 0:
        print("run as root (tcpdump on lo)", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as d:
        try:
            record_all(Path(d))
        finally:
            for proc in STARTED:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGINT)
                    proc.wait(timeout=10)
    return 0


def record_all(tmp: Path) -> None:
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                    str(tmp / "key.pem"), "-out", str(tmp / "cert.pem"), "-subj",
                    "/CN=127.0.0.1", "-days", "3650"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    (OUT / "rsa.pem").write_bytes((tmp / "key.pem").read_bytes())
    record_tls12(tmp)
    record_resume(tmp)
    record_tls13(tmp)


if __name__ == "__main__":
    sys.exit(main())
