#!/usr/bin/env python3
"""Record a realistic TLS benchmark capture with real TLS stacks, or scale one up.

Why real stacks: a benchmark on synthetic packets measures the synthetic generator's
habits. Here OpenSSL (through Python's ``ssl``) talks to itself on 127.0.0.1 under
tcpdump: TLS 1.3 and 1.2, RSA 2048 and ECDSA P-256 certificates, AES-GCM, ChaCha20 and
CBC suites, X25519/P-256/P-384 key shares, some HelloRetryRequests, ticket resumption,
SNI and ALPN variety, mutual TLS (client certificates) on a second server address, a
small HTTP-like exchange per connection, some mid-size (100 KB) transfers and a few
multi-MB downloads so most bytes belong to connections whose handshake is over (the hot
path).

Why a network namespace: on ``lo`` the kernel hands tcpdump 64 KB TSO/GSO "segments".
Inside ``unshare -n`` we set lo's MTU to 1500 and turn offloads off, so segments look like
the wire. Without ``unshare`` we fall back to the host's lo and say so.

Usage::

    make_capture.py --out FILE --handshakes N [--large K] [--seed S] [--scale M]
                    [--mtls-share F] [--transfer-share F --transfer-size BYTES]
    make_capture.py --preset issue9 --out FILE         # the issue-9 benchmark capture
    make_capture.py --from FILE --scale M --out BIG     # scale an existing pcap only

``--scale M`` replays the recorded packets M times (client ports remapped per copy,
timestamps shifted by the capture's span), streaming, for the flat-memory check.
"""

from __future__ import annotations

import argparse
import ctypes
import datetime as dt
import fcntl
import multiprocessing as mp
import os
import queue
import random
import shutil
import signal
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

NETNS_FLAG = "--_in-netns"
BODY = os.urandom(1 << 20)  # payload source; encrypted on the wire anyway

# --- traffic mix ---------------------------------------------------------------------

RSA_HOSTS = ("rsa.bench.test", "www.rsa.bench.test", "api.rsa.bench.test", None)
EC_HOSTS = ("ec.bench.test", "cdn.ec.bench.test", "mail.ec.bench.test")
ALPNS: tuple[tuple[str, ...], ...] = (
    ("h2", "http/1.1"),
    ("http/1.1",),
    (),
    ("grpc-exp", "h2"),
)
# TLS 1.2 suites offered first (then the rest of the same family, as clients do).
TLS12_RSA = (
    "ECDHE-RSA-AES128-GCM-SHA256",
    "ECDHE-RSA-AES256-GCM-SHA384",
    "ECDHE-RSA-CHACHA20-POLY1305",
    "ECDHE-RSA-AES128-SHA256",
    "ECDHE-RSA-AES256-SHA",
)
TLS12_EC = (
    "ECDHE-ECDSA-AES128-GCM-SHA256",
    "ECDHE-ECDSA-AES256-GCM-SHA384",
    "ECDHE-ECDSA-CHACHA20-POLY1305",
    "ECDHE-ECDSA-AES128-SHA",
    "ECDHE-ECDSA-AES256-SHA384",
)
# Python cannot set TLS 1.3 suites or groups per context, OpenSSL's config file can per
# process: one client worker process per profile. "hrr" offers an X448 key share the
# server does not accept, which forces a HelloRetryRequest to P-256.
PROFILES: dict[str, tuple[str, str, float]] = {
    "aes256": ("TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256",
               "X25519:P-256:P-384", 0.45),
    "chacha": ("TLS_CHACHA20_POLY1305_SHA256:TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384",
               "X25519:P-256", 0.25),
    "aes128": ("TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384", "P-256:X25519:P-384", 0.2),
    "hrr": ("TLS_AES_128_GCM_SHA256:TLS_CHACHA20_POLY1305_SHA256", "X448:P-256", 0.1),
}
SERVER_GROUPS = "X25519:P-256:P-384"
# Mutual TLS is served on a second loopback address (same port, so the capture filter,
# tshark's port-based TLS dissection and --scale's port mapping stay as they are):
# Python's SNI callback can swap the certificate but not the verify mode.
SERVER_ADDR, MTLS_ADDR = "127.0.0.1", "127.0.0.2"

