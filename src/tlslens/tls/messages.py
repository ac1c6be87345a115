"""Decoded TLS messages: immutable values, field names as in RFC 8446.

Code points stay raw ``int`` (unknown and GREASE values must never fail a lookup); names
are attached only by the report layer. Raw wire bytes are kept wherever a fingerprint,
a signature check or a report may need them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tlslens.fastinit import fast_init

# HandshakeType code points (RFC 8446 4, RFC 5246 7.4, RFC 8879, RFC 4366)
HELLO_REQUEST = 0
CLIENT_HELLO = 1
SERVER_HELLO = 2
HELLO_VERIFY_REQUEST = 3
NEW_SESSION_TICKET = 4
END_OF_EARLY_DATA = 5
HELLO_RETRY_REQUEST = 6
ENCRYPTED_EXTENSIONS = 8
CERTIFICATE = 11
SERVER_KEY_EXCHANGE = 12
CERTIFICATE_REQUEST = 13
SERVER_HELLO_DONE = 14
CERTIFICATE_VERIFY = 15
CLIENT_KEY_EXCHANGE = 16
FINISHED = 20
CERTIFICATE_URL = 21
CERTIFICATE_STATUS = 22
SUPPLEMENTAL_DATA = 23
KEY_UPDATE = 24
COMPRESSED_CERTIFICATE = 25
MESSAGE_HASH = 254

# ContentType
CHANGE_CIPHER_SPEC = 20
ALERT = 21
HANDSHAKE = 22
APPLICATION_DATA = 23
HEARTBEAT = 24

#: ServerHello.random of a HelloRetryRequest (RFC 8446 4.1.3): SHA-256("HelloRetryRequest")
HRR_RANDOM = bytes.fromhex(
    "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")
DOWNGRADE_TLS12 = b"DOWNGRD\x01"
DOWNGRADE_TLS11 = b"DOWNGRD\x00"


@fast_init
@dataclass(frozen=True, slots=True)
class Extension:
    """One extension as sent. ``data`` holds JSON-ready decoded fields, or None when the
    format is unknown or it did not parse (``error`` then says why)."""

    code: int
    raw: bytes
    data: Any = None
    error: str | None = None


class _WithExtensions:
    """Lookups shared by the messages that carry an extension list."""

    __slots__ = ()
    extensions: tuple[Extension, ...]

    @property
    def extension_types(self) -> tuple[int, ...]:
        # (a list comprehension: faster than a generator; read per connection)
        return tuple([e.code for e in self.extensions])

    def extension(self, code: int) -> Extension | None:
        """The first extension with this code point, or None."""
        for e in self.extensions:
            if e.code == code:
                return e
        return None


@fast_init
@dataclass(frozen=True, slots=True)
class ClientHello(_WithExtensions):
    record_version: int
    legacy_version: int
    random: bytes | None  # None for an SSLv2-format hello
    legacy_session_id: bytes
    cipher_suites: tuple[int, ...]  # SSLv2 format: the 24-bit cipher specs
    compression_methods: tuple[int, ...]
    extensions: tuple[Extension, ...]
    sslv2_format: bool = False
    challenge: bytes | None = None  # SSLv2 format only
    # Convenience views filled from the extensions at parse time (wire order, GREASE kept).
    server_name: str | None = None
    alpn: tuple[str, ...] = ()
    supported_groups: tuple[int, ...] = ()
    ec_point_formats: tuple[int, ...] = ()
    signature_algorithms: tuple[int, ...] = ()
    signature_algorithms_cert: tuple[int, ...] = ()
    supported_versions: tuple[int, ...] = ()
    key_share_groups: tuple[int, ...] = ()
    psk_key_exchange_modes: tuple[int, ...] = ()
    psk_identities: int = 0
    raw: bytes = b""  # the whole handshake message (header included) or SSLv2 record



@fast_init
@dataclass(frozen=True, slots=True)
class ServerHello(_WithExtensions):
    record_version: int
    legacy_version: int
    random: bytes | None  # None for SSLv2
    legacy_session_id: bytes  # SSLv2: the connection id
    cipher_suite: int | None  # None for SSLv2
    compression_method: int | None
    extensions: tuple[Extension, ...]
    sslv2_format: bool = False
    sslv2_cipher_specs: tuple[int, ...] = ()
    sslv2_certificate: bytes | None = None
    hello_retry_request: bool = False
    selected_version: int | None = None
    alpn: str | None = None
    key_share_group: int | None = None
    ec_point_formats: tuple[int, ...] = ()
    raw: bytes = b""

    @property
    def downgrade_sentinel(self) -> str | None:
        if self.random is None:
            return None
        tail = self.random[-8:]
        if tail == DOWNGRADE_TLS12:
            return "tls12"
        if tail == DOWNGRADE_TLS11:
            return "tls11"
        return None



@fast_init
@dataclass(frozen=True, slots=True)
class CertificateEntry:
    der: bytes
    extensions: tuple[Extension, ...] = ()


@fast_init
@dataclass(frozen=True, slots=True)
class CertificateMsg:
    request_context: bytes | None  # TLS 1.3 only
    entries: tuple[CertificateEntry, ...]


@fast_init
@dataclass(frozen=True, slots=True)
class ServerKeyExchange:
    kind: str  # ecdhe, dhe, rsa, psk, ecdhe_psk, dhe_psk, rsa_psk, unknown
    curve_type: int | None = None
    named_curve: int | None = None
    explicit_curve: bytes | None = None  # raw explicit-curve parameters
    public_key: bytes | None = None  # EC point
    dh_p: bytes | None = None
    dh_g: bytes | None = None
    dh_ys: bytes | None = None
    rsa_modulus: bytes | None = None
    rsa_exponent: bytes | None = None
    psk_identity_hint: bytes | None = None
    signature_algorithm: int | None = None  # TLS 1.2 only
    signature: bytes | None = None
    params: bytes = b""  # the signed params, for signature verification


@fast_init
@dataclass(frozen=True, slots=True)
class ClientKeyExchange:
    kind: str  # ecdh, dh, rsa, psk, ..., unknown
    public_key: bytes | None = None  # EC point, DH Yc, or encrypted premaster
    psk_identity: bytes | None = None


@fast_init
@dataclass(frozen=True, slots=True)
class CertificateRequest:
    certificate_types: tuple[int, ...]
    signature_algorithms: tuple[int, ...]
    certificate_authorities: tuple[bytes, ...]  # DER distinguished names
    request_context: bytes | None = None  # TLS 1.3
    extensions: tuple[Extension, ...] = ()


@fast_init
@dataclass(frozen=True, slots=True)
class CertificateVerify:
    signature_algorithm: int | None  # None before TLS 1.2
    signature: bytes


@fast_init
@dataclass(frozen=True, slots=True)
class NewSessionTicket:
    lifetime: int
    age_add: int | None  # TLS 1.3
    nonce: bytes | None  # TLS 1.3
    ticket: bytes
    extensions: tuple[Extension, ...] = ()


@fast_init
@dataclass(frozen=True, slots=True)
class CertificateStatus:
    status_type: int
    response: bytes  # OCSP response DER (type 1); for ocsp_multi the first


@fast_init
@dataclass(frozen=True, slots=True)
class CompressedCertificate:
    algorithm: int
    uncompressed_length: int
    compressed: bytes


@fast_init
@dataclass(frozen=True, slots=True)
class KeyUpdate:
    request_update: int


@fast_init
@dataclass(frozen=True, slots=True)
class Finished:
    verify_data: bytes


@fast_init
@dataclass(frozen=True, slots=True)
class EncryptedExtensions:
    extensions: tuple[Extension, ...]


@fast_init
@dataclass(frozen=True, slots=True)
class HandshakeMessage:
    """One handshake message: its header fields, raw bytes and decoded body.

    ``body`` is one of the message classes above, or None when the type is unknown or the
    body did not parse (then ``error`` says why and the raw bytes are kept)."""

    direction: str
    msg_type: int
    length: int
    raw: bytes  # header + body as on the wire
    frame: int
    ts_ns: int
    body: Any = None
    error: str | None = None
    encrypted: bool = False
    decrypted: bool = False
    extras: tuple[str, ...] = field(default=())
