"""tlslens: decode, explain and judge every TLS handshake in a packet capture.

>>> import tlslens
>>> result = tlslens.analyze("capture.pcap")          # doctest: +SKIP
>>> for conn in result.connections:                    # doctest: +SKIP
...     print(conn.server_name, conn.verdict.level)
"""

from __future__ import annotations

__version__ = "0.1.0"

from tlslens.analysis.model import AnalysisResult, TlsConnection
from tlslens.pipeline import analyze, iter_connections

__all__ = ["AnalysisResult", "TlsConnection", "__version__", "analyze", "iter_connections"]
