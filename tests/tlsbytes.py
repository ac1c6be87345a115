"""Real TLS bytes for tests: handshakes between two OpenSSL endpoints (Python ``ssl``).

The client and server talk through memory BIOs, so nothing touches the network and every
byte comes from a real TLS stack. A :class:`Recording` keeps each side's bytes in wire
order (the *flights*) and, through OpenSSL's message callback, every handshake message in
plaintext, also those TLS 1.3 encrypts (EncryptedExtensions, Certificate, ...): real bytes
for the parser tests without a decryption layer.

:func:`tcp_segments` cuts the flights into TCP segments (with a SYN handshake and FINs
when asked) and :func:`pcap_of` writes them as an Ethernet/IPv4 pcap with
:mod:`tests.pcapwriter`, so the flow tests can reorder, duplicate and drop segments.
"""

from __future__ import annotations

import datetime
import ssl
import tempfile
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests import pcapwriter as pw

CLIENT_IP, SERVER_IP = "10.0.0.1", "10.0.0.2"
CLIENT_PORT, SERVER_PORT = 50000, 443
HOST = "server.test"


# -- certificates ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Pki:
    """A root CA and a server leaf (chain file: leaf + root) and a client leaf."""

    chain: Path
    key: Path
    client_chain: Path
    client_key: Path
    root: Path
    leaf_der: bytes
    root_der: bytes
    ocsp: Path  # a "good" OCSP response for the leaf, signed by the root (DER)


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _cert(subject: str, key: Any, issuer: str, issuer_key: Any, ca: bool) -> x509.Certificate:
    start = datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    b = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer))
         .public_key(key.public_key()).serial_number(x509.random_serial_number())
         .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=3650))
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if not ca:
        b = b.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
    return b.sign(issuer_key, hashes.SHA256())


def _pem(obj: Any) -> bytes:
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.PEM)
    return obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@cache
