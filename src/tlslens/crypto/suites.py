"""What decrypting a cipher suite takes: cipher, key and IV sizes, MAC, PRF hash.

Derived from the registry's components of each IANA suite (``tlslens.registry.ciphers``),
so a suite tlslens can name is a suite it can judge; :func:`suite_params` says None for
the ones ``cryptography`` cannot decrypt (ARIA, GOST, SM4, AEGIS, Camellia-GCM, ...),
which the decryptor reports as ``unsupported_cipher``.
"""

from __future__ import annotations

from dataclasses import dataclass

from tlslens.registry.ciphers import components

#: cipher token -> (key bytes, block size (0: stream or AEAD), fixed IV bytes in TLS 1.2)
_CIPHERS: dict[str, tuple[str, int, int, int]] = {
    # enc token: (cipher family, key bytes, block bytes, TLS 1.2 IV/salt bytes)
    "NULL": ("NULL", 0, 0, 0),
    "RC4_128": ("RC4", 16, 0, 0),
    "RC4_40": ("RC4", 5, 0, 0),
    "RC2_CBC_40": ("RC2", 5, 8, 8),
    "DES40_CBC": ("DES", 5, 8, 8),
    "DES_CBC_40": ("DES", 5, 8, 8),
    "DES_CBC": ("DES", 8, 8, 8),
    "3DES_EDE_CBC": ("3DES", 24, 8, 8),
    "IDEA_CBC": ("IDEA", 16, 8, 8),
    "SEED_CBC": ("SEED", 16, 16, 16),
    "AES_128_CBC": ("AES", 16, 16, 16),
    "AES_256_CBC": ("AES", 32, 16, 16),
    "CAMELLIA_128_CBC": ("CAMELLIA", 16, 16, 16),
    "CAMELLIA_256_CBC": ("CAMELLIA", 32, 16, 16),
    "AES_128_GCM": ("AES-GCM", 16, 0, 4),
    "AES_256_GCM": ("AES-GCM", 32, 0, 4),
    "AES_128_CCM": ("AES-CCM", 16, 0, 4),
    "AES_256_CCM": ("AES-CCM", 32, 0, 4),
    "AES_128_CCM_8": ("AES-CCM8", 16, 0, 4),
    "AES_256_CCM_8": ("AES-CCM8", 32, 0, 4),
    "CHACHA20_POLY1305": ("CHACHA20-POLY1305", 32, 0, 12),
}

_MACS = {"HMAC-MD5": ("MD5", 16), "HMAC-SHA1": ("SHA1", 20), "HMAC-SHA256": ("SHA256", 32),
         "HMAC-SHA384": ("SHA384", 48), "AEAD": (None, 0), "NULL": (None, 0)}

#: Export ciphers expand their 40-bit key material to the cipher's real key length.
_EXPORT_FULL_KEY = {"RC4": 16, "RC2": 16, "DES": 8}


@dataclass(frozen=True, slots=True)
class SuiteParams:
    """The decryption recipe of one suite."""

    code: int
    name: str
    cipher: str  # NULL, RC4, RC2, DES, 3DES, IDEA, SEED, AES, CAMELLIA, AES-GCM, ...
    key_len: int  # bytes taken from the key block (the secret part for export suites)
    block: int  # CBC block size, 0 otherwise
    iv_len: int  # TLS 1.2 fixed IV / salt bytes (TLS 1.3 always uses 12)
    mac: str | None  # MAC hash name, None for AEAD and NULL-MAC
    mac_len: int
    prf: str  # TLS 1.2 PRF / TLS 1.3 HKDF hash
    export: bool
    full_key_len: int  # export: the expanded key length; else key_len
    tls13: bool

    @property
    def aead(self) -> bool:
        return self.cipher in ("AES-GCM", "AES-CCM", "AES-CCM8", "CHACHA20-POLY1305")

    @property
    def tag_len(self) -> int:
        return 8 if self.cipher == "AES-CCM8" else 16 if self.aead else 0

    @property
    def explicit_nonce(self) -> int:
        """TLS 1.2 per-record explicit nonce bytes (GCM, CCM: 8; ChaCha20: none)."""
        return 8 if self.aead and self.cipher != "CHACHA20-POLY1305" else 0


def suite_params(code: int | None) -> SuiteParams | None:
    """The recipe for suite ``code``, or None when tlslens cannot decrypt it."""
    if code is None:
        return None
    comp = components(code)
    if comp is None or comp.enc is None or comp.enc not in _CIPHERS or comp.mac not in _MACS:
        return None
    cipher, key_len, block, iv_len = _CIPHERS[comp.enc]
    mac, mac_len = _MACS[comp.mac]
    prf = comp.prf or ""
    prf_hash = "SHA384" if "SHA384" in prf.split(" ")[0] else "SHA256"
    export = bool(comp.export)
    full = _EXPORT_FULL_KEY.get(cipher, key_len) if export else key_len
    return SuiteParams(code, comp.name, cipher, key_len, block, iv_len, mac, mac_len,
                       prf_hash, export, full, bool(comp.tls13))
