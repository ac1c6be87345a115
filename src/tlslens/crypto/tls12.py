"""SSL 3.0 .. TLS 1.2: master secret, key block, export keys, Finished.

The formulas of RFC 6101 (SSL 3.0), RFC 2246 (TLS 1.0, with its export key derivation),
RFC 4346, RFC 5246 and RFC 7627 (extended master secret), as pure functions. The
decryptor calls them; the tests check them against captures real stacks made.
"""

from __future__ import annotations

from typing import NamedTuple

from tlslens.crypto.prf import digest, prf_tls10, prf_tls12, ssl3_expand
from tlslens.crypto.record import (
    SSL3,
    TLS10,
    CbcProtection,
    RecordProtection,
    StreamProtection,
    Tls12AeadProtection,
)
from tlslens.crypto.suites import SuiteParams

TLS12 = 0x0303


def prf(version: int, params: SuiteParams, secret: bytes, label: bytes, seed: bytes,
        length: int) -> bytes:
    if version >= TLS12:
        return prf_tls12(params.prf, secret, label, seed, length)
    return prf_tls10(secret, label, seed, length)


def handshake_hash(version: int, params: SuiteParams, transcript: bytes) -> bytes:
    """Hash of the handshake messages: the PRF hash (TLS 1.2) or MD5 + SHA-1."""
    if version >= TLS12:
        return digest(params.prf, transcript)
    return digest("MD5", transcript) + digest("SHA1", transcript)


def master_secret(version: int, params: SuiteParams, premaster: bytes, client_random: bytes,
                  server_random: bytes, session_hash: bytes | None = None) -> bytes:
    """The 48-byte master secret; ``session_hash`` given: the extended one (RFC 7627)."""
    if version == SSL3:
        return ssl3_expand(premaster, client_random + server_random, 48)
    if session_hash is not None:
        return prf(version, params, premaster, b"extended master secret", session_hash, 48)
    return prf(version, params, premaster, b"master secret", client_random + server_random, 48)


class Keys(NamedTuple):
    """One side's write keys."""

    mac_key: bytes
    key: bytes
    iv: bytes


def key_block(version: int, params: SuiteParams, master: bytes, client_random: bytes,
              server_random: bytes) -> tuple[Keys, Keys]:
    """(client write keys, server write keys) from the master secret."""
    m, k, v = params.mac_len, params.key_len, params.iv_len
    seed = server_random + client_random
    n = 2 * (m + k + v)
    block = ssl3_expand(master, seed, n) if version == SSL3 else \
        prf(version, params, master, b"key expansion", seed, n)
    cmac, smac = block[:m], block[m:2 * m]
    ckey, skey = block[2 * m:2 * m + k], block[2 * m + k:2 * m + 2 * k]
    civ = block[2 * m + 2 * k:2 * m + 2 * k + v]
    siv = block[2 * m + 2 * k + v:n]
    if params.export:
        ckey, skey, civ, siv = _export_keys(version, params, ckey, skey, client_random,
                                            server_random)
    return Keys(cmac, ckey, civ), Keys(smac, skey, siv)


def _export_keys(version: int, params: SuiteParams, ckey: bytes, skey: bytes,
                 cr: bytes, sr: bytes) -> tuple[bytes, bytes, bytes, bytes]:
    """The 40-bit export key material expanded to full keys, and the IVs derived from the
    randoms alone (RFC 6101 6.2.2, RFC 2246 6.3)."""
    full, v = params.full_key_len, params.iv_len
    if version == SSL3:
        return (digest("MD5", ckey + cr + sr)[:full], digest("MD5", skey + sr + cr)[:full],
                digest("MD5", cr + sr)[:v], digest("MD5", sr + cr)[:v])
    iv_block = prf_tls10(b"", b"IV block", cr + sr, 2 * v)
    return (prf_tls10(ckey, b"client write key", cr + sr, full),
            prf_tls10(skey, b"server write key", cr + sr, full), iv_block[:v], iv_block[v:])


def protection(version: int, params: SuiteParams, keys: Keys,
               encrypt_then_mac: bool) -> RecordProtection:
    """The record protection of one direction."""
    if params.aead:
        return Tls12AeadProtection(params, version, keys.key, keys.iv)
    if params.block:
        return CbcProtection(params, version, keys.key, keys.mac_key, keys.iv,
                             encrypt_then_mac)
    return StreamProtection(params, version, keys.key, keys.mac_key)


_SSL3_SENDER = {"client": b"CLNT", "server": b"SRVR"}


def finished(version: int, params: SuiteParams, master: bytes, role: str,
             transcript: bytes) -> bytes:
    """The verify_data the ``role``'s Finished must carry after ``transcript``."""
    if version == SSL3:
        sender = _SSL3_SENDER[role]
        out = b""
        for name, pad in (("MD5", 48), ("SHA1", 40)):
            inner = digest(name, transcript + sender + master + b"\x36" * pad)
            out += digest(name, master + b"\x5c" * pad + inner)
        return out
    label = b"client finished" if role == "client" else b"server finished"
    return prf(version, params, master, label, handshake_hash(version, params, transcript), 12)


__all__ = ["SSL3", "TLS10", "TLS12", "Keys", "finished", "handshake_hash", "key_block",
           "master_secret", "protection"]
