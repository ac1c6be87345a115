#!/usr/bin/env python3
"""Record tests/fixtures/seed13/: the seed handshake again, the client also offering TLS 1.3.

The same names, chain shape, peers and ES9+ exchange as the seed fixture
(scripts/make_seed_capture.py, reused by import: its chain builder, tcpdump handling,
peers and checks), with two changes only:

* the client (gnutls-cli) offers TLS 1.3 and TLS 1.2 (priority ``+VERS-TLS1.3``
  before ``+VERS-TLS1.2``), so it sends supported_versions, key_share,
  psk_key_exchange_modes and the TLS 1.3 suites;
* the server (OpenSSL 3 through Python's ``ssl``) accepts TLS 1.3 and sends no session
  tickets (``num_tickets = 0``, as the seed's server sends none), so TLS 1.3 is
  negotiated and everything after ServerHello is encrypted.

It is the "other phone" for ``tlslens diff``: the differences to the seed are exactly
the protocol version and what comes with it. The key log decrypts the handshake (the
certificate chain) and the HTTP layer.

    python scripts/make_tls13_variant.py     # writes tests/fixtures/seed13/seed13.{pcap,keylog}

As root it records inside a private network namespace like the seed (port 443, 1500-byte
segments); without root: ``--no-netns --port 8443`` (do not commit such a recording).
"""

from __future__ import annotations

import argparse
import os
import shutil
import ssl
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_seed_capture as seed  # the seed recorder, next to this script

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "seed13"
#: The seed's GnuTLS priority with TLS 1.3 offered first. GnuTLS keeps TLS 1.3's
#: curve-bound ecdsa_secp256r1_sha256 apart from TLS 1.2's ecdsa+sha256 (both 0x0403 on the
#: wire): without the former it rejects the server's CertificateVerify (illegal_parameter).
GNUTLS_PRIORITY_13 = seed.GNUTLS_PRIORITY.replace(
    "+VERS-TLS1.2", "+VERS-TLS1.3:+VERS-TLS1.2").replace(
    "+SIGN-ECDSA-SHA256:", "+SIGN-ECDSA-SHA256:+SIGN-ECDSA-SECP256R1-SHA256:")


def server_context_13(chain: seed.SeedChain, keylog: Path) -> ssl.SSLContext:
    """The seed's server context, allowed to negotiate TLS 1.3, without tickets."""
    ctx = _SEED_SERVER_CONTEXT(chain, keylog)
    ctx.maximum_version = ssl.TLSVersion.TLSv1_3
    ctx.num_tickets = 0
    return ctx


_SEED_SERVER_CONTEXT = seed.server_context
_SEED_KEYLOG_LINES = seed._keylog_lines


def _keylog_lines_any_order(path: Path) -> list[str]:
    # The two TLS 1.3 stacks write their five secrets in different orders.
    return sorted(_SEED_KEYLOG_LINES(path))


@contextmanager
def tls13_variant() -> Iterator[None]:
    """Point the seed recorder's peers at the TLS 1.3 settings for the duration."""
    saved = seed.GNUTLS_PRIORITY, seed.server_context, seed._keylog_lines
    seed.GNUTLS_PRIORITY = GNUTLS_PRIORITY_13
    seed.server_context = server_context_13
    seed._keylog_lines = _keylog_lines_any_order
    try:
        yield
    finally:
        seed.GNUTLS_PRIORITY, seed.server_context, seed._keylog_lines = saved


def record(capture: Path, keylog: Path, port: int, isolate: bool) -> None:
    if not isolate:
        with tls13_variant():
            seed._record_here(capture, keylog, port)
        return
    subprocess.run(["unshare", "--net", "--", sys.executable, str(Path(__file__).resolve()),
                    "--in-private-netns", "--port", str(port), "--out", str(capture.parent),
                    "--capture-name", capture.name, "--keylog-name", keylog.name], check=True)


def verify(capture: Path, keylog: Path, port: int) -> list[str]:
    """What the variant promises, read back with tshark (the key log decrypts the rest)."""
    failures = []
    try:
        ch = seed._one(seed._tshark(capture, port, "tls.handshake.type == 1", [
            "tls.handshake.extensions.supported_version", "tls.handshake.extensions_server_name",
            "tls.handshake.extensions_alpn_str"]))
        sh = seed._one(seed._tshark(capture, port, "tls.handshake.type == 2", [
            "tls.handshake.extensions.supported_version", "tls.handshake.ciphersuite"]))
        cert = seed._one(seed._tshark(capture, port, "tls.handshake.type == 11",
                                      ["tls.handshake.certificate"], keylog))
        http = seed._tshark(capture, port, "http", [
            "http.request.method", "http.request.uri", "http.response.code"], keylog)
    except (AssertionError, IndexError, subprocess.CalledProcessError) as exc:
        return [f"tshark could not read the handshake: {exc}"]
    if "0x0304" not in ch[0].split(","):
        failures.append(f"client does not offer TLS 1.3: {ch[0]}")
    if ch[1] != seed.SNI or ch[2] != "http/1.1":
        failures.append(f"SNI/ALPN differ from the seed: {ch[1:]}")
    if sh[0] != "0x0304":
        failures.append(f"server did not select TLS 1.3: {sh[0]!r}")
    if len(cert[0].split(",")) != 3:
        failures.append("the decrypted Certificate does not hold 3 certificates")
    if http != seed.EXPECTED["http"]:
        failures.append(f"HTTP exchange not as the seed: {http}")
    return failures


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    ap.add_argument("--port", type=int, default=443 if os.geteuid() == 0 else 8443)
    ap.add_argument("--capture-name", default="seed13.pcap")
    ap.add_argument("--keylog-name", default="seed13.keylog")
    ap.add_argument("--no-netns", action="store_true", help="record on the host's lo")
    ap.add_argument("--in-private-netns", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    capture = (args.out / args.capture_name).resolve()
    keylog = (args.out / args.keylog_name).resolve()
    if args.in_private_netns:  # re-executed by record() under `unshare --net`
        seed._bring_up_private_loopback()
        record(capture, keylog, args.port, isolate=False)
        return 0
    isolate = not args.no_netns and os.geteuid() == 0 and shutil.which("unshare") is not None
    record(capture, keylog, args.port, isolate)
    failures = verify(capture, keylog, args.port)
    for failure in failures:
        print(f"FAIL {failure}", file=sys.stderr)
    if not failures:
        print(f"ok: {capture} ({capture.stat().st_size} bytes) and {keylog}: all checks pass")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
