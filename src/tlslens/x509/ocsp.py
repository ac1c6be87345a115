"""OCSP response DER (a stapled CertificateStatus) -> a JSON-ready dict.

Guarded like :mod:`tlslens.x509.certs`: ``cryptography`` reads OCSP responses lazily, so
each accessor is tried on its own and a failure becomes an entry of ``"errors"`` (field,
message) while the rest is still reported. A DER that does not load at all gives
``{"error": "..."}`` (the caller records ``ocsp.unparseable``). Nothing here raises.

Every decoded response has the same keys; those that do not apply (everything but the
status of an unsuccessful response) are ``null`` or ``[]``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

from cryptography.x509 import ocsp

from tlslens.x509.certs import (
    error_message,
    extension_entry,
    format_time,
    serial_hex,
    signature_algorithm,
)

__all__ = ["decode_ocsp_response"]

#: RFC 6960 OCSPResponseStatus names, by code (4 is unused).
RESPONSE_STATUS_NAMES: dict[int, str] = {
    0: "successful", 1: "malformedRequest", 2: "internalError", 3: "tryLater",
    5: "sigRequired", 6: "unauthorized",
}

_CERT_STATUS_NAMES = {ocsp.OCSPCertStatus.GOOD: "good", ocsp.OCSPCertStatus.REVOKED: "revoked",
                      ocsp.OCSPCertStatus.UNKNOWN: "unknown"}


class _Guard:
    """Runs accessors, turning each exception into an ``(field, message)`` error."""

    def __init__(self) -> None:
        self.errors: list[list[str]] = []

    def __call__(self, name: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - each failure is reported, not raised
            self.errors.append([name, error_message(exc)])
            return None


def decode_ocsp_response(der: bytes | bytearray | memoryview) -> dict[str, Any]:
    """Decode an OCSPResponse; ``{"error": str}`` when it cannot be loaded. Never raises."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. negative serials: still decoded below
        try:
            resp = ocsp.load_der_ocsp_response(bytes(der))
        except Exception as exc:  # noqa: BLE001 - any failure means "unparseable"
            return {"error": error_message(exc)}
        return _decode(resp)


def _decode(resp: ocsp.OCSPResponse) -> dict[str, Any]:
    guard = _Guard()
    status = guard("response_status", lambda: resp.response_status)
    code = None if status is None else status.value
    out: dict[str, Any] = {
        "response_status": None if code is None else RESPONSE_STATUS_NAMES.get(code),
        "response_status_code": code,
        "responder_id": None, "produced_at": None, "signature_algorithm": None,
        "certificates": 0, "responses": [], "extensions": [], "single_extensions": [],
        "errors": guard.errors,
    }
    if status is not ocsp.OCSPResponseStatus.SUCCESSFUL:
        return out
    out["responder_id"] = guard("responder_id", lambda: _responder_id(resp))
    out["produced_at"] = format_time(guard("produced_at", lambda: resp.produced_at_utc))
    sig = guard("signature_algorithm", lambda: signature_algorithm(resp.signature_algorithm_oid))
    out["signature_algorithm"] = None if sig is None else sig._asdict()
    out["certificates"] = guard("certificates", lambda: len(resp.certificates)) or 0
    singles = guard("responses", lambda: list(resp.responses)) or []
    out["responses"] = [_single(s, guard, f"responses[{i}]") for i, s in enumerate(singles)]
    out["extensions"] = _extensions(guard, "extensions", lambda: resp.extensions)
    # cryptography exposes only the first SingleResponse's extensions (e.g. SCTs).
    out["single_extensions"] = _extensions(guard, "single_extensions",
                                           lambda: resp.single_extensions)
    return out


def _responder_id(resp: ocsp.OCSPResponse) -> dict[str, str]:
    """ResponderID is a CHOICE: byName (RFC 4514 string) or byKey (SHA-1 hash, hex)."""
    name = resp.responder_name
    if name is not None:
        return {"type": "by_name", "value": name.rfc4514_string()}
    return {"type": "by_key", "value": (resp.responder_key_hash or b"").hex()}


def _single(s: ocsp.OCSPSingleResponse, guard: _Guard, where: str) -> dict[str, Any]:
    status = guard(f"{where}.cert_status", lambda: s.certificate_status)
    revoked = status is ocsp.OCSPCertStatus.REVOKED
    serial = guard(f"{where}.serial", lambda: s.serial_number)
    hash_alg = guard(f"{where}.hash_algorithm", lambda: s.hash_algorithm.name)
    reason = guard(f"{where}.revocation_reason", lambda: s.revocation_reason) if revoked else None
    return {
        "cert_status": _CERT_STATUS_NAMES.get(status) if status is not None else None,
        "revocation_time": format_time(guard(f"{where}.revocation_time",
                                             lambda: s.revocation_time_utc))
        if revoked else None,
        "revocation_reason": None if reason is None else reason.value,
        "this_update": format_time(guard(f"{where}.this_update", lambda: s.this_update_utc)),
        "next_update": format_time(guard(f"{where}.next_update", lambda: s.next_update_utc)),
        "hash_algorithm": hash_alg,
        "serial": None if serial is None else serial_hex(serial),
        "issuer_name_hash": _hex(guard(f"{where}.issuer_name_hash",
                                       lambda: s.issuer_name_hash)),
        "issuer_key_hash": _hex(guard(f"{where}.issuer_key_hash", lambda: s.issuer_key_hash)),
    }


def _hex(value: bytes | None) -> str | None:
    return None if value is None else value.hex()


def _extensions(guard: _Guard, where: str, fn: Callable[[], Any]) -> list[dict[str, Any]]:
    exts = guard(where, fn)
    out = []
    for i, ext in enumerate(exts or ()):
        entry, problem = extension_entry(ext)
        if problem is not None:
            guard.errors.append([f"{where}[{i}] {entry.name or entry.oid}", problem])
        out.append(entry._asdict())
    return out
