"""The analysis result: what a report needs, nothing more.

A :class:`TlsConnection` is built once per connection when its TCP connection ends (or
the capture does), from the flow and the TLS session; it is immutable from then on.
Reports are pure functions of these values.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tlslens.anomalies import Anomaly
from tlslens.tls import messages as m


@dataclass(frozen=True, slots=True)
class Endpoint:
    ip: str
    port: int

    def __str__(self) -> str:
        return f"[{self.ip}]:{self.port}" if ":" in self.ip else f"{self.ip}:{self.port}"


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


@dataclass(frozen=True, slots=True)
class AlertLine:
    frame: int
    ts_ns: int
    direction: str
    level: int | None
    description: int | None
    encrypted: bool
    decrypted: bool


@dataclass(frozen=True, slots=True)
class Finding:
    id: str
    severity: str  # info | low | medium | high | critical
    title: str
    detail: str


@dataclass(frozen=True, slots=True)
class Verdict:
    level: str  # good | acceptable | weak | insecure | failed
    summary: str


@dataclass(frozen=True, slots=True)
class HelloRecord:
    """A hello with where it was seen."""

    frame: int
    direction: str
    hello: Any  # m.ClientHello | m.ServerHello


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

    def to_dict(self) -> dict[str, Any]:
        from tlslens.report.json_report import connection_to_dict

        return connection_to_dict(self)


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


@dataclass(frozen=True, slots=True)
class AnalysisResult:
    capture: CaptureSummary
    connections: tuple[TlsConnection, ...]
    stats: dict[str, int]
    anomalies: tuple[Anomaly, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        from tlslens.report.json_report import result_to_dict

        return result_to_dict(self)