# Named option sets; explicit flags still override them.
PRESETS: dict[str, dict[str, object]] = {
    # issue 9: >= 400 MB, >= 20,000 handshakes of every kind listed there.
    "issue9": {"handshakes": 21000, "large": 10, "large_size": 5 << 20, "mtls_share": 0.2,
               "transfer_share": 0.12, "transfer_size": 100_000, "seed": 9},
}


@dataclass(frozen=True, slots=True)
class Job:
    """One client connection (plus one resumed connection when ``resume``)."""

    version: str  # "1.2" or "1.3"
    ciphers: str | None  # OpenSSL cipher string for TLS 1.2
    sni: str | None
    alpn: tuple[str, ...]
    resume: bool
    size: int  # response body bytes
    mtls: bool = False  # present a client certificate to the mutual-TLS address


def plan_jobs(rng: random.Random, handshakes: int, large: int, large_size: int,
              mtls_share: float = 0.0, transfer_share: float = 0.0,
              transfer_size: int = 100_000) -> list[Job]:
    """Draw the connection mix; ``handshakes`` counts resumed handshakes too.

    A share of 0 draws no random number for it, so a seed gives the same mix as before
    the option existed.
    """
    jobs: list[Job] = []
    count = 0
    while count < handshakes:
        resume = rng.random() < 0.15 and count + 2 <= handshakes
        size = rng.randint(200, 4000)
        if transfer_share > 0 and rng.random() < transfer_share:
            size = transfer_size
        jobs.append(_draw_job(rng, resume, size, mtls_share))
        count += 2 if resume else 1
    for _ in range(large):  # spread big downloads among the small ones
        jobs.insert(rng.randrange(len(jobs) + 1), _draw_job(rng, False, large_size, 0.0))
    return jobs


def _draw_job(rng: random.Random, resume: bool, size: int, mtls_share: float) -> Job:
    use_ec = rng.random() < 0.4
    if rng.random() < 0.55:
        version, ciphers = "1.3", None
    else:
        family = TLS12_EC if use_ec else TLS12_RSA
        first = rng.choice(family)
        version, ciphers = "1.2", ":".join([first] + [c for c in family if c != first])
    sni = rng.choice(EC_HOSTS if use_ec else RSA_HOSTS)
    alpn = rng.choice(ALPNS)
    mtls = mtls_share > 0 and rng.random() < mtls_share
    return Job(version, ciphers, sni, alpn, resume, size, mtls)


# --- certificates --------------------------------------------------------------------


def make_certs(folder: Path) -> dict[str, Path]:
    """Write a P-256 CA, two server leaves (RSA 2048, EC P-256) and two client leaves."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec, rsa
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)

    def name(cn: str) -> x509.Name:
        return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "tlslens bench"),
                          x509.NameAttribute(NameOID.COMMON_NAME, cn)])

    def pem_key(key: object) -> bytes:
        return key.private_bytes(serialization.Encoding.PEM,  # type: ignore[attr-defined]
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca = (x509.CertificateBuilder().subject_name(name("tlslens bench CA"))
          .issuer_name(name("tlslens bench CA")).public_key(ca_key.public_key())
          .serial_number(x509.random_serial_number())
          .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
          .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
          .sign(ca_key, hashes.SHA256()))
    ca_pem = ca.public_bytes(serialization.Encoding.PEM)
    paths = {"ca": folder / "ca.pem"}
    paths["ca"].write_bytes(ca_pem)
    leaves = {"rsa": rsa.generate_private_key(65537, 2048),
              "ec": ec.generate_private_key(ec.SECP256R1()),
              "client_rsa": rsa.generate_private_key(65537, 2048),
              "client_ec": ec.generate_private_key(ec.SECP256R1())}
    for kind, key in leaves.items():
        client = kind.startswith("client_")
        host = f"{kind.removeprefix('client_')}.{'client.' if client else ''}bench.test"
        usage = ExtendedKeyUsageOID.CLIENT_AUTH if client else ExtendedKeyUsageOID.SERVER_AUTH
        cert = (x509.CertificateBuilder().subject_name(name(host)).issuer_name(ca.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=30))
                .add_extension(x509.SubjectAlternativeName(
                    [x509.DNSName(host), x509.DNSName(f"*.{host}")]), critical=False)
                .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        chain = cert.public_bytes(serialization.Encoding.PEM) + ca_pem  # leaf + CA sent
        paths[f"{kind}_chain"] = folder / f"{kind}_chain.pem"
        paths[f"{kind}_key"] = folder / f"{kind}_key.pem"
        paths[f"{kind}_chain"].write_bytes(chain)
        paths[f"{kind}_key"].write_bytes(pem_key(key))
    return paths


# --- server --------------------------------------------------------------------------


def _server_context(chain: Path, key: Path, client_ca: Path | None = None) -> ssl.SSLContext:
    """``client_ca`` set: require a client certificate issued by it (mutual TLS)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(chain, key)
    if client_ca is not None:
        ctx.load_verify_locations(client_ca)
        ctx.verify_mode = ssl.CERT_REQUIRED
    ctx.set_ciphers("ECDHE:!aNULL:!eNULL")
    ctx.options &= ~ssl.OP_CIPHER_SERVER_PREFERENCE  # the client's order picks the suite
    ctx.set_alpn_protocols(["h2", "http/1.1"])
    return ctx


