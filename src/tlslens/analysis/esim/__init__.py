"""The eSIM profile: recognise LPA <-> SM-DP+/SM-DS traffic and check it against SGP.22.

GSMA SGP.22 remote SIM provisioning runs HTTPS between the LPA (on the device) and the
SM-DP+ (ES9+) or SM-DS (ES11). Its TLS has rules of its own (suites, curves, a server
certificate profile, a chain to a GSMA Certificate Issuer) that a generic TLS judge does
not know. This module, a pure function of a :class:`TlsConnection`, decides whether a
connection belongs to that world, names the operator (vendor) with evidence, finds the CI
the chain leads to and how sure that is, and checks every rule of
``registry/esim_data.py`` (generated from the research notes, each rule with sources and
a confidence). A broken high-confidence rule fails; a broken medium/low one warns,
because the SGP.22 text itself was not available for those (docs/esim.md).

Never trust a name alone: a certificate that carries a CI's name or key id but not its key
is an impostor (match ``mismatch``, finding ``ci-impostor``).

Results are language-neutral (catalogue keys + params); :func:`esim_dict` renders them in
one language. The build step stores an :class:`EsimReport`: the English dict the report
contract describes, which keeps its profile so a report can render it in another language
(:func:`localized`).
"""

from __future__ import annotations

from tlslens.analysis.esim.cert_checks import certificate_checks
from tlslens.analysis.esim.checks import (
    HANDSHAKE_CHECKS,
    check_alpn,
    check_client_certificate,
    check_client_signatures,
    check_client_suites,
    check_group,
    check_resumption,
    check_server_signature,
    check_sni,
    check_sni_certificate,
    check_suite,
    check_version,
)
from tlslens.analysis.esim.ci import match_ci
from tlslens.analysis.esim.lookup import host_rule, oid_vendor
from tlslens.analysis.esim.recognize import esim_for, findings, profile, recognize
from tlslens.analysis.esim.render import EsimReport, esim_dict, localized, vendor_detail
from tlslens.analysis.esim.values import (
    ROLE_CLIENT,
    SIGNALS,
    Check,
    CiInfo,
    CiMatch,
    EsimProfile,
    Params,
    Vendor,
)

__all__ = [
    "HANDSHAKE_CHECKS",
    "ROLE_CLIENT",
    "SIGNALS",
    "Check",
    "CiInfo",
    "CiMatch",
    "EsimProfile",
    "EsimReport",
    "Params",
    "Vendor",
    "certificate_checks",
    "check_alpn",
    "check_client_certificate",
    "check_client_signatures",
    "check_client_suites",
    "check_group",
    "check_resumption",
    "check_server_signature",
    "check_sni",
    "check_sni_certificate",
    "check_suite",
    "check_version",
    "esim_dict",
    "esim_for",
    "findings",
    "host_rule",
    "localized",
    "match_ci",
    "oid_vendor",
    "profile",
    "recognize",
    "vendor_detail",
]
