"""The analysis result: what a report needs, nothing more.

A :class:`TlsConnection` is built once per connection when its TCP connection ends (or
the capture does), from the flow and the TLS session; it is immutable from then on.
Reports are pure functions of these values.
"""

from __future__ import annotations

import dataclasses
import operator
from dataclasses import dataclass, field
from typing import Any

from tlslens.anomalies import Anomaly
from tlslens.fastinit import fast_init
from tlslens.tls import messages as m


@fast_init
@dataclass(frozen=True, slots=True)
class Endpoint:
    ip: str
    port: int

    def __str__(self) -> str:
        return f"[{self.ip}]:{self.port}" if ":" in self.ip else f"{self.ip}:{self.port}"


@fast_init
@dataclass(frozen=True, slots=True)
class MessageLine:
    """One step of the handshake ladder."""

    frame: int
    ts_ns: int
    direction: str  # "client" (client to server) | "server"
    type: str
    length: int
    encrypted: bool
    decrypted: bool


@fast_init
@dataclass(frozen=True, slots=True)
class AlertLine:
    frame: int
    ts_ns: int
    direction: str
    level: int | None
    description: int | None
    encrypted: bool
    decrypted: bool


@fast_init
@dataclass(frozen=True, slots=True)
class Term:
    """A finding or verdict parameter that is itself a catalogue entry, rendered in the
    report language (a role, a duration, a likely cause), with its own params."""

    key: str
    params: tuple[tuple[str, Any], ...] = ()


@fast_init
@dataclass(frozen=True, slots=True)
class Finding:
    """One finding: a stable id and severity; its words are rendered per report language.

    ``params`` fill the catalogue's ``finding.<id>.title`` / ``.detail`` templates
    (report/messages/findings.py); a :class:`Term` value (or a tuple of them, a list) is
    itself translated.
    ``title``/``detail`` are English fallbacks for ids without catalogue entries.
    """

    id: str
    severity: str  # info | low | medium | high | critical
    title: str = ""
    detail: str = ""
    params: tuple[tuple[str, Any], ...] = ()


@fast_init
@dataclass(frozen=True, slots=True)
class Verdict:
    """The overall judgement. ``parts`` are ``(catalogue key, params)`` pairs rendered in
    the report language; ``summary`` is the English fallback when there are none."""

    level: str  # good | acceptable | weak | insecure | failed
    summary: str = ""
    parts: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()


@fast_init
@dataclass(frozen=True, slots=True)
class ChainLink:
    """Certificate ``index`` of the chain as sent, checked against the next one (its
    issuer by order), or against itself when it is the last and self-signed.

    Each check is True/False, or None when it cannot be decided (no next certificate,
    no key identifiers, a signature algorithm that cannot be verified)."""

    index: int
    validity: str  # valid | expired | not_yet_valid | unknown (at the capture time)
    issuer_index: int | None  # the certificate that signs this one (None: not sent)
    name_chained: bool | None  # issuer name == next subject
    key_id_chained: bool | None  # AKI keyIdentifier == next SKI
    signature_valid: bool | None  # signed by the next certificate's key
    self_signed: bool
    out_of_order: bool = False  # the issuer was sent, but not right after this one


@fast_init
@dataclass(frozen=True, slots=True)
class HelloRecord:
    """A hello with where it was seen."""

    frame: int
    direction: str
    hello: Any  # m.ClientHello | m.ServerHello


@fast_init
@dataclass(frozen=True, slots=True)
class TlsConnection:
    id: int
    client: Endpoint
    server: Endpoint
    direction_inferred: bool
    start_ns: int
    end_ns: int
    state: str  # complete | failed | incomplete
    version: int | None
    cipher_suite: int | None
    server_name: str | None
    alpn: str | None
    resumed: bool
    messages: tuple[MessageLine, ...]
    history: str
    app_data: dict[str, tuple[int, int]]  # direction -> (records, bytes)
    client_hellos: tuple[HelloRecord, ...]
    server_hellos: tuple[HelloRecord, ...]
    certificates: tuple[Any, ...]  # CertSummary, the server's chain as sent
    certificate_entry_extensions: tuple[tuple[m.Extension, ...], ...]
    client_certificates: tuple[Any, ...] | None
    certificate_request: m.CertificateRequest | None
    server_key_exchange: m.ServerKeyExchange | None
    server_key_exchange_valid: bool | None
    client_key_exchange: m.ClientKeyExchange | None
    certificate_verify: tuple[tuple[str, m.CertificateVerify, bool | None], ...]
    new_session_tickets: tuple[m.NewSessionTicket, ...]
    certificate_status: m.CertificateStatus | None
    ocsp: dict[str, Any] | None
    encrypted_extensions: tuple[m.Extension, ...] | None
    alerts: tuple[AlertLine, ...]
    fingerprints: Any  # analysis.fingerprints.Fingerprints
    hello_fingerprints: tuple[Any, ...]  # per client hello
    server_hello_fingerprints: tuple[Any, ...]
    verdict: Verdict
    findings: tuple[Finding, ...] = ()
    anomalies: tuple[Anomaly, ...] = ()
    esim: dict[str, Any] | None = None
    decryption: dict[str, Any] | None = None
    #: The frame of the connection's first packet (its place in first-packet order).
    first_frame: int = 0
    # Verification (analysis/verify.py via analysis/assess.py); None: not decided.
    chain: tuple[ChainLink, ...] = ()
    hostname_match: bool | None = None  # SNI vs the leaf's subjectAltName (RFC 6125)

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        from tlslens.report.json_report import connection_to_dict

        return connection_to_dict(self, lang)


_CONNECTION_FIELDS = tuple(f.name for f in dataclasses.fields(TlsConnection))
_connection_values = operator.attrgetter(*_CONNECTION_FIELDS)
_CONNECTION_INDEX = {name: i for i, name in enumerate(_CONNECTION_FIELDS)}


def evolve(c: TlsConnection, **changes: Any) -> TlsConnection:
    """``dataclasses.replace(c, **changes)`` for the class built once per connection.

    Why not ``replace`` itself: it checks and copies each of the ~45 fields by name, a
    visible cost per connection; here all values are read at once and passed in field
    order. A subclass (none exists) goes through ``replace``."""
    if type(c) is not TlsConnection:
        return dataclasses.replace(c, **changes)
    values = list(_connection_values(c))
    for name, value in changes.items():
        values[_CONNECTION_INDEX[name]] = value
    return TlsConnection(*values)


@fast_init
@dataclass(frozen=True, slots=True)
class CaptureSummary:
    path: str
    format: str
    compressed: bool
    link_types: tuple[int, ...]
    packets: int
    bytes: int
    first_ns: int | None
    last_ns: int | None


@fast_init
@dataclass(frozen=True, slots=True)
class AnalysisResult:
    capture: CaptureSummary
    connections: tuple[TlsConnection, ...]
    stats: dict[str, int]
    anomalies: tuple[Anomaly, ...] = field(default=())

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        from tlslens.report.json_report import result_to_dict

        return result_to_dict(self, lang)
