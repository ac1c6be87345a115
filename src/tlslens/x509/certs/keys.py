"""Public keys and signatures: key type and size, signature checks, self-signed verdict."""

from __future__ import annotations

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import (
    dh,
    dsa,
    ec,
    ed448,
    ed25519,
    padding,
    rsa,
    x448,
    x25519,
)

from tlslens.x509.certs.values import PublicKeyInfo

try:  # ML-DSA keys exist only in recent cryptography releases.
    from cryptography.hazmat.primitives.asymmetric import mldsa as _mldsa
except ImportError:  # pragma: no cover - depends on the installed cryptography
    _mldsa = None  # type: ignore[assignment]


def _public_key_info(key: object) -> PublicKeyInfo:
    if isinstance(key, rsa.RSAPublicKey):
        return PublicKeyInfo("rsa", key.key_size, None)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return PublicKeyInfo("ec", key.curve.key_size, key.curve.name)
    if isinstance(key, dsa.DSAPublicKey):
        return PublicKeyInfo("dsa", key.key_size, None)
    if isinstance(key, dh.DHPublicKey):
        return PublicKeyInfo("dh", key.key_size, None)
    for cls, kind in ((ed25519.Ed25519PublicKey, "ed25519"), (ed448.Ed448PublicKey, "ed448"),
                      (x25519.X25519PublicKey, "x25519"), (x448.X448PublicKey, "x448")):
        if isinstance(key, cls):
            return PublicKeyInfo(kind, len(key.public_bytes_raw()) * 8, None)
    if _mldsa is not None:
        for size in ("44", "65", "87"):
            ml_cls = getattr(_mldsa, f"MLDSA{size}PublicKey", None)
            if ml_cls is not None and isinstance(key, ml_cls):
                return PublicKeyInfo(f"ml-dsa-{size}", len(key.public_bytes_raw()) * 8, None)
    return PublicKeyInfo("unknown", 0, None)


def verify_signed_by(cert: x509.Certificate, issuer_key: object) -> bool | None:
    """Does ``issuer_key`` verify ``cert``'s signature? None when it cannot be checked.

    Why not ``cert.verify_directly_issued_by``: it refuses SHA-1, MD5 and DSA signatures,
    which are exactly what old captures hold. The primitives still verify them, so this
    checks the signature over the TBS bytes itself (RSA PKCS#1 v1.5 and PSS, ECDSA, DSA,
    EdDSA, ML-DSA). An unsupported hash or a key that does not fit the algorithm gives None.
    """
    try:
        hash_alg = cert.signature_hash_algorithm
        params = cert.signature_algorithm_parameters
        signature, tbs = cert.signature, cert.tbs_certificate_bytes
        if isinstance(issuer_key, rsa.RSAPublicKey):
            if params is None:  # cryptography gives no padding for md5WithRSAEncryption
                params = padding.PKCS1v15()
            issuer_key.verify(signature, tbs, params, hash_alg)  # type: ignore[arg-type]
        elif isinstance(issuer_key, ec.EllipticCurvePublicKey):
            issuer_key.verify(signature, tbs, ec.ECDSA(hash_alg))  # type: ignore[arg-type]
        elif isinstance(issuer_key, dsa.DSAPublicKey):
            issuer_key.verify(signature, tbs, hash_alg)  # type: ignore[arg-type]
        elif hash_alg is None and hasattr(issuer_key, "verify"):  # EdDSA, ML-DSA
            issuer_key.verify(signature, tbs)
        else:
            return None
    except InvalidSignature:
        return False
    except Exception:  # noqa: BLE001 - unsupported hash, key/algorithm mismatch, ...
        return None
    return True


def _self_signed(cert: x509.Certificate, subject: x509.Name | None,
                 issuer: x509.Name | None, key: object) -> tuple[bool, bool | None]:
    """(self_signed, self_signature_valid).

    Self-signed means subject == issuer and, when the signature can be checked, it
    verifies with the certificate's own key. A signature that cannot be checked
    (unsupported algorithm, unreadable key) leaves the verdict to the names.
    """
    if subject is None or issuer is None or subject != issuer:
        return False, None
    valid = None if key is None else verify_signed_by(cert, key)
    return valid is not False, valid
