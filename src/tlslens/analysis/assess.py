"""The assess step: verify, then find, then judge. One pure function of a connection.

build.py builds a :class:`TlsConnection` from what was decoded; :func:`assess` returns
the same connection with what tlslens concludes about it: the ServerKeyExchange
signature, each chain link, the host name, the findings and the verdict. Keeping it apart
from building means a hand-built connection (a test, a replayed JSON) is judged by
exactly the same code as a captured one.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt

from tlslens.analysis.findings import evaluate
from tlslens.analysis.model import TlsConnection
from tlslens.analysis.verdict import judge
from tlslens.analysis.verify import (
    chain_links,
    hostname_matches,
    verify_server_key_exchange,
)


def _ske_valid(c: TlsConnection) -> bool | None:
    ske = c.server_key_exchange
    if ske is None or not c.certificates:
        return None
    final = next((h.hello for h in reversed(c.server_hellos)
                  if not h.hello.hello_retry_request), None)
    randoms = [h.hello.random for h in reversed(c.client_hellos) if h.hello.random]
    if final is None or not randoms:
        return None
    return verify_server_key_exchange(ske, c.certificates[0], randoms, final.random)


def verify(c: TlsConnection) -> TlsConnection:
    """The connection with its verification fields filled (capture time = first packet)."""
    at = _dt.datetime.fromtimestamp(c.start_ns / 1e9, _dt.UTC)
    return dataclasses.replace(
        c, server_key_exchange_valid=_ske_valid(c),
        chain=chain_links(c.certificates, at),
        hostname_match=hostname_matches(c.server_name,
                                        c.certificates[0] if c.certificates else None))


def assess(c: TlsConnection) -> TlsConnection:
    """Verify, evaluate every finding rule, and judge. Findings made before (by another
    profile) are kept, after the rules' own."""
    c = verify(c)
    findings = evaluate(c) + tuple(c.findings)
    return dataclasses.replace(c, findings=findings, verdict=judge(c, findings))
