"""The flat row of one TLS connection, as a SIEM or a data lake wants it.

The JSON report nests (hellos, extensions, chains); a SIEM indexes flat records. A row
keeps what an analyst filters and joins on: when, who talked to whom, the names (SNI,
version, suite), the fingerprints, the verdict and finding ids, the certificate chain's
names and hashes. Everything else stays in ``tlslens analyze --format json``.

Every row has every column of :data:`COLUMNS` (NDJSON keys and Parquet columns alike).
A file that could not be analysed (fully) gets an *error row*: ``capture``, ``error`` (a
stable id) and ``error_detail`` (one English line) set, every other column null. A
connection row has ``error`` null. Times are UTC ISO 8601 strings here; the Parquet
writer stores them as ``timestamp[us, UTC]``.
"""

from __future__ import annotations

from typing import Any

from tlslens.analysis.model import TlsConnection
from tlslens.registry import name, version_name
from tlslens.report.json_report import packet_time

#: (column, type) in output order. Types: string, int64, bool, timestamp, list<string>.
COLUMNS: tuple[tuple[str, str], ...] = (
    ("capture", "string"),          # the capture file, as found by the batch
    ("connection_id", "int64"),     # the connection's id in that file (as in analyze)
    ("start_time", "timestamp"),    # first packet of the TCP connection
    ("end_time", "timestamp"),      # last packet
    ("client_ip", "string"),
    ("client_port", "int64"),
    ("server_ip", "string"),
    ("server_port", "int64"),
    ("sni", "string"),              # server_name of the first ClientHello
    ("alpn", "string"),             # the protocol the server selected
    ("version", "string"),          # negotiated version name ("TLS 1.3")
    ("version_code", "int64"),      # its code point (kept when the name is unknown)
    ("cipher_suite", "string"),     # IANA name
    ("cipher_suite_code", "int64"),
    ("state", "string"),            # complete | failed | incomplete
    ("resumed", "bool"),
    ("ja3", "string"),
    ("ja3n", "string"),
    ("ja4", "string"),
    ("ja3s", "string"),
    ("verdict", "string"),          # good | acceptable | weak | insecure | failed
    ("finding_ids", "list<string>"),
    ("cert_subjects", "list<string>"),  # the server's chain as sent, leaf first
    ("cert_issuers", "list<string>"),
    ("cert_sha256", "list<string>"),
    ("leaf_not_after", "timestamp"),
    ("hostname_match", "bool"),     # SNI matches the leaf's names (null: not decided)
    ("anomaly_count", "int64"),
    ("anomaly_ids", "list<string>"),  # distinct ids, sorted
    ("error", "string"),            # error rows only: a stable id (see ERROR_IDS)
    ("error_detail", "string"),     # error rows only: one English line
)

COLUMN_NAMES: tuple[str, ...] = tuple(c for c, _ in COLUMNS)

#: The ``error`` ids of error rows. ``capture.*`` ones come after the file's connection
#: rows (the file was analysed up to the damage); the others mean no rows, or the rows
#: before a bug.
ERROR_IDS: dict[str, str] = {
    "batch.not_a_capture": "missing, unreadable, empty, or not a pcap/pcapng/gzip capture",
    "capture.truncated": "the capture ends in the middle of a packet or block",
    "capture.gzip_error": "the gzip stream is corrupt",
    "capture.bad_block": "a pcapng block has an impossible length",
    "internal.error": "tlslens hit a bug on this file; rows before it are kept",
    "batch.worker_lost": "the worker running this file died or was lost",
}


def _text(value: str | None) -> str | None:
    """Wire text as a string every writer can encode (lone surrogates escaped)."""
    if value is None or value.isascii():
        return value
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return value.encode("utf-8", "backslashreplace").decode("ascii", "backslashreplace")
    return value


def _iso_seconds(dt: Any) -> str | None:
    """A certificate time (aware datetime) as ``YYYY-MM-DDTHH:MM:SSZ``."""
    if dt is None:
        return None
    return dt.strftime("%Y-%m-%dT%H:%M:%S") + "Z"


def connection_row(capture: str, conn: TlsConnection) -> dict[str, Any]:
    """The flat row of one connection of ``capture`` (every column present)."""
    fp = conn.fingerprints
    certs = conn.certificates
    return {
        "capture": capture,
        "connection_id": conn.id,
        "start_time": packet_time(conn.start_ns),
        "end_time": packet_time(conn.end_ns),
        "client_ip": conn.client.ip,
        "client_port": conn.client.port,
        "server_ip": conn.server.ip,
        "server_port": conn.server.port,
        "sni": _text(conn.server_name),
        "alpn": _text(conn.alpn),
        "version": version_name(conn.version) if conn.version is not None else None,
        "version_code": conn.version,
        "cipher_suite": name("cipher_suites", conn.cipher_suite)
        if conn.cipher_suite is not None else None,
        "cipher_suite_code": conn.cipher_suite,
        "state": conn.state,
        "resumed": conn.resumed,
        "ja3": fp.ja3,
        "ja3n": fp.ja3n,
        "ja4": fp.ja4,
        "ja3s": fp.ja3s,
        "verdict": conn.verdict.level,
        "finding_ids": [f.id for f in conn.findings],
        "cert_subjects": [_text(c.subject) for c in certs],
        "cert_issuers": [_text(c.issuer) for c in certs],
        "cert_sha256": [c.sha256 for c in certs],
        "leaf_not_after": _iso_seconds(certs[0].not_after) if certs else None,
        "hostname_match": conn.hostname_match,
        "anomaly_count": len(conn.anomalies),
        "anomaly_ids": sorted({a.id for a in conn.anomalies}),
        "error": None,
        "error_detail": None,
    }


def error_row(capture: str, error: str, detail: str) -> dict[str, Any]:
    """The row reporting that ``capture`` failed (``error`` is one of ERROR_IDS)."""
    row: dict[str, Any] = dict.fromkeys(COLUMN_NAMES)
    row.update(capture=capture, error=error, error_detail=_text(detail))
    return row
