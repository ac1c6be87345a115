"""The summary: :class:`CertSummary`, :func:`summarize_certificate` and its cache."""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import hashlib
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509

from tlslens.tls.reader import DecodeError
from tlslens.x509.certs.extensions import extension_entry
from tlslens.x509.certs.keys import _public_key_info, _self_signed
from tlslens.x509.certs.raw import _raw_extensions
from tlslens.x509.certs.tables import _SPKI_TYPES
from tlslens.x509.certs.values import (
    JSON,
    CertExtension,
    PublicKeyInfo,
    SignatureAlgorithm,
    error_message,
    format_time,
    serial_hex,
    signature_algorithm,
)


@dataclass(frozen=True, slots=True)
class CertSummary:
    """What tlslens knows about one certificate; immutable and shared through the cache.

    ``errors`` lists ``(field, message)`` for each accessor that failed; with
    ``parsed=False`` the DER did not load at all and ``errors`` holds ``("load", ...)``.
    ``serial_negative`` is true for a negative serial (``serial`` then holds the two's
    complement bytes). ``self_signature_valid`` is None when the self-signature could not
    be checked (names differ, or an algorithm cryptography cannot verify).
    """

    der: bytes = field(repr=False)
    sha256: str
    sha1: str
    der_length: int
    parsed: bool
    subject: str | None = None
    issuer: str | None = None
    serial: str | None = None
    serial_int: int | None = None
    serial_negative: bool = False
    version: int | None = None
    not_before: _dt.datetime | None = None
    not_after: _dt.datetime | None = None
    public_key: PublicKeyInfo | None = None
    public_key_oid: str | None = None
    signature_algorithm: SignatureAlgorithm | None = None
    extensions: tuple[CertExtension, ...] = field(default=(), hash=False)
    self_signed: bool = False
    self_signature_valid: bool | None = None
    errors: tuple[tuple[str, str], ...] = ()
    subject_name: x509.Name | None = field(default=None, compare=False, repr=False)
    issuer_name: x509.Name | None = field(default=None, compare=False, repr=False)
    cert: x509.Certificate | None = field(default=None, compare=False, repr=False)

    def __reduce__(self) -> tuple[Any, tuple[bytes]]:
        """Pickle as the DER alone: ``cryptography`` objects do not pickle, and the
        summary is a pure function of the DER (re-parsed, and cached, on load). This is
        what lets connections cross process boundaries (parallel analysis, batch)."""
        return (summarize_certificate, (self.der,))

    def extension(self, name_or_oid: str) -> CertExtension | None:
        """The first extension with that RFC name or dotted OID, else None."""
        for ext in self.extensions:
            if name_or_oid in (ext.name, ext.oid):
                return ext
        return None

    def to_dict(self, entry_extensions: Sequence[Mapping[str, object]] = (), *,
                copy: bool = True) -> dict[str, JSON]:
        """The report's ``certificate`` object; ``entry_extensions`` come from TLS 1.3.

        The extension values are copied (this summary is shared by every connection that
        sent the certificate) unless ``copy`` is False: see
        ``tlslens.report.json_report.connection_to_dict``."""
        return {
            "subject": self.subject,
            "issuer": self.issuer,
            "serial": self.serial,
            "not_before": format_time(self.not_before),
            "not_after": format_time(self.not_after),
            "sha256": self.sha256,
            "sha1": self.sha1,
            "der_length": self.der_length,
            "public_key": None if self.public_key is None else self.public_key._asdict(),
            "signature_algorithm": (None if self.signature_algorithm is None
                                    else self.signature_algorithm._asdict()),
            "extensions": [{"oid": e.oid, "name": e.name, "critical": e.critical,
                            "value": json_copy(e.value) if copy else e.value}
                           for e in self.extensions],
            "entry_extensions": [dict(e) for e in entry_extensions],
            "self_signed": self.self_signed,
        }


def json_copy(value: Any) -> Any:
    """A deep copy of a JSON-ready value, so a report may change what it is given.

    Why not ``copy.deepcopy``: it keeps a memo for shared and cyclic objects, which
    JSON-ready values (dicts, lists, scalars) never have, and was a visible cost per
    certificate per connection. Anything else still goes through ``copy.deepcopy``."""
    kind = type(value)
    if kind is str or value is None or kind is bool or kind is int or kind is float:
        return value
    if kind is dict:
        return {k: json_copy(v) for k, v in value.items()}
    if kind is list:
        return [json_copy(v) for v in value]
    return copy.deepcopy(value)


