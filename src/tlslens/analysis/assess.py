"""The assess step: verify, then find, then judge. One pure function of a connection.

build.py builds a :class:`TlsConnection` from what was decoded; :func:`assess` returns
the same connection with what tlslens concludes about it: the ServerKeyExchange
signature, each chain link, the host name, the findings and the verdict. Keeping it apart
from building means a hand-built connection (a test, a replayed JSON) is judged by
exactly the same code as a captured one.

build.py calls the two halves itself (:func:`verification` before it creates the
connection, :func:`conclusion` after, filling its findings and verdict in), so a captured
connection is created once rather than three times; the steps and their order are the
same as :func:`assess`'s.
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Sequence
from typing import Any

from tlslens.analysis.findings import evaluate
from tlslens.analysis.model import Finding, HelloRecord, TlsConnection, evolve
from tlslens.analysis.verdict import judge
from tlslens.analysis.verify import (
    chain_links,
    hostname_matches,
    verify_server_key_exchange,
)
from tlslens.tls import messages as m


def _ske_valid(ske: m.ServerKeyExchange | None, certificates: Sequence[Any],
               client_hellos: Sequence[HelloRecord],
               server_hellos: Sequence[HelloRecord]) -> bool | None:
    if ske is None or not certificates:
        return None
    final = next((h.hello for h in reversed(server_hellos)
                  if not h.hello.hello_retry_request), None)
    randoms = [h.hello.random for h in reversed(client_hellos) if h.hello.random]
    if final is None or not randoms:
        return None
    return verify_server_key_exchange(ske, certificates[0], randoms, final.random)


def verification(*, certificates: Sequence[Any], server_key_exchange: m.ServerKeyExchange
                 | None, client_hellos: Sequence[HelloRecord],
                 server_hellos: Sequence[HelloRecord], server_name: str | None,
                 start_ns: int) -> dict[str, Any]:
    """The verification fields of a connection made of these values (capture time =
    first packet), as keyword arguments of :class:`TlsConnection`."""
    at = _dt.datetime.fromtimestamp(start_ns / 1e9, _dt.UTC)
    return {
        "server_key_exchange_valid": _ske_valid(server_key_exchange, certificates,
                                                client_hellos, server_hellos),
        "chain": chain_links(certificates, at),
        "hostname_match": hostname_matches(server_name,
                                           certificates[0] if certificates else None),
    }


def verify(c: TlsConnection) -> TlsConnection:
    """The connection with its verification fields filled."""
    return evolve(c, **verification(
        certificates=c.certificates, server_key_exchange=c.server_key_exchange,
        client_hellos=c.client_hellos, server_hellos=c.server_hellos,
        server_name=c.server_name, start_ns=c.start_ns))


def conclusion(c: TlsConnection, earlier: Sequence[Finding] | None = None,
               ) -> dict[str, Any]:
    """The findings and verdict of a verified connection, as keyword arguments of
    :class:`TlsConnection`. Findings made before by another profile (``earlier``, by
    default the connection's own) are kept, after the rules' own."""
    findings = evaluate(c) + tuple(c.findings if earlier is None else earlier)
    return {"findings": findings, "verdict": judge(c, findings)}


def assess(c: TlsConnection) -> TlsConnection:
    """Verify, evaluate every finding rule, and judge."""
    c = verify(c)
    return evolve(c, **conclusion(c))
