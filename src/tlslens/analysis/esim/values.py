"""The eSIM profile's values: constants, the CI, match, check, vendor and profile types."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Params = tuple[tuple[str, Any], ...]

ROLE_CLIENT = "LPA"
#: recognized_by values, in the contract's order
SIGNALS = ("sni-rule", "ci-key", "ci-name", "policy-oid", "es9plus-path", "es11-path")
_RSP_ROLE_ARC = "2.23.146.1.2.1."
_SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
_EC_CURVES = ("secp256r1", "brainpoolP256r1")


@dataclass(frozen=True, slots=True)
class CiInfo:
    """A Certificate Issuer tlslens knows; ``public_key`` is SPKI DER (None: key unknown)."""

    key_id: str
    name: str
    kind: str  # gsma-production | gsma-test | gsma-m2m | test | regional | private | other
    production: bool
    common_names: tuple[str, ...] = ()
    sha256: tuple[str, ...] = ()
    public_key: bytes | None = None


@dataclass(frozen=True, slots=True)
class CiMatch:
    """The CI a chain leads to (or claims), how sure, and which certificate said so."""

    ci: CiInfo
    match: str  # verified | claimed | mismatch
    via: str  # fingerprint | ski | subject-name | aki | aki-prefix | issuer-name
    index: int  # the certificate (as sent) that matched
    signal: str  # ci-key | ci-name
    own_key_id: str | None = None  # mismatch: the key id of the key really used


@dataclass(frozen=True, slots=True)
class Check:
    """One SGP.22 rule applied: its words are catalogue keys (``esim.rule.<id>``, ``reason``)."""

    id: str
    subject: str | None
    result: str  # pass | fail | warn | not_observable
    reason: str
    params: Params
    sources: tuple[str, ...]
    confidence: str


@dataclass(frozen=True, slots=True)
class Vendor:
    name: str
    formerly: str | None
    product: str | None
    evidence: tuple[tuple[str, Params], ...]


@dataclass(frozen=True, slots=True)
class EsimProfile:
    role_server: str  # SM-DP+ | SM-DS
    recognized_by: tuple[str, ...]
    vendor: Vendor | None
    ci: CiMatch | None
    checks: tuple[Check, ...]
