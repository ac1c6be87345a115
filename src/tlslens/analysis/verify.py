"""Verification: signatures, the certificate chain, the host name, validity dates.

Pure functions of decoded values (``CertSummary``, TLS messages, times): no I/O, no
clock. The capture's time is always passed in, because a certificate must be judged at
the moment the handshake happened, never at "now" (the seed's intermediate had expired
when it was captured; judged today, every old capture would look expired).

What is checked and why:

- ``verify_server_key_exchange``: the ServerKeyExchange signature over
  client_random + server_random + params with the leaf's public key. It is the proof
  that the peer holding the certificate's key chose these (EC)DHE parameters; without
  it anyone on the path could substitute their own.
- ``chain_links``: each certificate against the one sent after it (names, key ids, the
  signature), the order, and self-signed roots.
- ``hostname_matches``: the SNI against the leaf's subjectAltName (RFC 6125 section 6).
- ``validity_at``: each certificate's notBefore/notAfter against the capture time.

TLS 1.3 CertificateVerify needs the transcript hash, so it is left to decryption.
"""

from __future__ import annotations

import datetime as _dt
import functools
import hashlib
import ipaddress
from collections.abc import Sequence
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa

from tlslens.analysis.memo import IdentityCache
from tlslens.analysis.model import ChainLink
from tlslens.tls import messages as m
from tlslens.x509.certs import CertSummary, verify_signed_by

__all__ = [
    "chain_links",
    "hostname_matches",
    "leaf_dns_names",
    "scheme_parts",
    "validity_at",
    "verify_server_key_exchange",
    "verify_signature",
]

_HASHES: dict[int, type[hashes.HashAlgorithm]] = {
    1: hashes.MD5, 2: hashes.SHA1, 3: hashes.SHA224, 4: hashes.SHA256, 5: hashes.SHA384,
    6: hashes.SHA512,
}
#: RFC 8446 4.2.3 schemes that do not follow TLS 1.2's (hash << 8 | signature) layout.
_SPECIAL: dict[int, tuple[str, type[hashes.HashAlgorithm] | None]] = {
    0x0804: ("pss", hashes.SHA256), 0x0805: ("pss", hashes.SHA384),
    0x0806: ("pss", hashes.SHA512), 0x0809: ("pss", hashes.SHA256),
    0x080A: ("pss", hashes.SHA384), 0x080B: ("pss", hashes.SHA512),
    0x0807: ("ed25519", None), 0x0808: ("ed448", None),
    0x081A: ("ecdsa", hashes.SHA256), 0x081B: ("ecdsa", hashes.SHA384),
    0x081C: ("ecdsa", hashes.SHA512),
}
_SIG_KIND = {1: "rsa", 2: "dsa", 3: "ecdsa"}


def scheme_parts(scheme: int) -> tuple[str, type[hashes.HashAlgorithm] | None] | None:
    """(signature kind, hash class) of a SignatureScheme, or None when unknown.

    Kinds: rsa (PKCS#1 v1.5), pss, dsa, ecdsa, ed25519, ed448."""
    if scheme in _SPECIAL:
        return _SPECIAL[scheme]
    hash_cls = _HASHES.get(scheme >> 8)
    kind = _SIG_KIND.get(scheme & 0xFF)
    if hash_cls is None or kind is None:
        return None
    return kind, hash_cls


def _rsa_md5_sha1(key: rsa.RSAPublicKey, signature: bytes, data: bytes) -> bool:
    """TLS 1.0/1.1 and SSL 3.0 RSA signatures: PKCS#1 v1.5 type 1 padding around the
    36-byte MD5 || SHA-1 digest, without a DigestInfo (RFC 2246 7.4.3). No library call
    does exactly this, so the padding is checked on the recovered block itself."""
    numbers = key.public_numbers()
    size = (numbers.n.bit_length() + 7) // 8
    if len(signature) != size:
        return False
    block = pow(int.from_bytes(signature, "big"), numbers.e, numbers.n).to_bytes(size, "big")
    digest = hashlib.md5(data).digest() + hashlib.sha1(data).digest()
    expected = b"\x00\x01" + b"\xff" * (size - len(digest) - 3) + b"\x00" + digest
    return block == expected


