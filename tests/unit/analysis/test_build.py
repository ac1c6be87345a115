"""The fingerprint row (tlslens.analysis.build.fingerprint_row) says what the connection
says.

``tlslens fingerprint`` builds a row per connection instead of the whole connection
(``Options(fingerprint_rows=True)``). On every fixture and corpus capture, with the
compiled paths on and off, the rows must hold exactly the ids, roles, SNI, fingerprints
and first frames of the connections ``build_connection`` makes, in the same order.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.corpus.truth_compare import corpus_captures
from tlslens.analysis.build import FingerprintRow
from tlslens.pipeline import Options, iter_connections

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
CAPTURES = [*sorted(FIXTURES.rglob("*.pcap*")), *corpus_captures()]


def _as_rows(path: Path, **opts: object) -> list[tuple[object, ...]]:
    return [(c.id, c.client, c.server, c.server_name, c.fingerprints, c.first_frame)
            for c in iter_connections(str(path), options=Options(**opts))]  # type: ignore[arg-type]


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.name)
def test_rows_are_the_connections_fields(path: Path) -> None:
    connections = _as_rows(path, hellos_only=True)
    rows = _as_rows(path, hellos_only=True, fingerprint_rows=True)
    assert rows == connections
    # and the same with the Python lane alone
    assert _as_rows(path, hellos_only=True, fingerprint_rows=True,
                    compiled_lane=False) == connections


def test_rows_come_as_rows_only_with_hellos_only() -> None:
    seed = FIXTURES / "seed" / "seed.pcap"
    [row] = iter_connections(str(seed), options=Options(hellos_only=True,
                                                        fingerprint_rows=True))
    assert isinstance(row, FingerprintRow)
    assert row.server_name == "rakuten.prod.ondemandconnectivity.com"
    assert row.fingerprints.ja4 is not None and row.fingerprints.ja3s is not None
    [conn] = iter_connections(str(seed), options=Options(fingerprint_rows=True))
    assert not isinstance(conn, FingerprintRow)  # a full analysis builds connections
