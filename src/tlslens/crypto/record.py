"""Record protection: one direction's keys in, plaintext records out.

One object per direction and key epoch. Each keeps its own sequence number (the MAC or
the AEAD nonce depends on it) and, for stream ciphers and TLS 1.0's chained CBC IVs, the
cipher state carried from record to record. ``open()`` returns ``(content_type,
plaintext)`` when the record authenticates (tag, MAC and padding all check) and None when
it does not: then these keys are not this record's keys. Every primitive is
``cryptography``'s; the legacy ciphers of SSL 3.0 come from its ``decrepit`` module.
"""

from __future__ import annotations

import hmac as _hmac
import warnings
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.decrepit.ciphers import algorithms as old
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESCCM, AESGCM, ChaCha20Poly1305

from tlslens.crypto.prf import digest, hmac_digest
from tlslens.crypto.suites import SuiteParams

SSL3 = 0x0300
TLS10 = 0x0301


class RecordProtection(Protocol):
    seq: int

    def open(self, content_type: int, version: int, fragment: bytes) -> tuple[int, bytes] | None:
        ...


def _block_algorithm(cipher: str, key: bytes) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if cipher == "AES":
            return algorithms.AES(key)
        if cipher == "CAMELLIA":
            return old.Camellia(key)
        if cipher == "3DES":
            return old.TripleDES(key)
        if cipher == "DES":
            return old.TripleDES(key * 3)  # K1 = K2 = K3 is single DES
        if cipher == "IDEA":
            return old.IDEA(key)
        if cipher == "SEED":
            return old.SEED(key)
        if cipher == "RC2":
            return old.RC2(key)
    raise ValueError(f"no block cipher {cipher}")


def _mac(params: SuiteParams, version: int, mac_key: bytes, seq: int, ctype: int,
         content: bytes) -> bytes:
    """The record MAC: SSL 3.0's keyed hash (RFC 6101 5.2.3.1) or TLS's HMAC."""
    assert params.mac is not None
    if version == SSL3:
        pad = 48 if params.mac == "MD5" else 40
        inner = digest(params.mac, mac_key + b"\x36" * pad + seq.to_bytes(8, "big")
                       + bytes([ctype]) + len(content).to_bytes(2, "big") + content)
        return digest(params.mac, mac_key + b"\x5c" * pad + inner)
    return hmac_digest(params.mac, mac_key, seq.to_bytes(8, "big") + bytes([ctype])
                       + version.to_bytes(2, "big") + len(content).to_bytes(2, "big")
                       + content)


class StreamProtection:
    """RC4 or the NULL cipher, MAC-then-encrypt (SSL 3.0 .. TLS 1.2)."""

    def __init__(self, params: SuiteParams, version: int, key: bytes, mac_key: bytes) -> None:
        self.params, self.version, self.mac_key = params, version, mac_key
        self.seq = 0
        self._rc4 = None
        if params.cipher == "RC4":
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                self._rc4 = Cipher(old.ARC4(key), mode=None).decryptor()

    def open(self, content_type: int, version: int, fragment: bytes) -> tuple[int, bytes] | None:
        data = self._rc4.update(fragment) if self._rc4 is not None else fragment
        n = self.params.mac_len
        if len(data) < n:
            return None
        content, tag = data[:len(data) - n], data[len(data) - n:]
        if n and not _hmac.compare_digest(
                _mac(self.params, self.version, self.mac_key, self.seq, content_type, content),
                tag):
            return None
        self.seq += 1
        return content_type, content