# The algorithm objects a verification is given, made once: they hold no state, and
# making an ECDSA one costs a microsecond (an import inside its __init__) per connection.
_PKCS1V15 = padding.PKCS1v15()


@functools.cache
def _hash(hash_cls: type[hashes.HashAlgorithm]) -> hashes.HashAlgorithm:
    return hash_cls()


@functools.cache
def _ecdsa(hash_cls: type[hashes.HashAlgorithm]) -> ec.ECDSA:
    return ec.ECDSA(hash_cls())


@functools.cache
def _pss(hash_cls: type[hashes.HashAlgorithm]) -> padding.PSS:
    return padding.PSS(mgf=padding.MGF1(hash_cls()), salt_length=hash_cls.digest_size)


@functools.cache
def _key_kind(key_type: type) -> str | None:
    """rsa | dsa | ecdsa | ed25519 | ed448 for a public key class, None for others.

    By class, remembered: the isinstance checks against cryptography's abstract key
    classes go through ABCMeta each time, and a capture has two or three key classes."""
    for kind, cls in (("rsa", rsa.RSAPublicKey), ("dsa", dsa.DSAPublicKey),
                      ("ecdsa", ec.EllipticCurvePublicKey),
                      ("ed25519", ed25519.Ed25519PublicKey), ("ed448", ed448.Ed448PublicKey)):
        if issubclass(key_type, cls):
            return kind
    return None


def verify_signature(key: object, scheme: int | None, signature: bytes,
                     data: bytes) -> bool | None:
    """Does ``signature`` over ``data`` verify with ``key``?

    ``scheme`` is the TLS 1.2 SignatureScheme, or None for TLS <= 1.1, where the form
    follows the key: RSA signs MD5 || SHA-1, DSA and ECDSA sign SHA-1. None when it
    cannot be decided (an unknown scheme, a key that does not fit the scheme)."""
    try:
        if scheme is None:
            if isinstance(key, rsa.RSAPublicKey):
                return _rsa_md5_sha1(key, signature, data)
            if isinstance(key, dsa.DSAPublicKey):
                key.verify(signature, data, hashes.SHA1())
            elif isinstance(key, ec.EllipticCurvePublicKey):
                key.verify(signature, data, ec.ECDSA(hashes.SHA1()))
            else:
                return None
            return True
        parts = scheme_parts(scheme)
        if parts is None:
            return None
        kind, hash_cls = parts
        key_kind = _key_kind(type(key))  # type: ignore[arg-type]  # (a class is hashable)
        if kind == "rsa" and key_kind == "rsa" and hash_cls:
            key.verify(signature, data, _PKCS1V15, _hash(hash_cls))  # type: ignore[attr-defined]
        elif kind == "pss" and key_kind == "rsa" and hash_cls:
            key.verify(signature, data, _pss(hash_cls), _hash(hash_cls))  # type: ignore[attr-defined]
        elif kind == "ecdsa" and key_kind == "ecdsa" and hash_cls:
            key.verify(signature, data, _ecdsa(hash_cls))  # type: ignore[attr-defined]
        elif kind == "dsa" and key_kind == "dsa" and hash_cls:
            key.verify(signature, data, _hash(hash_cls))  # type: ignore[attr-defined]
        elif kind in ("ed25519", "ed448") and key_kind == kind:
            key.verify(signature, data)  # type: ignore[attr-defined]
        else:
            return None
    except InvalidSignature:
        return False
    except Exception:  # noqa: BLE001 - unsupported hash or curve, malformed key
        return None
    return True


def _public_key(cert: CertSummary) -> Any:
    if cert.cert is None:
        return None
    try:
        return cert.cert.public_key()
    except Exception:  # noqa: BLE001 - cryptography parses lazily; a bad key is "unknown"
        return None