def _read_until(sock: ssl.SSLSocket, marker: bytes, limit: int = 65536) -> bytes:
    data = b""
    while marker not in data and len(data) < limit:
        chunk = sock.recv(4096)
        if not chunk:
            break
        data += chunk
    return data


def _serve_one(raw: socket.socket, ctx: ssl.SSLContext) -> None:
    raw.settimeout(30)
    try:
        with ctx.wrap_socket(raw, server_side=True) as tls:
            request = _read_until(tls, b"\r\n\r\n")
            path = request.split(b" ", 2)[1] if request.count(b" ") >= 2 else b"/bytes/0"
            size = int(path.rsplit(b"/", 1)[-1] or b"0") if path.startswith(b"/bytes/") else 0
            tls.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % size)
            sent = 0
            while sent < size:
                n = min(len(BODY), size - sent)
                tls.sendall(BODY[:n])
                sent += n
            tls.unwrap()  # close_notify both ways
    except (OSError, ValueError):
        pass
    finally:
        raw.close()


def _sni_contexts(certs: dict[str, Path], client_ca: Path | None) -> ssl.SSLContext:
    """RSA context whose SNI callback switches to the EC certificate for *.ec.bench.test."""
    rsa_ctx = _server_context(certs["rsa_chain"], certs["rsa_key"], client_ca)
    ec_ctx = _server_context(certs["ec_chain"], certs["ec_key"], client_ca)

    def pick_cert(sslobj: ssl.SSLObject, server_name: str | None, _ctx: ssl.SSLContext) -> None:
        if server_name and ".ec.bench.test" in f".{server_name}":
            sslobj.context = ec_ctx

    rsa_ctx.sni_callback = pick_cert
    return rsa_ctx


def _accept_forever(listener: socket.socket, ctx: ssl.SSLContext) -> None:
    while True:
        raw, _ = listener.accept()
        threading.Thread(target=_serve_one, args=(raw, ctx), daemon=True).start()


def run_server(port: int, certs: dict[str, Path], ready: mp.synchronize.Event) -> None:
    """Accept forever (the parent terminates us); one thread per connection.

    SERVER_ADDR serves without, MTLS_ADDR with a required client certificate.
    """
    plain = socket.create_server((SERVER_ADDR, port), backlog=512)
    mutual = socket.create_server((MTLS_ADDR, port), backlog=512)
    threading.Thread(target=_accept_forever, daemon=True,
                     args=(mutual, _sni_contexts(certs, certs["ca"]))).start()
    ready.set()
    _accept_forever(plain, _sni_contexts(certs, None))


# --- clients -------------------------------------------------------------------------


def _client_context(job: Job, certs: dict[str, Path]) -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(certs["ca"])
    if job.mtls:  # the client key type follows the server's (EC for *.ec.bench.test)
        kind = "client_ec" if job.sni in EC_HOSTS else "client_rsa"
        ctx.load_cert_chain(certs[f"{kind}_chain"], certs[f"{kind}_key"])
    ctx.check_hostname = job.sni is not None
    if job.version == "1.2":
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_ciphers(job.ciphers or "ECDHE")
    if job.alpn:
        ctx.set_alpn_protocols(list(job.alpn))
    return ctx


