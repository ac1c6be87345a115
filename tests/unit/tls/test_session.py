"""Per-connection TLS state (tls/session.py): the message ladder, roles, alerts, state and
history of real handshakes recorded between two OpenSSL endpoints (tests/tlsbytes.py),
fed as a TCP capture through the whole pipeline and, for the fine points, directly.
"""

from __future__ import annotations

import io
import ssl
from functools import cache

from tests.tlsbytes import (
    Pair,
    Recording,
    pcap_of,
    tcp_segments,
    tls12,
    tls13,
    tls13_hrr,
)
from tlslens import analyze
from tlslens.analysis.model import TlsConnection
from tlslens.tls.session import TlsSession


def connection(rec: Recording, **kw: object) -> TlsConnection:
    [conn] = analyze(io.BytesIO(pcap_of(tcp_segments(rec.flights, **kw)))).connections
    return conn


def ladder(conn: TlsConnection) -> list[str]:
    return [f"{m.direction[0]}:{m.type}{'*' if m.encrypted else ''}" for m in conn.messages]


@cache
def resumed12(tickets: bool) -> tuple[Recording, Recording]:
    pair = Pair(version=ssl.TLSVersion.TLSv1_2, tickets=tickets)
    first = pair.handshake()
    second = pair.handshake(session=first.session)
    assert second.session_reused
    return first, second


@cache
def resumed13() -> Recording:
    pair = Pair()
    first = pair.handshake()
    second = pair.handshake(session=first.session)
    assert second.session_reused
    return second


def test_tls12_full_handshake() -> None:
    conn = connection(tls12())
    assert ladder(conn) == [
        "c:client_hello", "s:server_hello", "s:certificate", "s:server_key_exchange",
        "s:server_hello_done", "c:client_key_exchange", "c:change_cipher_spec",
        "c:encrypted_handshake*", "s:new_session_ticket", "s:change_cipher_spec",
        "s:encrypted_handshake*", "c:alert*", "s:alert*"]
    assert conn.history == "CsxkdKZFtzfAa"
    assert conn.state == "complete" and not conn.resumed and conn.version == 0x0303
    assert conn.app_data == {"client": (1, 42), "server": (1, 48)}
    assert [(a.direction, a.level, a.encrypted) for a in conn.alerts] == [
        ("client", None, True), ("server", None, True)]


def test_tls12_resumed_by_session_id() -> None:
    first, second = resumed12(tickets=False)
    conn = connection(second)
    assert ladder(conn)[:6] == [
        "c:client_hello", "s:server_hello", "s:change_cipher_spec",
        "s:encrypted_handshake*", "c:change_cipher_spec", "c:encrypted_handshake*"]
    assert conn.resumed and conn.state == "complete"
    ch, sh = conn.client_hellos[0].hello, conn.server_hellos[0].hello
    assert ch.legacy_session_id == sh.legacy_session_id != b""
    assert not connection(first).resumed


def test_tls12_resumed_by_ticket() -> None:
    _, second = resumed12(tickets=True)
    conn = connection(second)
    assert conn.resumed and conn.state == "complete"
    assert conn.history.startswith("Csz")
    ch = conn.client_hellos[0].hello
    assert ch.extension(35) is not None and len(ch.extension(35).raw) > 0  # the ticket


def test_tls13_without_hrr() -> None:
    conn = connection(tls13())
    assert ladder(conn) == [
        "c:client_hello", "s:server_hello", "s:change_cipher_spec",
        "s:encrypted_record*", "s:encrypted_record*", "s:encrypted_record*",
        "s:encrypted_record*", "c:change_cipher_spec", "c:encrypted_record*"]
    assert conn.history == "CszyyyyZY"
    assert conn.state == "complete" and conn.version == 0x0304 and not conn.resumed


def test_tls13_with_hrr() -> None:
    conn = connection(tls13_hrr())
    assert ladder(conn)[:5] == ["c:client_hello", "s:hello_retry_request",
                                "s:change_cipher_spec", "c:change_cipher_spec",
                                "c:client_hello"]
    assert conn.history == "CrzZCsyyyyY"
    assert conn.state == "complete"
    assert [h.hello.key_share_groups for h in conn.client_hellos] == [(29,), (24,)]
    assert "tls.hs.duplicate_hello" not in [a.id for a in conn.anomalies]


def test_tls13_resumed_with_psk() -> None:
    conn = connection(resumed13())
    assert conn.resumed and conn.state == "complete"
    assert conn.client_hellos[0].hello.psk_identities == 1


def test_plain_fatal_alert_fails_the_handshake() -> None:
    pair = Pair(version=ssl.TLSVersion.TLSv1_2)
    pair.client.maximum_version = pair.client.minimum_version = ssl.TLSVersion.TLSv1_3
    rec = pair.handshake()
    assert rec.error
    conn = connection(rec)
    assert conn.state == "failed"
    assert [(a.direction, a.level, a.description, a.encrypted) for a in conn.alerts] == [
        ("server", 2, 70, False)]  # protocol_version
    assert conn.history == "Ca"
    assert conn.verdict.level == "failed"


def test_incomplete_when_the_capture_stops() -> None:
    rec = tls12()
    conn = connection(Recording(flights=rec.flights[:2]), fin=False)
    assert conn.state == "incomplete" and conn.history == "Csxkd"


