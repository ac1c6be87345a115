"""X.509 certificate DER -> :class:`CertSummary`: a guarded wrapper around ``cryptography``.

Why guarded: ``cryptography`` parses lazily. A certificate can load and then ``.extensions``,
``.subject``, ``.not_valid_before_utc`` or ``.public_key()`` each raise on their own. A capture
analyser must report what it *can* read and say what it cannot, so every accessor is tried
separately; a failure becomes a ``(field, message)`` pair in :attr:`CertSummary.errors`
(the caller turns each into an ``x509.field_error`` anomaly), and a DER that does not load at
all still yields a summary with ``parsed=False``, its hashes and its length
(``x509.unparseable``). Nothing here raises on bad input.

The JSON shape produced by :meth:`CertSummary.to_dict` is the ``certificate`` object of the
report contract (``/work/shared/spec/json-report.md``). Values that could not be decoded
are ``null`` there (subject, issuer, serial, times, public_key, signature_algorithm).

The package, one job per module: ``tables`` (OID name tables), ``values`` (value objects
and formatting helpers), ``names`` (general names), ``extensions`` (extension value
decoders), ``raw`` (the raw DER extension walk), ``keys`` (public keys and signatures),
``summary`` (:class:`CertSummary` and :func:`summarize_certificate`).
"""

from __future__ import annotations

from tlslens.x509.certs.extensions import extension_entry
from tlslens.x509.certs.keys import verify_signed_by
from tlslens.x509.certs.names import general_name_dict
from tlslens.x509.certs.summary import CertSummary, clear_cache, summarize_certificate

# ``X as X``: public before the split, not in __all__; kept importable from here.
from tlslens.x509.certs.tables import ACCESS_METHOD_NAMES as ACCESS_METHOD_NAMES
from tlslens.x509.certs.tables import EKU_NAMES as EKU_NAMES
from tlslens.x509.certs.tables import (
    EXTENSION_NAMES,
    SIGNATURE_ALGORITHM_NAMES,
)
from tlslens.x509.certs.values import JSON as JSON
from tlslens.x509.certs.values import (
    CertExtension,
    PublicKeyInfo,
    SignatureAlgorithm,
    error_message,
    format_time,
    serial_hex,
    signature_algorithm,
)

__all__ = [
    "EXTENSION_NAMES",
    "SIGNATURE_ALGORITHM_NAMES",
    "CertExtension",
    "CertSummary",
    "PublicKeyInfo",
    "SignatureAlgorithm",
    "clear_cache",
    "error_message",
    "extension_entry",
    "format_time",
    "general_name_dict",
    "serial_hex",
    "signature_algorithm",
    "summarize_certificate",
    "verify_signed_by",
]
