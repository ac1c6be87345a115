"""Named anomalies: every problem found in a capture becomes one of these.

Bad input is normal input for a capture analyser, so no layer raises on it. Each layer
records an :class:`Anomaly` with a stable dotted id from :data:`CATALOGUE` and goes on.
The ids are a contract (they appear in the JSON report); add new ones, never rename.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Self, SupportsIndex

from tlslens.fastinit import fast_init

Severity = Literal["info", "warning", "error"]

#: id -> (severity, one-line meaning). One table in the docs is generated from this.
CATALOGUE: dict[str, tuple[Severity, str]] = {
    # capture files
    "capture.empty": ("error", "the file is empty"),
    "capture.unknown_format": ("error", "not a pcap, pcapng or gzip-compressed capture"),
    "capture.truncated": ("warning", "the capture ends in the middle of a packet or block"),
    "capture.bad_block": ("warning", "a pcapng block has an impossible length"),
    "capture.unknown_block": ("info", "an unknown pcapng block type was skipped"),
    "capture.bad_interface": ("warning", "a packet names an interface that was not described"),
    "capture.gzip_error": ("error", "the gzip stream is corrupt"),
    "capture.snaplen_cut": ("info", "a packet was cut by the snapshot length"),
    "capture.bad_timestamp": ("warning", "a packet's time is before 1970 or after 9999"),
    # link / network layers
    "link.unsupported": ("info", "a link type tlslens does not decode"),
    "link.truncated": ("warning", "a link-layer header is cut short"),
    "ip.truncated": ("warning", "an IP header or payload is cut short"),
    "ip.bad_header": ("warning", "an IP header is malformed"),
    "ip.fragment_overlap": ("warning", "IPv4 fragments overlap with different bytes"),
    "ip.fragment_incomplete": ("info", "an IPv4 datagram's fragments never all arrived"),
    "ip.too_many_fragments": ("warning", "fragment reassembly limit reached"),
    "tunnel.truncated": ("warning", "a tunnel (GRE, VXLAN, PPPoE) header is cut short"),
    "tunnel.too_deep": ("warning", "more than 16 nested link/IP/tunnel headers: packet skipped"),
    "tcp.bad_header": ("warning", "a TCP header is malformed"),
    # TCP streams
    "tcp.gap": ("warning", "bytes of a TCP stream were not captured"),
    "tcp.overlap_mismatch": ("warning", "retransmitted TCP bytes differ from the first copy"),
    "tcp.midstream": ("info", "the capture starts in the middle of this connection"),
    "tcp.resync": ("info", "parsing resumed at the next TLS record boundary after a gap"),
    "tcp.buffer_limit": ("warning", "too many out-of-order bytes were buffered"),
    # TLS records
    "tls.record.bad_length": ("error", "a TLS record is longer than the protocol allows"),
    "tls.record.bad_type": ("warning", "a record has an unknown content type"),
    "tls.record.bad_version": ("warning", "a record header carries an implausible version"),
    "tls.record.truncated": ("warning", "the stream ends inside a TLS record"),
    "tls.record.empty": ("warning", "a zero-length handshake or alert record"),
    "tls.not_tls": ("info", "bytes where a TLS record was expected are not TLS"),
    "tls.alert.bad_length": ("warning", "an alert record is not two bytes long"),
    "tls.ccs.bad": ("warning", "a ChangeCipherSpec record is not the single byte 1"),
    "tls.hs.truncated": ("warning", "a handshake message is cut short"),
    "tls.hs.too_long": ("error", "a handshake message is longer than the limit"),
    "tls.hs.malformed": ("warning", "a handshake message does not parse"),
    "tls.hs.trailing_bytes": ("warning", "bytes left after a handshake message's fields"),
    "tls.hs.unknown_type": ("info", "an unknown handshake message type"),
    "tls.hs.unexpected": ("warning", "a handshake message out of the protocol's order"),
    "tls.hs.duplicate_hello": ("warning", "a second ClientHello without a HelloRetryRequest"),
    "tls.ext.malformed": ("warning", "an extension does not parse"),
    "tls.ext.duplicate": ("warning", "the same extension appears twice in one message"),
    "tls.ext.trailing_bytes": ("warning", "bytes left after an extension's fields"),
    "tls.sslv2.malformed": ("warning", "an SSLv2 record does not parse"),
    "tls.decompress.failed": ("warning", "a compressed certificate could not be decompressed"),
    "tls.decompress.unsupported": ("info", "a certificate compression algorithm tlslens lacks"),
    "x509.unparseable": ("warning", "a certificate cannot be parsed"),
    "x509.field_error": ("warning", "one field of a certificate cannot be decoded"),
    "ocsp.unparseable": ("warning", "an OCSP response cannot be parsed"),
    # key material and decryption
    "keylog.bad_line": ("warning", "a key log line does not parse; the other lines still work"),
    "keylog.bad_rsa_key": ("warning", "an --rsa-key file is not an unencrypted RSA private key"),
    "keylog.unsupported_secrets": ("info", "a pcapng Decryption Secrets Block of another kind"),
    "decrypt.wrong_key": ("error", "the keys given for this connection do not belong to it"),
    "decrypt.record_failed": ("warning", "a protected record did not authenticate"),
    "decrypt.finished_mismatch": ("error", "a decrypted Finished does not match the transcript"),
    "decrypt.bad_premaster": ("warning", "the RSA premaster could not be decrypted"),
    # batch runs (tlslens batch: error rows of a whole file)
    "batch.not_a_capture": ("error", "a batch file is missing, unreadable, empty or not a capture"),
    "batch.worker_lost": ("error", "the worker running this batch file died or was lost"),
    # limits and bugs
    "limit.reached": ("warning", "a configured limit was reached; some data was skipped"),
    "internal.error": ("error", "tlslens hit a bug on this connection; analysis went on"),
}


@fast_init
@dataclass(frozen=True, slots=True)
class Anomaly:
    """One named problem in the input, with where it was found."""

    id: str
    detail: str
    frame: int | None = None
    connection: int | None = None
    direction: str | None = None
    offset: int | None = None

    @property
    def severity(self) -> Severity:
        return CATALOGUE.get(self.id, ("warning", ""))[0]

    def to_dict(self) -> dict[str, object]:
        # keys in sorted order: reports are written with sorted keys, and orjson sorts
        # a dict already in order in one pass (tlslens.report.json_report.connection_json)
        return {"detail": self.detail, "frame": self.frame, "id": self.id,
                "severity": self.severity}


#: Anomalies kept per list (one connection, or one layer of the capture) by default.
MAX_ANOMALIES = 1000


class AnomalyList(list[Anomaly]):
    """A list of anomalies that stops growing at ``limit``.

    Hostile input can produce one anomaly per byte or per packet; memory must not follow.
    Past the limit one ``limit.reached`` is kept and the rest are only counted
    (``dropped``). Layers append to it exactly as to a list.
    """

    def __init__(self, items: Iterable[Anomaly] = (), limit: int = MAX_ANOMALIES) -> None:
        # (list.__init__ only empties a list that is new and empty: not called. One is
        # made per connection and per stream.)
        self.limit = limit
        self.dropped = 0
        if items:
            self.extend(items)

    def append(self, anomaly: Anomaly, /) -> None:
        if len(self) < self.limit:
            super().append(anomaly)
            return
        self.dropped += 1
        if self.dropped == 1:
            super().append(Anomaly("limit.reached", f"more than {self.limit} anomalies here; "
                                   "the rest are counted, not listed", anomaly.frame))

    def extend(self, items: Iterable[Anomaly], /) -> None:
        for anomaly in items:
            self.append(anomaly)

    def __iadd__(self, items: Iterable[Anomaly], /) -> Self:  # type: ignore[override, misc]
        self.extend(items)
        return self

    def insert(self, index: SupportsIndex, anomaly: Anomaly, /) -> None:
        if len(self) < self.limit:
            super().insert(index, anomaly)
        else:
            self.append(anomaly)
