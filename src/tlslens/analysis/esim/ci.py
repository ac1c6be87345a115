"""CI: which Certificate Issuer the chain leads to, and whether that is true."""

from __future__ import annotations

from collections.abc import Sequence

from tlslens.analysis.esim.certfields import _aki, _cn, _key_id, _same_key, _signed_by_ci, _ski
from tlslens.analysis.esim.lookup import _CI_BY_CN, _CI_BY_KEY, _CI_BY_SHA256
from tlslens.analysis.esim.values import CiInfo, CiMatch
from tlslens.analysis.memo import IdentityCache
from tlslens.registry import esim_data as data
from tlslens.x509.certs import CertSummary

_MATCH = {True: "verified", False: "mismatch", None: "claimed"}
#: Matches by chain (the same CertSummary objects): every connection is looked at, the
#: same few chains come back, and a match may verify a signature with a CI's key.
_MATCHES: IdentityCache[tuple[CiMatch | None]] = IdentityCache(512)


def match_ci(certs: Sequence[CertSummary]) -> CiMatch | None:
    """The CI the chain (as sent) leads to or claims (see :func:`_match_ci`)."""
    key = IdentityCache.key(certs)
    hit = _MATCHES.get(key)
    if hit is None:
        hit = _MATCHES.put(key, certs, (_match_ci(certs),))
    return hit[0]


def _match_ci(certs: Sequence[CertSummary]) -> CiMatch | None:
    """The CI the chain (as sent) leads to or claims, from the strongest evidence down.

    A certificate whose SHA-256 is a CI's is that CI (verified). One that carries a CI's
    key id (SKI) or name as its subject must also carry the CI's key, else it is an
    impostor (mismatch). A certificate issued by a CI that was not sent (AKI = CI key id,
    or issuer name = CI name) is verified with the CI's public key: it checks (verified),
    it does not (mismatch), or it cannot be checked (claimed).
    """
    parsed = [(i, c) for i, c in enumerate(certs) if c.parsed]
    top_down = list(reversed(parsed))
    for i, c in top_down:
        ci = _CI_BY_SHA256.get(c.sha256)
        if ci is not None:
            return CiMatch(ci, "verified", "fingerprint", i, "ci-key")
    for i, c in top_down:
        ci = _CI_BY_KEY.get(_ski(c) or "")
        if ci is not None:
            same = _same_key(c, ci)
            return CiMatch(ci, _MATCH[same], "ski", i, "ci-key",
                           _key_id(c) if same is False else None)
    for i, c in top_down:
        cands = _CI_BY_CN.get((_cn(c.subject_name) or "").casefold(), [])
        if cands:
            for ci in cands:
                if _same_key(c, ci):
                    return CiMatch(ci, "verified", "subject-name", i, "ci-name")
            return CiMatch(cands[0], "mismatch", "subject-name", i, "ci-name", _key_id(c))
    for i, c in top_down:
        aki = _aki(c) or ""
        ci = _CI_BY_KEY.get(aki)
        if ci is not None:
            return CiMatch(ci, _MATCH[_signed_by_ci(c, ci)], "aki", i, "ci-key")
        for k in data.KNOWN_CI_PREFIXES:
            if aki.startswith(k["prefix"]):
                info = CiInfo(aki, k["name"], "known-no-key", k["production"])
                return CiMatch(info, "claimed", "aki-prefix", i, "ci-key")
    for i, c in top_down:
        cands = _CI_BY_CN.get((_cn(c.issuer_name) or "").casefold(), [])
        if cands:
            results = [(ci, _signed_by_ci(c, ci)) for ci in cands]
            for ci, ok in results:
                if ok:
                    return CiMatch(ci, "verified", "issuer-name", i, "ci-name")
            checked = [ci for ci, ok in results if ok is False]
            if checked:
                return CiMatch(checked[0], "mismatch", "issuer-name", i, "ci-name",
                               _aki(c))
            return CiMatch(cands[0], "claimed", "issuer-name", i, "ci-name")
    return None