def verify_server_key_exchange(ske: m.ServerKeyExchange, leaf: CertSummary | None,
                               client_randoms: Sequence[bytes], server_random: bytes | None,
                               ) -> bool | None:
    """Check the ServerKeyExchange signature with the leaf certificate's key.

    ``client_randoms`` are the randoms of the connection's ClientHellos, last first: the
    signature covers the one the server answered (a duplicate hello leaves more than one
    candidate). None when there is nothing to check: no signature (anonymous or PSK), no
    leaf, no randoms, or a key or scheme that cannot be verified here."""
    if ske.signature is None or leaf is None or server_random is None:
        return None
    key = _public_key(leaf)
    if key is None:
        return None
    result: bool | None = None
    for client_random in client_randoms:
        ok = verify_signature(key, ske.signature_algorithm, ske.signature,
                              bytes(client_random) + bytes(server_random) + bytes(ske.params))
        if ok:
            return True
        if ok is False:
            result = False
    return result


def validity_at(cert: CertSummary, at: _dt.datetime) -> str:
    """valid | expired | not_yet_valid | unknown, at the capture time ``at``."""
    if cert.not_before is None or cert.not_after is None:
        return "unknown"
    if cert.not_after < at:
        return "expired"
    if cert.not_before > at:
        return "not_yet_valid"
    return "valid"


def _ext_value(cert: CertSummary, name: str) -> Any:
    ext = cert.extension(name)
    return None if ext is None else ext.value


def _key_ids(child: CertSummary, parent: CertSummary) -> bool | None:
    aki = _ext_value(child, "authorityKeyIdentifier")
    ski = _ext_value(parent, "subjectKeyIdentifier")
    kid = aki.get("key_identifier") if isinstance(aki, dict) else None
    if not kid or not isinstance(ski, str):
        return None
    return bool(kid.lower() == ski.lower())


def _issues(child: CertSummary, parent: CertSummary) -> tuple[bool | None, bool | None]:
    """(names chain, parent's key verifies child's signature)."""
    names = None
    if child.issuer_name is not None and parent.subject_name is not None:
        names = child.issuer_name == parent.subject_name
    sig = None
    key = _public_key(parent)
    if child.cert is not None and key is not None:
        sig = verify_signed_by(child.cert, key)
    return names, sig


#: Chain links by chain (and validities): a capture sends the same few chains again and
#: again, and checking each link's signature is the costly part. Identical certificates
#: are the same CertSummary (x509.certs caches them by DER), so they are verified once.
_CHAINS: IdentityCache[tuple[ChainLink, ...]] = IdentityCache(512)
#: SAN and CN of leaves, by leaf (read for the host-name check and its finding).
_LEAF_NAMES: IdentityCache[tuple[tuple[str, ...], tuple[str, ...], str | None]] = \
    IdentityCache(512)


def chain_links(certs: Sequence[CertSummary], at: _dt.datetime) -> tuple[ChainLink, ...]:
    """Check each certificate of the chain as sent against the next one.

    RFC 5246 7.4.2 wants each certificate certified by the one that follows; RFC 8446
    4.4.2 relaxes the order but clients still have to find the issuer. When the next one
    does not issue a certificate, another sent certificate that does is looked for, so a
    merely misordered chain (``out_of_order``) is told apart from a broken one."""
    if not certs:
        return ()
    validities = tuple(validity_at(cert, at) if cert.parsed else "unknown" for cert in certs)
    key = IdentityCache.key(certs, validities)
    links = _CHAINS.get(key)
    if links is None:
        links = _CHAINS.put(key, certs, _chain_links(certs, validities))
    return links


def _chain_links(certs: Sequence[CertSummary], validities: tuple[str, ...],
                 ) -> tuple[ChainLink, ...]:
    out: list[ChainLink] = []
    for i, cert in enumerate(certs):
        validity = validities[i]
        last = i == len(certs) - 1
        if cert.self_signed:  # its own issuer; a root belongs at the end (RFC 5246 7.4.2)
            out.append(ChainLink(i, validity, None, None, None, cert.self_signature_valid,
                                 True, out_of_order=not last))
            continue
        if last:
            out.append(ChainLink(i, validity, None, None, None, None, cert.self_signed))
            continue
        names, sig = _issues(cert, certs[i + 1])
        kid = _key_ids(cert, certs[i + 1])
        issuer_index: int | None = i + 1
        misordered = False
        if names is False or sig is False:
            for j, other in enumerate(certs):
                if j in (i, i + 1):
                    continue
                n2, s2 = _issues(cert, other)
                if n2 and s2 is not False:
                    issuer_index, misordered = j, True
                    names, sig, kid = n2, s2, _key_ids(cert, other)
                    break
        out.append(ChainLink(i, validity, issuer_index, names, kid, sig, cert.self_signed,
                             misordered))
    return tuple(out)