def _fetch(job: Job, ctx: ssl.SSLContext, port: int,
           session: ssl.SSLSession | None) -> tuple[ssl.SSLSession | None, bool]:
    """One connection: handshake, GET, read the body, close_notify. Returns the session."""
    addr = MTLS_ADDR if job.mtls else SERVER_ADDR
    with (socket.create_connection((addr, port), timeout=30) as raw,
          ctx.wrap_socket(raw, server_hostname=job.sni, session=session) as tls):
        host = (job.sni or "127.0.0.1").encode()
        tls.sendall(b"GET /bytes/%d HTTP/1.1\r\nHost: %s\r\nUser-Agent: tlslens-bench\r\n"
                    b"Accept: */*\r\n\r\n" % (job.size, host))
        head = _read_until(tls, b"\r\n\r\n")
        got = len(head.split(b"\r\n\r\n", 1)[-1])
        while got < job.size:
            chunk = tls.recv(65536)
            if not chunk:
                break
            got += len(chunk)
        reused = tls.session_reused
        new_session = tls.session
        try:
            tls.unwrap()
        except (OSError, ValueError):
            pass
    return new_session, reused


def _run_job(job: Job, certs: dict[str, Path], port: int) -> tuple[int, int]:
    """Returns (handshakes done, resumptions seen); failures count as 0."""
    ctx = _client_context(job, certs)
    try:
        session, _ = _fetch(job, ctx, port, None)
        if not job.resume:
            return 1, 0
        _, reused = _fetch(job, ctx, port, session)
        return 2, int(reused)
    except (OSError, ValueError):
        return 0, 0


def run_client_worker(jobs: list[Job], certs: dict[str, Path], port: int, threads: int,
                      results: mp.Queue) -> None:
    """Runs in a spawned process whose OPENSSL_CONF selects TLS 1.3 suites and groups."""
    with ThreadPoolExecutor(max_workers=threads) as pool:
        outcomes = list(pool.map(lambda j: _run_job(j, certs, port), jobs))
    results.put((sum(o[0] for o in outcomes), sum(o[1] for o in outcomes)))


def _openssl_conf(folder: Path, name: str, suites: str, groups: str) -> Path:
    path = folder / f"openssl-{name}.cnf"
    path.write_text(
        "openssl_conf = openssl_init\n[openssl_init]\nssl_conf = ssl_sect\n"
        "[ssl_sect]\nsystem_default = system_default_sect\n[system_default_sect]\n"
        f"Ciphersuites = {suites}\nGroups = {groups}\n")
    return path


def _start_with_conf(ctx: mp.context.SpawnContext, conf: Path, target: object,
                     args: tuple) -> mp.process.BaseProcess:
    """Spawn a process whose OpenSSL reads ``conf`` (read once, at library start)."""
    old = os.environ.get("OPENSSL_CONF")
    os.environ["OPENSSL_CONF"] = str(conf)
    try:
        proc = ctx.Process(target=target, args=args, daemon=True)
        proc.start()
    finally:
        if old is None:
            del os.environ["OPENSSL_CONF"]
        else:
            os.environ["OPENSSL_CONF"] = old
    return proc


# --- tcpdump and the namespace -------------------------------------------------------


class Tcpdump:
    """tcpdump with the settings that keep the last packets (see making-captures notes)."""

    def __init__(self, out: Path, port: int) -> None:
        cmd = ["tcpdump", "-i", "lo", "-U", "--immediate-mode", "-B", "32768", "-s", "0",
               "-Z", "root", "-w", str(out), f"tcp port {port}"]
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
        self.lines: list[str] = []
        self.listening = threading.Event()
        threading.Thread(target=self._drain, daemon=True).start()
        if not self.listening.wait(15):
            self.proc.kill()
            raise RuntimeError("tcpdump did not start: " + " ".join(self.lines))

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            line = raw.decode(errors="replace").strip()
            self.lines.append(line)
            if "listening on" in line:
                self.listening.set()

    def stop(self) -> str:
        time.sleep(0.5)  # let the last FIN/ACKs reach the capture
        self.proc.send_signal(signal.SIGINT)
        self.proc.wait(30)
        time.sleep(0.1)
        return "; ".join(x for x in self.lines if "packets" in x)


