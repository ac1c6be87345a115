"""TLS 1.3 (RFC 8446): traffic keys from the key log's secrets, key updates, Finished and
CertificateVerify checks, and the transcript hash (with HelloRetryRequest's
message_hash substitution, 4.4.1)."""

from __future__ import annotations

from collections.abc import Callable

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

from tlslens.crypto.prf import digest, hash_size, hkdf_expand_label, hmac_digest
from tlslens.crypto.record import Tls13Protection
from tlslens.crypto.suites import SuiteParams

MESSAGE_HASH = 254


def traffic_protection(params: SuiteParams, secret: bytes) -> Tls13Protection:
    """Record protection from one traffic secret (7.3)."""
    key = hkdf_expand_label(params.prf, secret, "key", b"", params.key_len)
    iv = hkdf_expand_label(params.prf, secret, "iv", b"", 12)
    return Tls13Protection(params, key, iv)


def next_secret(params: SuiteParams, secret: bytes) -> bytes:
    """application_traffic_secret_N+1 after a KeyUpdate (7.2)."""
    return hkdf_expand_label(params.prf, secret, "traffic upd", b"", hash_size(params.prf))


def transcript_hash(hash_name: str, messages: list[bytes], hrr: bool) -> bytes:
    """Transcript-Hash of the handshake messages so far; after a HelloRetryRequest the
    first ClientHello is replaced by a synthetic message_hash message."""
    data = b"".join(messages)
    if hrr and messages:
        h1 = digest(hash_name, messages[0])
        data = bytes([MESSAGE_HASH, 0, 0, len(h1)]) + h1 + b"".join(messages[1:])
    return digest(hash_name, data)


def finished(params: SuiteParams, base_secret: bytes, thash: bytes) -> bytes:
    """verify_data of a Finished sent under ``base_secret`` (the sender's handshake
    traffic secret) after a transcript hashing to ``thash`` (4.4.4)."""
    key = hkdf_expand_label(params.prf, base_secret, "finished", b"", hash_size(params.prf))
    return hmac_digest(params.prf, key, thash)


_CV_CONTEXT = {"server": b"TLS 1.3, server CertificateVerify",
               "client": b"TLS 1.3, client CertificateVerify"}
_HASH: dict[str, Callable[[], hashes.HashAlgorithm]] = {"SHA256": hashes.SHA256, "SHA384": hashes.SHA384, "SHA512": hashes.SHA512,
         "SHA1": hashes.SHA1}
#: SignatureScheme -> (kind, hash name)
_SCHEMES = {
    0x0403: ("ecdsa", "SHA256"), 0x0503: ("ecdsa", "SHA384"), 0x0603: ("ecdsa", "SHA512"),
    0x0804: ("pss", "SHA256"), 0x0805: ("pss", "SHA384"), 0x0806: ("pss", "SHA512"),
    0x0809: ("pss", "SHA256"), 0x080A: ("pss", "SHA384"), 0x080B: ("pss", "SHA512"),
    0x0401: ("pkcs1", "SHA256"), 0x0501: ("pkcs1", "SHA384"), 0x0601: ("pkcs1", "SHA512"),
    0x0201: ("pkcs1", "SHA1"), 0x0203: ("ecdsa", "SHA1"),
    0x0807: ("ed25519", ""), 0x0808: ("ed448", ""),
}


def verify_certificate_verify(role: str, scheme: int | None, signature: bytes,
                              cert_der: bytes, thash: bytes) -> bool | None:
    """Check a TLS 1.3 CertificateVerify signature (4.4.3) with the leaf's public key.
    None when it cannot be checked (unknown scheme, unreadable certificate)."""
    from cryptography import x509

    if scheme not in _SCHEMES:
        return None
    try:
        key = x509.load_der_x509_certificate(cert_der).public_key()
    except Exception:  # noqa: BLE001 - cryptography raises several types on bad DER
        return None
    content = b" " * 64 + _CV_CONTEXT[role] + b"\x00" + thash
    kind, hname = _SCHEMES[scheme]
    try:
        if kind == "ecdsa" and isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, content, ec.ECDSA(_HASH[hname]()))
        elif kind == "pss" and isinstance(key, rsa.RSAPublicKey):
            h = _HASH[hname]()
            key.verify(signature, content, padding.PSS(padding.MGF1(h), h.digest_size), h)
        elif kind == "pkcs1" and isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, content, padding.PKCS1v15(), _HASH[hname]())
        elif (kind == "ed25519" and isinstance(key, ed25519.Ed25519PublicKey)) or \
                (kind == "ed448" and isinstance(key, ed448.Ed448PublicKey)):
            key.verify(signature, content)
        else:
            return False  # the scheme does not fit the certificate's key
    except InvalidSignature:
        return False
    except (ValueError, TypeError):
        return None
    return True