def summarize_certificate(der: bytes | bytearray | memoryview) -> CertSummary:
    """Summarize one DER certificate; never raises. Equal DERs give the same object."""
    return _summarize(bytes(der))


def clear_cache() -> None:
    """Forget cached summaries (tests, or a long-lived process between captures)."""
    _summarize.cache_clear()


# Why a module-level cache: the same certificates come back in every connection to a
# server (a capture of 24,000 handshakes holds a few hundred distinct DERs), and parsing
# one costs far more than hashing its bytes. The values are immutable and depend only on
# the DER, so sharing them is safe; the bound keeps memory flat on hostile captures.
@functools.lru_cache(maxsize=4096)
def _summarize(der: bytes) -> CertSummary:
    base: dict[str, Any] = {"der": der, "sha256": hashlib.sha256(der).hexdigest(),
                            "sha1": hashlib.sha1(der).hexdigest(), "der_length": len(der)}
    with warnings.catch_warnings():
        # cryptography warns (and will later refuse) on negative serials and similar
        # RFC violations; serial_negative and errors are how tlslens says so.
        warnings.simplefilter("ignore")
        try:
            cert = x509.load_der_x509_certificate(der)
        except Exception as exc:  # noqa: BLE001 - any failure means "unparseable"
            return CertSummary(parsed=False, errors=(("load", error_message(exc)),), **base)
        return CertSummary(parsed=True, cert=cert, **base, **_read_fields(cert, der))


def _read_fields(cert: x509.Certificate, der: bytes) -> dict[str, Any]:
    """Try each lazy accessor on its own; collect values and (field, message) errors."""
    errors: list[tuple[str, str]] = []
    out: dict[str, Any] = {}

    def guarded(name: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - each failure is reported, not raised
            errors.append((name, error_message(exc)))
            return None

    out["version"] = guarded("version", lambda: cert.version.value + 1)
    out["subject_name"] = subject = guarded("subject", lambda: cert.subject)
    out["issuer_name"] = issuer = guarded("issuer", lambda: cert.issuer)
    if subject is not None:
        out["subject"] = guarded("subject", subject.rfc4514_string)
    if issuer is not None:
        out["issuer"] = guarded("issuer", issuer.rfc4514_string)
    serial = guarded("serial", lambda: cert.serial_number)
    if serial is not None:
        out.update(serial_int=serial, serial=serial_hex(serial), serial_negative=serial < 0)
    out["not_before"] = guarded("not_before", lambda: cert.not_valid_before_utc)
    out["not_after"] = guarded("not_after", lambda: cert.not_valid_after_utc)
    out["signature_algorithm"] = guarded(
        "signature_algorithm", lambda: signature_algorithm(cert.signature_algorithm_oid))
    spki_oid = guarded("public_key", lambda: cert.public_key_algorithm_oid.dotted_string)
    out["public_key_oid"] = spki_oid
    key = guarded("public_key", cert.public_key)
    if key is not None:
        out["public_key"] = _public_key_info(key)
    elif spki_oid is not None:
        out["public_key"] = PublicKeyInfo(_SPKI_TYPES.get(spki_oid, "unknown"), 0, None)
    out["extensions"] = _read_extensions(cert, der, errors)
    out["self_signed"], out["self_signature_valid"] = _self_signed(cert, subject, issuer,
                                                                  key)
    out["errors"] = tuple(errors)
    return out


def _read_extensions(cert: x509.Certificate, der: bytes,
                     errors: list[tuple[str, str]]) -> tuple[CertExtension, ...]:
    try:
        exts = cert.extensions
    except Exception as exc:  # noqa: BLE001 - fall back to the raw DER listing
        errors.append(("extensions", error_message(exc)))
        try:
            return tuple(_raw_extensions(der))
        except DecodeError as dexc:
            errors.append(("extensions", f"raw listing failed: {dexc}"))
            return ()
    out = []
    for i, ext in enumerate(exts):
        entry, problem = extension_entry(ext)
        if problem is not None:
            errors.append((f"extensions[{i}] {entry.name or entry.oid}", problem))
        out.append(entry)
    return tuple(out)