def _disable_offloads_ioctl() -> None:
    """ethtool's legacy SIOCETHTOOL set commands (TSO, GSO, GRO off) without ethtool."""
    siocethtool = 0x8946
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        for cmd in (0x1F, 0x24, 0x2C):  # ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_SGRO
            value = bytearray(struct.pack("II", cmd, 0))
            buf = (ctypes.c_char * len(value)).from_buffer(value)
            ifreq = struct.pack("16sP16x", b"lo", ctypes.addressof(buf))  # struct ifreq
            fcntl.ioctl(s.fileno(), siocethtool, ifreq)


def setup_namespace_lo() -> str:
    """Inside a fresh netns: lo up at MTU 1500 with offloads off. Returns the mode name.

    The namespace's ephemeral port range is widened too, so 20,000+ connections in one
    recording never reuse a client port (a repeated 4-tuple would be a second connection
    on the same stream for every reader).
    """
    subprocess.run(["ip", "link", "set", "lo", "mtu", "1500", "up"], check=True)
    try:
        Path("/proc/sys/net/ipv4/ip_local_port_range").write_text("10000 65000\n")
    except OSError:
        pass  # the default range (28,000 ports) still covers most recordings
    if shutil.which("ethtool"):
        done = subprocess.run(["ethtool", "-K", "lo", "tso", "off", "gso", "off", "gro", "off"],
                              check=False, capture_output=True)
        if done.returncode == 0:
            return "netns, lo mtu 1500, offloads off (ethtool)"
    try:
        _disable_offloads_ioctl()
        return "netns, lo mtu 1500, offloads off (ioctl)"
    except OSError as exc:
        return f"netns, lo mtu 1500, offloads ON ({exc}): expect 64 KB segments"


def can_unshare() -> bool:
    try:
        return subprocess.run(["unshare", "-n", "true"], check=False,
                              capture_output=True).returncode == 0
    except OSError:
        return False


# --- recording -----------------------------------------------------------------------


def _collect(results: mp.Queue, workers: list[mp.process.BaseProcess],
             timeout: float) -> list[tuple[int, int]]:
    """One (handshakes, resumed) pair per worker; fails fast when a worker dies."""
    totals: list[tuple[int, int]] = []
    deadline = time.monotonic() + timeout
    while len(totals) < len(workers):
        try:
            totals.append(results.get(timeout=1))
        except queue.Empty:
            dead = [w.exitcode for w in workers if w.exitcode not in (None, 0)]
            if dead or time.monotonic() > deadline:
                for w in workers:
                    w.terminate()
                raise RuntimeError(f"client workers failed (exit codes {dead}) or timed out")
    for w in workers:
        w.join(30)
    return totals


