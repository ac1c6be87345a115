"""NSS key log files (SSLKEYLOGFILE) and the per-run key store.

The format (NSS, also written by OpenSSL, GnuTLS, BoringSSL, Go, curl, browsers) is one
``LABEL <hex client_random> <hex secret>`` per line; ``RSA <hex first 8 bytes of the
encrypted premaster> <hex premaster>`` keys by the ClientKeyExchange instead. Lines are
read one by one: a bad line becomes a ``keylog.bad_line`` anomaly naming the file and
line, and every other line still counts (a loader that drops the whole file on one bad
line is the counter-example the architecture names).
"""

from __future__ import annotations

import binascii
from collections.abc import Iterable
from dataclasses import dataclass, field

from tlslens.anomalies import Anomaly

#: label -> expected secret length in bytes (None: any length, e.g. the TLS 1.3 hashes)
LABELS: dict[str, int | None] = {
    "CLIENT_RANDOM": 48,
    "CLIENT_EARLY_TRAFFIC_SECRET": None,
    "CLIENT_HANDSHAKE_TRAFFIC_SECRET": None,
    "SERVER_HANDSHAKE_TRAFFIC_SECRET": None,
    "CLIENT_TRAFFIC_SECRET_0": None,
    "SERVER_TRAFFIC_SECRET_0": None,
    "EXPORTER_SECRET": None,
    "EARLY_EXPORTER_SECRET": None,
    "RSA": 48,
    "ECH_SECRET": None,
    "ECH_CONFIG": None,
}
#: Secrets of TLS 1.3 hash lengths only (SHA-256, SHA-384).
_TLS13_LENGTHS = (32, 48)
_ECH = ("ECH_SECRET", "ECH_CONFIG")

#: pcapng Decryption Secrets Block type of a TLS key log (pcapng spec, "TLSK").
DSB_TLS_KEY_LOG = 0x544C534B


@dataclass(slots=True)
class KeyStore:
    """Every secret one run knows, shared by the decryptors of all its connections.

    Key logs, pcapng Decryption Secrets Blocks (which can arrive mid-capture, before the
    packets they cover) and RSA private keys go in; master secrets that decrypting
    connections learn go in too, so a later connection resuming that session (by session
    ID or ticket) decrypts without a key log line of its own."""

    secrets: dict[str, dict[bytes, bytes]] = field(default_factory=dict)
    rsa_keys: list[object] = field(default_factory=list)  # cryptography RSA private keys
    by_session_id: dict[bytes, bytes] = field(default_factory=dict)
    by_ticket: dict[bytes, bytes] = field(default_factory=dict)
    anomalies: list[Anomaly] = field(default_factory=list)
    lines: int = 0  # good lines read

    @property
    def has_material(self) -> bool:
        return bool(self.lines or self.rsa_keys)

    def get(self, label: str, key: bytes | None) -> bytes | None:
        if key is None:
            return None
        return self.secrets.get(label, {}).get(key)

    def add(self, label: str, key: bytes, secret: bytes) -> None:
        self.secrets.setdefault(label, {})[key] = secret

    def add_keylog(self, data: bytes | str, source: str) -> int:
        """Read key log text; returns the number of good lines."""
        text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
        good = 0
        for lineno, line in enumerate(text.splitlines(), 1):
            problem = self._line(line)
            if problem is None:
                good += 1 if line.strip() and not line.lstrip().startswith("#") else 0
            else:
                self.anomalies.append(Anomaly(
                    "keylog.bad_line", f"{source}:{lineno}: {problem}"))
        self.lines += good
        return good

    def add_keylog_lines(self, lines: Iterable[str], source: str) -> int:
        return self.add_keylog("\n".join(lines), source)

    def _line(self, line: str) -> str | None:
        """Store one line; None when it is fine (or blank / a comment), else why not."""
        s = line.strip()
        if not s or s.startswith("#"):
            return None
        parts = s.split()
        label = parts[0]
        if label not in LABELS:
            return f"unknown label {label[:40]!r}"
        if len(parts) != 3:
            return f"{label}: {len(parts) - 1} fields, 2 expected"
        try:
            key, secret = binascii.unhexlify(parts[1]), binascii.unhexlify(parts[2])
        except (binascii.Error, ValueError):
            return f"{label}: not hexadecimal"
        want_key = 8 if label == "RSA" else 32
        if len(key) != want_key:
            return f"{label}: {len(key)}-byte key field, {want_key} expected"
        want = LABELS[label]
        if want is not None and len(secret) != want:
            return f"{label}: {len(secret)}-byte secret, {want} expected"
        if want is None and label not in _ECH and len(secret) not in _TLS13_LENGTHS:
            return f"{label}: {len(secret)}-byte secret, 32 or 48 expected"
        self.add(label, key, secret)
        return None

    def add_secrets_block(self, secrets_type: int, data: bytes, index: int) -> None:
        """A pcapng Decryption Secrets Block: TLS key logs are read, others noted."""
        if secrets_type == DSB_TLS_KEY_LOG:
            self.add_keylog(data, f"pcapng decryption secrets block (after packet {index})")
        else:
            self.anomalies.append(Anomaly(
                "keylog.unsupported_secrets", f"pcapng decryption secrets block of type "
                f"0x{secrets_type:08x} (after packet {index}) is not a TLS key log"))

    def add_rsa_key_pem(self, pem: bytes, source: str) -> bool:
        """Load an RSA private key (PEM, unencrypted); False (and an anomaly) when not."""
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives.serialization import load_pem_private_key

        try:
            key = load_pem_private_key(pem, password=None)
        except (ValueError, TypeError) as exc:
            self.anomalies.append(Anomaly("keylog.bad_rsa_key", f"{source}: {exc}"))
            return False
        if not isinstance(key, rsa.RSAPrivateKey):
            self.anomalies.append(Anomaly("keylog.bad_rsa_key",
                                          f"{source}: not an RSA private key"))
            return False
        self.rsa_keys.append(key)
        return True
