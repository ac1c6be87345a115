"""What a TLS cipher suite is made of: key exchange, authentication, cipher, MAC, PRF.

Findings ("RC4 offered", "no forward secrecy", "export suite chosen") and the verdict need
the parts of a suite, not just its name. The data is ``cipher_suite_components.csv``
(derived from the IANA names by documented rules, rated with ciphersuite.info's severity
rules; see docs/data-sources.md), generated into ``_iana.py``. Only IANA-assigned suites
have components; non-IANA, GREASE and unknown codes give ``None``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from tlslens.registry._iana import CIPHER_COMPONENTS, CIPHER_FIELDS

__all__ = ["CipherSuite", "components"]


@dataclass(frozen=True, slots=True)
class CipherSuite:
    """One assigned cipher suite. Strings are the CSV's tokens; ``None`` = not applicable
    (the two signaling values 0x00FF and 0x5600 have no components at all)."""

    code: int
    name: str
    kind: str  # "cipher_suite" | "signaling"
    tls13: bool  # a TLS 1.3 suite (kx and au are then "any": negotiated separately)
    kx: str | None  # RSA, DH, DHE, ECDH, ECDHE, PSK, SRP, KRB5, ECCPWD, NULL, any, ...
    au: str | None  # RSA, DSS, ECDSA, anon, PSK, RSA+PSK, NULL, any, ...
    export: bool
    enc: str | None  # the name token: AES_256_GCM, RC4_128, 3DES_EDE_CBC, ...
    enc_cipher: str | None  # AES, CHACHA20, RC4, 3DES, NULL, ...
    enc_mode: str | None  # CBC, GCM, CCM, CCM_8, POLY1305, STREAM, ...; None for NULL
    enc_key_bits: int | None  # nominal (3DES = 168)
    aead: bool | None
    mac: str | None  # AEAD, HMAC-SHA1, HMAC-MD5, ...
    hash: str | None  # last name token: SHA1 (for "SHA"), SHA256, MD5, ...
    prf: str | None
    fs: bool | None  # forward secrecy
    security: str | None  # recommended | secure | weak | insecure (ciphersuite.info rules)
    security_basis: tuple[str, ...]  # the vulnerabilities that decided ``security``
    recommended: str | None  # IANA "Recommended": Y, N or D (discouraged)
    min_version: int | None  # wire version code, e.g. 0x0303
    max_version: int | None


if tuple(f.name for f in fields(CipherSuite)) != CIPHER_FIELDS:  # pragma: no cover
    raise ImportError("registry/_iana.py is stale: run scripts/gen_registry.py")

# 356 small objects, built once at import: lookups are then a dict get.
_SUITES: dict[int, CipherSuite] = {
    code: CipherSuite(*row)  # type: ignore[arg-type]
    for code, row in CIPHER_COMPONENTS.items()
}


def components(code: int) -> CipherSuite | None:
    """The parts of cipher suite ``code``, or None when it is not an IANA-assigned suite."""
    return _SUITES.get(code)
