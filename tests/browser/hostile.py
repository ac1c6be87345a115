"""A real TLS 1.2 handshake whose wire strings are hostile: for the "shown inert" tests.

SNI, ALPN (offered and chosen) and the certificate's subject and issuer names carry HTML,
``<script>`` and terminal escape sequences. The handshake is OpenSSL's own (Python ``ssl``
over memory BIOs, as :mod:`tests.tlsbytes`), the certificate is made here with
``cryptography``; :func:`tests.tlsbytes.tcp_segments` turns the flights into a pcap.
"""

from __future__ import annotations

import datetime as dt
import ssl
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests import pcapwriter as pw
from tests.tlsbytes import Seg, tcp_segments

SNI = "<script>document.title='pwned'</script>.\x1b[31mred\x1b]0;title\x07"
ALPN = "<img src=x onerror=alert(1)>\x1b[2J"
CN = "<script>alert('cn')</script>\x1b[5m"
ORG = "<iframe src=\"https://example.com\"></iframe>\u202eevil"
#: Markers that must never become elements when a report is rendered.
FORBIDDEN_TAGS = ("script", "img", "iframe")


def _cert() -> tuple[bytes, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, ORG),
                      x509.NameAttribute(NameOID.COMMON_NAME, CN)])
    start = dt.datetime(2024, 1, 1, tzinfo=dt.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(start).not_valid_after(start + dt.timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    pem = serialization.Encoding.PEM
    return cert.public_bytes(pem), key.private_bytes(
        pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def handshake_flights() -> list[tuple[int, bytes]]:
    """Client (0) and server (1) flights of one TLS 1.2 handshake with the hostile strings."""
    cert_pem, key_pem = _cert()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "c.pem").write_bytes(cert_pem)
        (Path(tmp) / "k.pem").write_bytes(key_pem)
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(Path(tmp) / "c.pem", Path(tmp) / "k.pem")
    server.maximum_version = ssl.TLSVersion.TLSv1_2
    server.set_alpn_protocols([ALPN])
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    client.set_alpn_protocols([ALPN, "http/1.1"])
    cin, cout, sin, sout = (ssl.MemoryBIO() for _ in range(4))
    cl = client.wrap_bio(cin, cout, server_hostname=SNI)
    sv = server.wrap_bio(sin, sout, server_side=True)
    flights: list[tuple[int, bytes]] = []
    done = [False, False]
    for _ in range(20):
        for i, obj in enumerate((cl, sv)):
            if not done[i]:
                try:
                    obj.do_handshake()
                    done[i] = True
                except ssl.SSLWantReadError:
                    pass
            for side, out, dest in ((0, cout, sin), (1, sout, cin)):
                data = out.read()
                if data:
                    flights.append((side, data))
                    dest.write(data)
        if all(done):
            break
    if not all(done) or cl.selected_alpn_protocol() != ALPN:
        raise RuntimeError("the hostile handshake did not complete as planned")
    return flights


def write_hostile_pcap(path: Path) -> Path:
    """Write the hostile handshake as an Ethernet/IPv4 pcap; returns ``path``."""
    segs: list[Seg] = tcp_segments(handshake_flights())
    frames = []
    for n, seg in enumerate(segs):
        s = seg.side
        ips, ports = ("10.0.0.1", "10.0.0.2"), (50000, 443)
        frames.append((pw.BASE_TS_NS + n * 1_000_000,
                       pw.eth(pw.ipv4(pw.tcp(seg.payload, ports[s], ports[1 - s], seg.seq,
                                             seg.ack, seg.flags), ips[s], ips[1 - s]))))
    pw.write_pcap(path, frames)
    return path