def record(args: argparse.Namespace, out: Path, mode: str) -> None:
    """Start server and tcpdump, run every client job, stop, print a summary."""
    rng = random.Random(args.seed)
    jobs = plan_jobs(rng, args.handshakes, args.large, args.large_size, args.mtls_share,
                     args.transfer_share, args.transfer_size)
    by_profile: dict[str, list[Job]] = {name: [] for name in PROFILES}
    names, weights = list(PROFILES), [p[2] for p in PROFILES.values()]
    for job in jobs:
        by_profile[rng.choices(names, weights)[0]].append(job)

    spawn = mp.get_context("spawn")
    with tempfile.TemporaryDirectory(prefix="tlslens-bench-") as tmp:
        folder = Path(tmp)
        certs = make_certs(folder)
        ready = spawn.Event()
        server_conf = _openssl_conf(folder, "server", PROFILES["aes256"][0], SERVER_GROUPS)
        server = _start_with_conf(spawn, server_conf, run_server, (args.port, certs, ready))
        try:
            for _ in range(150):
                if ready.wait(0.2) or not server.is_alive():
                    break
            if not ready.is_set():
                raise RuntimeError(f"server did not start on 127.0.0.1:{args.port}")
            dump = Tcpdump(out, args.port)
            try:
                start = time.monotonic()
                results: mp.Queue = spawn.Queue()
                workers = [
                    _start_with_conf(spawn, _openssl_conf(folder, name, suites, groups),
                                     run_client_worker, (by_profile[name], certs,
                                                         args.port, args.concurrency, results))
                    for name, (suites, groups, _) in PROFILES.items() if by_profile[name]
                ]
                totals = _collect(results, workers, args.timeout)
                elapsed = time.monotonic() - start
            finally:
                stats = dump.stop()
        finally:
            server.terminate()
            server.join(10)
    done, resumed = sum(t[0] for t in totals), sum(t[1] for t in totals)
    print(f"mode: {mode}")
    print(f"handshakes: {done} done of {args.handshakes + args.large} planned "
          f"({resumed} resumed), {args.large} large transfers of {args.large_size} bytes, "
          f"{elapsed:.1f} s")
    mtls = sum(1 + j.resume for j in jobs if j.mtls)
    transfers = sum(1 for j in jobs if j.size == args.transfer_size and args.transfer_share)
    print(f"planned: {mtls} mutual-TLS handshakes (on {MTLS_ADDR}), {transfers} transfers "
          f"of {args.transfer_size} bytes")
    print(f"tcpdump: {stats}")
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB)")


# --- scaling -------------------------------------------------------------------------

# linktype -> bytes before the IP header (plain Ethernet only: no VLAN tags here)
L3_OFFSETS = {0: 4, 1: 14, 12: 0, 101: 0, 113: 16, 228: 0, 229: 0, 276: 20}
PORT_LO, PORT_SPAN = 1024, 65536 - 1024


def _pcap_header(head: bytes) -> tuple[str, int, int]:
    """Returns (byte order, ticks per second, linktype) or raises ValueError."""
    magic = head[:4]
    for order in "<>":
        (value,) = struct.unpack(order + "I", magic)
        if value in (0xA1B2C3D4, 0xA1B23C4D):
            tick = 1_000_000 if value == 0xA1B2C3D4 else 1_000_000_000
            return order, tick, struct.unpack_from(order + "I", head, 20)[0] & 0xFFFF
    raise ValueError("not a classic pcap file (pcapng is not supported for --scale)")


def _records(path: Path, order: str) -> Iterator[tuple[bytes, bytes]]:
    """Yields (record header, packet bytes) per record, streaming."""
    with path.open("rb") as f:
        f.read(24)
        while len(hdr := f.read(16)) == 16:
            yield hdr, f.read(struct.unpack_from(order + "I", hdr, 8)[0])


def _tcp_ports_at(pkt: bytes, l3: int) -> int | None:
    """Offset of the TCP source port, or None when the packet is not TCP over IP."""
    if len(pkt) < l3 + 1:
        return None
    version = pkt[l3] >> 4
    if version == 4 and len(pkt) >= l3 + 20 and pkt[l3 + 9] == 6:
        off = l3 + (pkt[l3] & 0x0F) * 4
    elif version == 6 and len(pkt) >= l3 + 40 and pkt[l3 + 6] == 6:
        off = l3 + 40
    else:
        return None
    return off if len(pkt) >= off + 4 else None


