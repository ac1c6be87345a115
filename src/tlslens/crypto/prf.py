"""Key derivation functions of every TLS version: SSL 3.0, the TLS 1.0-1.2 PRFs, HKDF.

Pure functions over bytes on top of ``cryptography``'s hashes and HMAC: they are the
RFC formulas and nothing else, so the test vectors (RFC 8448, published PRF vectors)
pin them down alone.
"""

from __future__ import annotations

from collections.abc import Callable

from cryptography.hazmat.primitives import hashes, hmac

HASHES: dict[str, Callable[[], hashes.HashAlgorithm]] = {
    "MD5": hashes.MD5, "SHA1": hashes.SHA1, "SHA256": hashes.SHA256,
    "SHA384": hashes.SHA384, "SHA512": hashes.SHA512,
}


def digest(name: str, data: bytes) -> bytes:
    h = hashes.Hash(HASHES[name]())
    h.update(data)
    return h.finalize()


def hmac_digest(name: str, key: bytes, data: bytes) -> bytes:
    h = hmac.HMAC(key, HASHES[name]())
    h.update(data)
    return h.finalize()


def p_hash(name: str, secret: bytes, seed: bytes, length: int) -> bytes:
    """P_hash of RFC 5246 5: HMAC chained over A(i)."""
    out = bytearray()
    a = seed
    while len(out) < length:
        a = hmac_digest(name, secret, a)
        out += hmac_digest(name, secret, a + seed)
    return bytes(out[:length])


def prf_tls10(secret: bytes, label: bytes, seed: bytes, length: int) -> bytes:
    """TLS 1.0/1.1 PRF (RFC 2246 5): P_MD5 over one half of the secret XOR P_SHA1 over
    the other (the halves share the middle byte when the length is odd)."""
    half = (len(secret) + 1) // 2
    md5 = p_hash("MD5", secret[:half], label + seed, length)
    sha = p_hash("SHA1", secret[len(secret) - half:], label + seed, length)
    return bytes(x ^ y for x, y in zip(md5, sha))


def prf_tls12(hash_name: str, secret: bytes, label: bytes, seed: bytes, length: int) -> bytes:
    """TLS 1.2 PRF (RFC 5246 5): P_<hash> with the suite's PRF hash."""
    return p_hash(hash_name, secret, label + seed, length)


def ssl3_expand(secret: bytes, seed: bytes, length: int) -> bytes:
    """SSL 3.0 (RFC 6101 6.1/6.2.2): MD5(secret + SHA1('A' + secret + seed)) + ... with
    'A', 'BB', 'CCC', ...; used for the master secret and for the key block."""
    out = bytearray()
    i = 0
    while len(out) < length:
        salt = bytes([ord("A") + i]) * (i + 1)
        out += digest("MD5", secret + digest("SHA1", salt + secret + seed))
        i += 1
    return bytes(out[:length])


def hkdf_extract(hash_name: str, salt: bytes, ikm: bytes) -> bytes:
    return hmac_digest(hash_name, salt or bytes(hash_size(hash_name)), ikm)


def hkdf_expand(hash_name: str, prk: bytes, info: bytes, length: int) -> bytes:
    out = bytearray()
    t = b""
    i = 1
    while len(out) < length:
        t = hmac_digest(hash_name, prk, t + info + bytes([i]))
        out += t
        i += 1
    return bytes(out[:length])


def hkdf_expand_label(hash_name: str, secret: bytes, label: str, context: bytes,
                      length: int) -> bytes:
    """HKDF-Expand-Label of RFC 8446 7.1 ("tls13 " prefix)."""
    full = b"tls13 " + label.encode()
    info = length.to_bytes(2, "big") + bytes([len(full)]) + full + bytes([len(context)]) \
        + context
    return hkdf_expand(hash_name, secret, info, length)


def hash_size(hash_name: str) -> int:
    return HASHES[hash_name]().digest_size
