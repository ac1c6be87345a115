"""Data indexes (built once from the generated module; read-only afterwards)."""

from __future__ import annotations

import functools
from typing import Any

from cryptography.hazmat.primitives import serialization

from tlslens.analysis.esim.values import CiInfo
from tlslens.registry import esim_data as data


def _ci_infos() -> tuple[CiInfo, ...]:
    return tuple(CiInfo(c["key_id"], c["name"], c["kind"], c["production"],
                        tuple(c["common_names"]), tuple(c["sha256"]),
                        bytes.fromhex(c["public_key"])) for c in data.CIS)


_CIS = _ci_infos()
_CI_BY_KEY = {c.key_id: c for c in _CIS}
_CI_BY_SHA256 = {h: c for c in _CIS for h in c.sha256}


def _by_common_name(cis: tuple[CiInfo, ...]) -> dict[str, list[CiInfo]]:
    out: dict[str, list[CiInfo]] = {}
    for ci in cis:
        for common_name in ci.common_names:
            out.setdefault(common_name.casefold(), []).append(ci)
    return out


_CI_BY_CN = _by_common_name(_CIS)
_HOSTS_EXACT = {r["match"]: r for r in data.HOST_RULES if r["exact"]}
_HOSTS_SUFFIX = {r["match"]: r for r in data.HOST_RULES if not r["exact"]}
_TLS_POLICIES = {"SM-DP+": tuple(data.OIDS["dp_tls"]), "SM-DS": tuple(data.OIDS["ds_tls"])}


@functools.lru_cache(maxsize=64)
def _ci_key(spki: bytes) -> Any:
    return serialization.load_der_public_key(spki)


@functools.lru_cache(maxsize=4096)
def host_rule(host: str | None) -> dict[str, Any] | None:
    """The SM-DP+/SM-DS rule for a host name: exact host first, then the longest suffix.
    Cached: every connection's SNI is looked up, and clients ask for a few hosts."""
    if not host:
        return None
    host = host.rstrip(".").lower()
    if host in _HOSTS_EXACT:
        return _HOSTS_EXACT[host]
    labels = host.split(".")
    for i in range(1, len(labels)):
        rule = _HOSTS_SUFFIX.get("." + ".".join(labels[i:]))
        if rule is not None:
            return rule
    return None


def oid_vendor(oid: str) -> dict[str, Any] | None:
    """The vendor whose SM-DP+ OID arc holds ``oid`` (longest prefix wins)."""
    best = None
    for e in data.OID_VENDORS:
        p = e["prefix"]
        if (oid == p or oid.startswith(p + ".")) and (best is None or
                                                       len(p) > len(best["prefix"])):
            best = e
    return best