def pki() -> Pki:
    """Made once per test run, in a temporary folder that lives as long as the process."""
    d = Path(tempfile.mkdtemp(prefix="tlslens-pki-"))
    root_key = ec.generate_private_key(ec.SECP256R1())
    root = _cert("Test Root", root_key, "Test Root", root_key, True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = _cert(HOST, leaf_key, "Test Root", root_key, False)
    ckey = ec.generate_private_key(ec.SECP256R1())
    cleaf = _cert("client.test", ckey, "Test Root", root_key, False)
    (d / "chain.pem").write_bytes(_pem(leaf) + _pem(root))
    (d / "key.pem").write_bytes(_pem(leaf_key))
    (d / "client.pem").write_bytes(_pem(cleaf))
    (d / "client-key.pem").write_bytes(_pem(ckey))
    (d / "root.pem").write_bytes(_pem(root))
    from cryptography.x509 import ocsp

    now = datetime.datetime(2024, 6, 1, tzinfo=datetime.UTC)
    resp = (ocsp.OCSPResponseBuilder()
            .add_response(cert=leaf, issuer=root, algorithm=hashes.SHA1(),
                          cert_status=ocsp.OCSPCertStatus.GOOD, this_update=now,
                          next_update=now + datetime.timedelta(days=7),
                          revocation_time=None, revocation_reason=None)
            .responder_id(ocsp.OCSPResponderEncoding.HASH, root)
            .sign(root_key, hashes.SHA256()))
    (d / "ocsp.der").write_bytes(resp.public_bytes(serialization.Encoding.DER))
    return Pki(d / "chain.pem", d / "key.pem", d / "client.pem", d / "client-key.pem",
               d / "root.pem", leaf.public_bytes(serialization.Encoding.DER),
               root.public_bytes(serialization.Encoding.DER), d / "ocsp.der")


# -- handshakes -----------------------------------------------------------------------------
@dataclass
class Recording:
    """One connection's bytes. Side 0 is the client, side 1 the server."""

    flights: list[tuple[int, bytes]] = field(default_factory=list)
    #: (sender "client"|"server", msg_type, raw message with its 4-byte header), plaintext
    messages: list[tuple[str, int, bytes]] = field(default_factory=list)
    version: str | None = None
    session: ssl.SSLSession | None = None
    session_reused: bool = False
    error: str | None = None  # why the handshake failed, when it did

    def stream(self, side: int) -> bytes:
        return b"".join(b for s, b in self.flights if s == side)

    def message(self, msg_type: int, sender: str | None = None, index: int = 0) -> bytes:
        found = [raw for who, t, raw in self.messages
                 if t == msg_type and (sender is None or who == sender)]
        return found[index]

    def types(self, sender: str) -> list[int]:
        return [t for who, t, _ in self.messages if who == sender]


class Pair:
    """A client and a server context; reuse one Pair to resume sessions."""

    def __init__(self, *, version: ssl.TLSVersion = ssl.TLSVersion.TLSv1_3,
                 server_groups: str | None = None, tickets: bool = True,
                 client_cert: bool = False, ciphers: str | None = None) -> None:
        p = pki()
        self.server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server.load_cert_chain(p.chain, p.key)
        self.server.maximum_version = version
        if server_groups:
            self.server.set_ecdh_curve(server_groups)  # OpenSSL 3: the only group accepted
        if not tickets:
            self.server.options |= ssl.OP_NO_TICKET
        if client_cert:
            self.server.verify_mode = ssl.CERT_REQUIRED
            self.server.load_verify_locations(p.root)
        if ciphers:
            self.server.set_ciphers(ciphers)
        self.client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.client.check_hostname = False
        self.client.verify_mode = ssl.CERT_NONE
        self.client.maximum_version = version
        if client_cert:
            self.client.load_cert_chain(p.client_chain, p.client_key)
        self._rec: Recording | None = None
        self.client._msg_callback = self._on_msg  # type: ignore[attr-defined]

    def _on_msg(self, conn: Any, direction: str, version: Any, ctype: Any, mtype: Any,
                data: bytes) -> None:
        if self._rec is not None and int(ctype) == 22 and len(data) >= 4:
            sender = "client" if direction == "write" else "server"
            self._rec.messages.append((sender, data[0], bytes(data)))

    def handshake(self, *, session: ssl.SSLSession | None = None,
                  app: tuple[bytes, bytes] | None = (b"GET / HTTP/1.0\r\n\r\n",
                                                     b"HTTP/1.0 200 OK\r\n\r\nhello"),
                  close: bool = True) -> Recording:
        rec = self._rec = Recording()
        cin, cout, sin, sout = (ssl.MemoryBIO() for _ in range(4))
        cl = self.client.wrap_bio(cin, cout, server_hostname=HOST, session=session)
        sv = self.server.wrap_bio(sin, sout, server_side=True)

        def pump() -> None:
            for side, out, dest in ((0, cout, sin), (1, sout, cin)):
                data = out.read()
                if data:
                    rec.flights.append((side, data))
                    dest.write(data)

        done = [False, False]
        for _ in range(20):
            for i, obj in enumerate((cl, sv)):
                if not done[i]:
                    try:
                        obj.do_handshake()
                        done[i] = True
                    except ssl.SSLWantReadError:
                        pass
                    except ssl.SSLError as exc:  # a refused handshake: its alert is sent
                        rec.error = str(exc)
                pump()
                if rec.error:
                    pump()
                    self._rec = None
                    return rec
            if all(done):
                break
        if not all(done):
            raise RuntimeError("handshake did not finish")
        if app is not None:
            cl.write(app[0])
            pump()
            assert sv.read(65536) == app[0]
            sv.write(app[1])
            pump()
            assert cl.read(65536) == app[1]
            pump()
        if close:
            for obj in (cl, sv):
                try:
                    obj.unwrap()
                except (ssl.SSLWantReadError, ssl.SSLZeroReturnError, ssl.SSLError):
                    pass
                pump()
        rec.version = cl.version()
        rec.session = cl.session
        rec.session_reused = cl.session_reused
        self._rec = None
        return rec


@cache
def tls12() -> Recording:
    """A TLS 1.2 full handshake (ECDHE-ECDSA, session ticket), data, close_notify."""
    return Pair(version=ssl.TLSVersion.TLSv1_2).handshake()


@cache
def tls13() -> Recording:
    return Pair().handshake()


@cache
def tls13_hrr() -> Recording:
    """TLS 1.3 where the server accepts only secp384r1: the client's x25519 share is
    refused with a HelloRetryRequest."""
    return Pair(server_groups="secp384r1").handshake()


def openssl_pair(server_args: list[str], client_args: list[str]) -> Recording:
    """``openssl s_server`` and ``s_client`` (for what Python's ssl cannot ask for: OCSP
    stapling, PSK) talking through a recording relay on 127.0.0.1. Flights are what the
    relay forwarded, in order; ``messages`` stays empty."""
    import select
    import shutil
    import socket
    import subprocess

    if shutil.which("openssl") is None:
        raise FileNotFoundError("openssl")
    server = subprocess.Popen(["openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept",
                               "1", *server_args], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    rec = Recording()
    try:
        assert server.stdout is not None
        line = ""
        while not line.startswith("ACCEPT"):
            line = server.stdout.readline()
            if not line:
                raise RuntimeError("s_server did not start")
        port = int(line.rsplit(":", 1)[1])
        lsock = socket.create_server(("127.0.0.1", 0))
        client = subprocess.Popen(["openssl", "s_client", "-connect",
                                   f"127.0.0.1:{lsock.getsockname()[1]}", *client_args],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        lsock.settimeout(10)
        a, _ = lsock.accept()
        b = socket.create_connection(("127.0.0.1", port))
        ends = {a: (0, b), b: (1, a)}
        open_ = {a, b}
        while open_:
            ready, _, _ = select.select(list(open_), [], [], 10)
            if not ready:
                break
            for sock in ready:
                data = sock.recv(65536)
                side, peer = ends[sock]
                if not data:
                    open_.discard(sock)
                    try:
                        peer.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    continue
                if rec.flights and rec.flights[-1][0] == side:
                    rec.flights[-1] = (side, rec.flights[-1][1] + data)
                else:
                    rec.flights.append((side, data))
                try:
                    peer.sendall(data)
                except OSError:
                    open_.discard(sock)
        client.wait(10)
        for sock in (a, b, lsock):
            sock.close()
    finally:
        server.kill()
        server.wait()
    return rec


# -- TCP segments and pcaps -----------------------------------------------------------------
class Seg(NamedTuple):
    """One TCP segment of the client (side 0) or the server (side 1)."""

    side: int
    seq: int
    ack: int
    flags: int
    payload: bytes = b""


def tcp_segments(flights: list[tuple[int, bytes]], *, isn: tuple[int, int] = (1000, 5000),
                 mss: int = 1460, syn: bool = True, fin: bool = True) -> list[Seg]:
    """The flights as a TCP conversation: SYN, SYN/ACK, ACK, data in ``mss`` pieces
    (each acknowledged by the peer), FIN from both sides."""
    nxt = [(isn[0] + 1) & 0xFFFFFFFF, (isn[1] + 1) & 0xFFFFFFFF]
    out: list[Seg] = []
    if syn:
        out += [Seg(0, isn[0], 0, pw.SYN), Seg(1, isn[1], nxt[0], pw.SYN | pw.ACK),
                Seg(0, nxt[0], nxt[1], pw.ACK)]
    for side, data in flights:
        for i in range(0, len(data), mss):
            piece = data[i:i + mss]
            out.append(Seg(side, nxt[side], nxt[1 - side], pw.ACK | pw.PSH, piece))
            nxt[side] = (nxt[side] + len(piece)) & 0xFFFFFFFF
        out.append(Seg(1 - side, nxt[1 - side], nxt[side], pw.ACK))
    if fin:
        for side in (0, 1):
            out.append(Seg(side, nxt[side], nxt[1 - side], pw.FIN | pw.ACK))
            nxt[side] = (nxt[side] + 1) & 0xFFFFFFFF
    return out


def frame_of(seg: Seg, ports: tuple[int, int] = (CLIENT_PORT, SERVER_PORT)) -> bytes:
    ips = (CLIENT_IP, SERVER_IP)
    s = seg.side
    return pw.eth(pw.ipv4(pw.tcp(seg.payload, ports[s], ports[1 - s], seg.seq, seg.ack,
                                 seg.flags), ips[s], ips[1 - s]))


def pcap_of(segs: list[Seg], ports: tuple[int, int] = (CLIENT_PORT, SERVER_PORT)) -> bytes:
    return pw.pcap_bytes(frame_of(s, ports) for s in segs)


# -- third-party captures (the shared corpus), read with tshark ----------------------------
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus" / "pcaps"


def corpus_stream(name: str, stream: int = 0) -> tuple[bytes, bytes]:
    """Both directions of one TCP stream of a corpus capture, as tshark reassembles them
    (``-z follow,tcp,raw``): an oracle that shares no code with tlslens. Node 0 is the
    side that sent the stream's first packet."""
    import subprocess

    out = subprocess.run(["tshark", "-n", "-r", str(CORPUS / name), "-q", "-z",
                          f"follow,tcp,raw,{stream}"], capture_output=True, text=True,
                         check=True, timeout=60).stdout
    sides = [bytearray(), bytearray()]
    body = out.split("=" * 67)[1] if "=" * 67 in out else out
    for line in body.splitlines():
        if not line.strip() or ":" in line:
            continue
        side = 1 if line.startswith("\t") else 0
        sides[side] += bytes.fromhex(line.strip())
    return bytes(sides[0]), bytes(sides[1])


def plain_records(data: bytes) -> list[tuple[int, int, bytes]]:
    """(content type, version, fragment) of a stream that starts at a record boundary;
    a few lines that follow RFC 8446 5.1 and nothing else, to cross-check the record
    layer."""
    out, p = [], 0
    while p + 5 <= len(data):
        n = int.from_bytes(data[p + 3:p + 5], "big")
        out.append((data[p], int.from_bytes(data[p + 1:p + 3], "big"), data[p + 5:p + 5 + n]))
        p += 5 + n
    return out


def plain_handshakes(data: bytes) -> list[bytes]:
    """Raw handshake messages (header included) from the plaintext handshake records of a
    stream, up to its first ChangeCipherSpec (after it, records are encrypted)."""
    buf = b""
    for ctype, _, frag in plain_records(data):
        if ctype == 20:
            break
        if ctype == 22:
            buf += frag
    msgs, p = [], 0
    while p + 4 <= len(buf):
        n = int.from_bytes(buf[p + 1:p + 4], "big")
        msgs.append(buf[p:p + 4 + n])
        p += 4 + n
    return msgs