def leaf_dns_names(leaf: CertSummary) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
    """(SAN dNSNames, SAN iPAddresses, subject CN) of the leaf."""
    key = IdentityCache.key((leaf,))
    names = _LEAF_NAMES.get(key)
    if names is None:
        names = _LEAF_NAMES.put(key, (leaf,), _leaf_dns_names(leaf))
    return names


def _leaf_dns_names(leaf: CertSummary) -> tuple[tuple[str, ...], tuple[str, ...], str | None]:
    san = _ext_value(leaf, "subjectAltName")
    dns: list[str] = []
    ips: list[str] = []
    if isinstance(san, list):
        for gn in san:
            if isinstance(gn, dict) and gn.get("type") == "dNSName":
                dns.append(str(gn.get("value", "")))
            elif isinstance(gn, dict) and gn.get("type") == "iPAddress":
                ips.append(str(gn.get("value", "")))
    cn = None
    if leaf.subject_name is not None:
        try:
            from cryptography.x509.oid import NameOID

            attrs = leaf.subject_name.get_attributes_for_oid(NameOID.COMMON_NAME)
            if attrs:
                cn = str(attrs[-1].value)
        except Exception:  # noqa: BLE001 - a malformed name has no usable CN
            cn = None
    return tuple(dns), tuple(ips), cn


def _idna(name: str) -> str:
    """Lower-case A-label form, so a U-label SNI and an A-label SAN compare equal."""
    name = name.rstrip(".").lower()
    try:
        return name.encode("idna").decode("ascii")
    except (UnicodeError, ValueError):
        return name


def _dns_match(pattern: str, host: str) -> bool:
    """RFC 6125 6.4.3: a wildcard only as the whole left-most label, matching exactly one
    label, never in an IDN A-label and never with fewer than two labels after it."""
    pattern, host = _idna(pattern), _idna(host)
    if not pattern or not host:
        return False
    if "*" not in pattern:
        return pattern == host
    p_labels, h_labels = pattern.split("."), host.split(".")
    if p_labels[0] != "*" or "*" in ".".join(p_labels[1:]) or len(p_labels) < 3:
        return False
    if len(p_labels) != len(h_labels) or h_labels[0].startswith("xn--"):
        return False
    return p_labels[1:] == h_labels[1:]


def hostname_matches(sni: str | None, leaf: CertSummary | None) -> bool | None:
    """Does the leaf certificate name the host the client asked for?

    RFC 6125: the DNS-IDs of subjectAltName; the subject CN only when the certificate has
    no dNSName at all (6.4.4). None when there is no SNI or no readable leaf."""
    if not sni or leaf is None or not leaf.parsed:
        return None
    return _names_match(sni, *leaf_dns_names(leaf))


@functools.lru_cache(maxsize=4096)
def _names_match(sni: str, dns: tuple[str, ...], ips: tuple[str, ...], cn: str | None,
                 ) -> bool:
    """The host-name check on the leaf's names; cached because clients ask the same few
    servers by the same few names."""
    try:
        addr = ipaddress.ip_address(sni)
    except ValueError:
        addr = None
    if addr is not None:  # an address in SNI is not allowed (RFC 6066 3), but compare it
        return any(_ip_equal(addr, ip) for ip in ips)
    if dns:
        return any(_dns_match(p, sni) for p in dns)
    if cn:
        return _dns_match(cn, sni)
    return False


def _ip_equal(addr: ipaddress.IPv4Address | ipaddress.IPv6Address, text: str) -> bool:
    try:
        return addr == ipaddress.ip_address(text)
    except ValueError:
        return False