def scale_pcap(src: Path, dst: Path, copies: int, server_port: int) -> int:
    """Write ``copies`` back-to-back replays of ``src``; returns packets written.

    Each copy maps every client port (the one that is not ``server_port``) to its own
    range so 4-tuples never repeat while n_ports * copies <= 64512, and shifts times by
    the capture's span plus one second. Memory: one record and the port table.
    """
    with src.open("rb") as f:
        head = f.read(24)
    order, tick, linktype = _pcap_header(head)
    l3 = L3_OFFSETS.get(linktype)
    if l3 is None:
        raise ValueError(f"linktype {linktype} not supported for --scale")
    port_index: dict[int, int] = {}
    first = last = None
    for hdr, pkt in _records(src, order):  # pass 1: client ports and time span
        sec, frac = struct.unpack_from(order + "II", hdr)
        t = sec * tick + frac
        first = t if first is None else first
        last = t
        off = _tcp_ports_at(pkt, l3)
        if off is not None:
            sport, dport = struct.unpack_from(">HH", pkt, off)
            client = dport if sport == server_port else sport
            port_index.setdefault(client, len(port_index))
    span = (last or 0) - (first or 0) + tick
    n = max(len(port_index), 1)
    written = 0
    with dst.open("wb", buffering=1 << 20) as out:
        out.write(head)
        for copy in range(copies):
            for hdr, pkt in _records(src, order):
                sec, frac, incl, orig = struct.unpack(order + "IIII", hdr)
                t = sec * tick + frac + copy * span
                off = _tcp_ports_at(pkt, l3)
                if off is not None:
                    buf = bytearray(pkt)
                    sport, dport = struct.unpack_from(">HH", buf, off)
                    at = off + 2 if sport == server_port else off
                    client = dport if sport == server_port else sport
                    new = PORT_LO + (port_index[client] + copy * n) % PORT_SPAN
                    struct.pack_into(">H", buf, at, new)
                    pkt = bytes(buf)
                out.write(struct.pack(order + "IIII", t // tick, t % tick, incl, orig))
                out.write(pkt)
                written += 1
    return written


# --- entry point ---------------------------------------------------------------------


def _share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError("a share is between 0 and 1")
    return value


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--preset", choices=sorted(PRESETS),
                   help="defaults for a named capture (explicit flags still win)")
    p.add_argument("--out", type=Path, required=True, help="pcap file to write")
    p.add_argument("--handshakes", type=int, default=3000, help="handshakes incl. resumed")
    p.add_argument("--large", type=int, default=0, help="extra multi-MB downloads")
    p.add_argument("--large-size", type=int, default=5 << 20, help="bytes per large download")
    p.add_argument("--mtls-share", type=_share, default=0.0,
                   help="share of connections that present a client certificate")
    p.add_argument("--transfer-share", type=_share, default=0.0,
                   help="share of connections that download --transfer-size bytes")
    p.add_argument("--transfer-size", type=int, default=100_000,
                   help="body bytes of a --transfer-share connection")
    p.add_argument("--seed", type=int, default=1, help="seed of the connection mix")
    p.add_argument("--scale", type=int, default=1, help="write the capture M times over")
    p.add_argument("--from", dest="source", type=Path, help="scale this pcap, record nothing")
    p.add_argument("--port", type=int, default=443, help="server port (and capture filter)")
    p.add_argument("--concurrency", type=int, default=3, help="threads per client process")
    p.add_argument("--timeout", type=float, default=900, help="seconds to wait for clients")
    p.add_argument("--no-netns", action="store_true", help="record on the host's lo")
    p.add_argument(NETNS_FLAG, dest="in_netns", action="store_true", help=argparse.SUPPRESS)
    preset, _ = p.parse_known_args(argv)
    if preset.preset:
        p.set_defaults(**PRESETS[preset.preset])
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    if args.scale < 1 or args.handshakes < 0 or args.large < 0:
        print("--scale must be >= 1, --handshakes and --large >= 0", file=sys.stderr)
        return 2
    if args.source is not None:
        try:
            count = scale_pcap(args.source, args.out, args.scale, args.port)
        except (OSError, ValueError) as exc:
            print(f"cannot scale {args.source}: {exc}", file=sys.stderr)
            return 2
        print(f"wrote {args.out}: {count} packets ({args.scale} copies of {args.source})")
        return 0
    if not args.in_netns and not args.no_netns:
        if can_unshare():
            cmd = ["unshare", "-n", sys.executable, os.path.abspath(__file__), *argv, NETNS_FLAG]
            return subprocess.run(cmd, check=False).returncode
        print("unshare -n failed: falling back to the host's lo (64 KB segments likely)")
    mode = setup_namespace_lo() if args.in_netns else "host lo (no network namespace)"
    out = args.out.resolve()
    target = out.with_name(out.name + ".base") if args.scale > 1 else out
    record(args, target, mode)
    if args.scale > 1:
        count = scale_pcap(target, out, args.scale, args.port)
        target.unlink()
        print(f"scaled x{args.scale}: {out} ({count} packets, {out.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