def test_roles_from_the_hellos_when_no_syn() -> None:
    """Session alone, no SYN: side 1 sends the ClientHello, so side 1 is the client."""
    rec = tls12()
    s = TlsSession()
    for i, (side, data) in enumerate(rec.flights, 1):
        s.on_data(1 - side, data, i, 0)
    assert s.client_side == 1 and s.roles_from == "client_hello" and s.complete
    s = TlsSession()
    for i, (side, data) in enumerate(rec.flights[1:], 1):
        s.on_data(side, data, i, 0)
    assert s.client_side == 0 and s.roles_from == "server_hello"


def test_message_from_the_wrong_role_is_unexpected() -> None:
    """The TCP initiator (the client by its SYN) sends a ServerHello."""
    rec = tls12()
    s = TlsSession(client_side=0)
    s.on_data(0, rec.flights[1][1], 1, 0)
    ids = [a.id for a in s.state.anomalies]
    assert ids.count("tls.hs.unexpected") == 3  # ServerHello, SKE, ServerHelloDone
    assert "server_hello sent by the client" in s.state.anomalies[0].detail


def test_second_client_hello_without_hrr() -> None:
    rec = tls12()
    s = TlsSession(client_side=0)
    s.on_data(0, rec.flights[0][1] * 2, 1, 0)
    assert [a.id for a in s.state.anomalies] == ["tls.hs.duplicate_hello"]


def test_reset_after_completion_is_not_a_failure() -> None:
    s = TlsSession(client_side=0)
    for i, (side, data) in enumerate(tls12().flights, 1):
        s.on_data(side, data, i, 0)
    s.on_reset()
    assert s.complete and not s.failed


def test_handshake_split_across_records_and_records_across_messages() -> None:
    """Re-frame the server's TLS 1.2 handshake: one message in many 7-byte records,
    then all messages in one record: same messages either way."""
    from tests.tlsbytes import plain_handshakes

    msgs = plain_handshakes(tls12().stream(1))
    joined = b"".join(msgs)
    tiny = b"".join(bytes([22, 3, 3, 0, len(joined[i:i + 7])]) + joined[i:i + 7]
                    for i in range(0, len(joined), 7))
    one = bytes([22, 3, 3]) + len(joined).to_bytes(2, "big") + joined
    results = []
    for stream in (tiny, one):
        s = TlsSession(client_side=0)
        s.on_data(1, stream, 1, 0)
        results.append([(e.type, e.length) for e in s.state.entries])
        assert not s.state.anomalies
    assert results[0] == results[1]
    assert [t for t, _ in results[0]] == ["server_hello", "certificate", "server_key_exchange",
                                          "server_hello_done", "new_session_ticket"]


def test_handshake_message_too_long() -> None:
    s = TlsSession(client_side=0)
    s.on_data(1, bytes([22, 3, 3, 0, 4, 11, 0x7F, 0xFF, 0xFF]), 1, 0)
    assert [a.id for a in s.state.anomalies] == ["tls.hs.too_long"]


def test_truncated_handshake_message_at_the_end() -> None:
    raw = tls12().flights[1][1]
    s = TlsSession(client_side=0)
    s.on_data(1, bytes([22, 3, 3, 0, 40]) + raw[5:45], 1, 0)
    s.finish(2)
    assert [a.id for a in s.state.anomalies] == ["tls.hs.truncated"]


def test_unknown_handshake_type_and_malformed_body() -> None:
    """A record that starts with an unknown type reads as encrypted (a late capture);
    after a known message in the same record, the type is unknown."""
    late = TlsSession(client_side=0)
    late.on_data(1, bytes([22, 3, 3, 0, 6, 99, 0, 0, 2, 1, 2]), 1, 0)
    assert [e.type for e in late.state.entries] == ["encrypted_handshake"]
    assert late.encrypted[1] and not late.state.anomalies
    s = TlsSession(client_side=0)
    s.on_data(1, bytes([22, 3, 3, 0, 10, 14, 0, 0, 0, 99, 0, 0, 2, 1, 2]), 2, 0)
    s.on_data(1, bytes([22, 3, 3, 0, 6, 2, 0, 0, 2, 3, 3]), 3, 0)
    assert [a.id for a in s.state.anomalies] == ["tls.hs.unknown_type", "tls.hs.malformed"]
    assert [e.type for e in s.state.entries] == ["server_hello_done", "unknown_99",
                                                 "server_hello"]


def test_bad_ccs_and_bad_alert_lengths() -> None:
    s = TlsSession(client_side=0)
    s.on_data(1, bytes([21, 3, 3, 0, 1, 2]), 1, 0)
    s.on_data(1, bytes([20, 3, 3, 0, 2, 1, 1]), 2, 0)
    assert [a.id for a in s.state.anomalies] == ["tls.alert.bad_length", "tls.ccs.bad"]


def test_too_many_messages_is_a_limit() -> None:
    from tlslens.tls.session import MAX_MESSAGES

    s = TlsSession(client_side=0)
    hello_request = bytes([0, 0, 0, 0])
    rec = bytes([22, 3, 3, 0x40, 0]) + hello_request * 4096
    for i in range(MAX_MESSAGES // 4096 + 1):
        s.on_data(1, rec, i, 0)
    assert [a.id for a in s.state.anomalies] == ["limit.reached"]
    assert len(s.state.entries) == MAX_MESSAGES + 1