class CbcProtection:
    """CBC block ciphers with MAC-then-encrypt or encrypt_then_mac (RFC 7366)."""

    def __init__(self, params: SuiteParams, version: int, key: bytes, mac_key: bytes,
                 iv: bytes, encrypt_then_mac: bool) -> None:
        self.params, self.version, self.key, self.mac_key = params, version, key, mac_key
        self.iv = iv  # SSL 3.0 / TLS 1.0: the chained IV
        self.etm = encrypt_then_mac
        self.seq = 0

    def open(self, content_type: int, version: int, fragment: bytes) -> tuple[int, bytes] | None:
        p, bs = self.params, self.params.block
        if self.etm:
            n = p.mac_len
            if len(fragment) < n + bs:
                return None
            body, tag = fragment[:-n], fragment[-n:]
            want = hmac_digest(p.mac or "SHA1", self.mac_key, self.seq.to_bytes(8, "big")
                               + bytes([content_type]) + self.version.to_bytes(2, "big")
                               + len(body).to_bytes(2, "big") + body)
            if not _hmac.compare_digest(want, tag):
                return None
            fragment = body
        explicit = self.version > TLS10
        if len(fragment) % bs or len(fragment) < bs * (2 if explicit else 1):
            return None
        if explicit:
            iv, ct = fragment[:bs], fragment[bs:]
        else:
            iv, ct = self.iv, fragment
        dec = Cipher(_block_algorithm(p.cipher, self.key), modes.CBC(iv)).decryptor()
        plain = dec.update(ct) + dec.finalize()
        pad = plain[-1]
        if self.version == SSL3:
            if pad >= bs:
                return None
        elif plain[len(plain) - pad - 1:] != bytes([pad]) * (pad + 1):
            return None
        plain = plain[:len(plain) - pad - 1]
        if not self.etm:
            if len(plain) < p.mac_len:
                return None
            content, tag = plain[:len(plain) - p.mac_len], plain[len(plain) - p.mac_len:]
            if not _hmac.compare_digest(
                    _mac(p, self.version, self.mac_key, self.seq, content_type, content), tag):
                return None
        else:
            content = plain
        if not explicit:
            self.iv = ct[-bs:]
        self.seq += 1
        return content_type, content


def _aead(params: SuiteParams, key: bytes) -> Any:
    if params.cipher == "AES-GCM":
        return AESGCM(key)
    if params.cipher == "AES-CCM":
        return AESCCM(key, tag_length=16)
    if params.cipher == "AES-CCM8":
        return AESCCM(key, tag_length=8)
    return ChaCha20Poly1305(key)


class Tls12AeadProtection:
    """TLS 1.2 AEAD (RFC 5288 GCM, RFC 6655 CCM, RFC 7905 ChaCha20-Poly1305)."""

    def __init__(self, params: SuiteParams, version: int, key: bytes, iv: bytes) -> None:
        self.params, self.aead, self.iv = params, _aead(params, key), iv
        self.seq = 0

    def open(self, content_type: int, version: int, fragment: bytes) -> tuple[int, bytes] | None:
        p = self.params
        ex = p.explicit_nonce
        if len(fragment) < ex + p.tag_len:
            return None
        if ex:
            nonce, ct = self.iv + fragment[:ex], fragment[ex:]
        else:
            nonce = bytes(a ^ b for a, b in zip(self.iv, self.seq.to_bytes(12, "big")))
            ct = fragment
        aad = self.seq.to_bytes(8, "big") + bytes([content_type]) + version.to_bytes(2, "big") \
            + (len(ct) - p.tag_len).to_bytes(2, "big")
        try:
            plain = self.aead.decrypt(nonce, ct, aad)
        except InvalidTag:
            return None
        self.seq += 1
        return content_type, plain


class Tls13Protection:
    """TLS 1.3 record protection (RFC 8446 5.2-5.4): the inner content type follows the
    plaintext, then zero padding."""

    def __init__(self, params: SuiteParams, key: bytes, iv: bytes) -> None:
        self.params, self.aead, self.iv = params, _aead(params, key), iv
        self.seq = 0

    def open(self, content_type: int, version: int, fragment: bytes) -> tuple[int, bytes] | None:
        nonce = bytes(a ^ b for a, b in zip(self.iv, self.seq.to_bytes(12, "big")))
        aad = bytes([content_type]) + version.to_bytes(2, "big") \
            + len(fragment).to_bytes(2, "big")
        try:
            inner = self.aead.decrypt(nonce, fragment, aad)
        except (InvalidTag, ValueError):
            return None
        end = len(inner)
        while end and inner[end - 1] == 0:
            end -= 1
        if not end:
            return None  # all padding: no content type (a protocol error)
        self.seq += 1
        return inner[end - 1], inner[:end - 1]
