"""Shared inputs of the batch tests: the corpus, the seed, and damaged captures made from
the seed's real bytes (cut, garbage, bad gzip), each a file a batch must survive."""

from __future__ import annotations

import gzip
import os
import sys
from pathlib import Path

import pytest

_ROOT = Path(__file__).resolve().parents[3]
if str(_ROOT) not in sys.path:
    sys.path.insert(0, str(_ROOT))

SEED = _ROOT / "tests" / "fixtures" / "seed" / "seed.pcap"
CORPUS = Path(os.environ.get("TLSLENS_CORPUS", _ROOT.parent / "shared" / "corpus")) / "pcaps"


@pytest.fixture(scope="session")
def corpus() -> Path:
    if not CORPUS.is_dir():
        pytest.skip("the shared corpus is absent")
    return CORPUS


@pytest.fixture(scope="session")
def damaged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of captures that cannot be analysed (fully), plus one good seed copy."""
    folder = tmp_path_factory.mktemp("damaged")
    seed = SEED.read_bytes()
    (folder / "good.pcap").write_bytes(seed)
    (folder / "not-a-capture.pcap").write_bytes(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    (folder / "empty.pcapng").write_bytes(b"")
    (folder / "cut.pcap").write_bytes(seed[:3000])  # inside packet 9's record header
    (folder / "cut.pcap.gz").write_bytes(gzip.compress(seed)[:-30])
    (folder / "notes.txt").write_text("not searched: wrong suffix")
    return folder
