"""Streaming report output: memory flat however many connections a capture holds.

The CLI must not keep every connection of a large capture in memory, yet the report's
header (capture summary, capture-level anomalies) is only known at the end and, with
sorted keys, comes before the connections in the JSON document. So each connection is
rendered as soon as it is known, spooled to a temporary file, and the document is
assembled at the end: header, spool, footer. The output is byte-identical to rendering
the whole :class:`AnalysisResult` at once.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable, Iterable
from typing import IO

from tlslens.analysis.model import AnalysisResult
from tlslens.report.json_report import encode

#: Spooled text kept in memory before it goes to a temporary file on disk.
SPOOL_MEMORY = 8 * 1024 * 1024


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def write_json(texts: Iterable[str], finish: Callable[[], AnalysisResult],
               out: IO[str]) -> None:
    """The JSON report, streaming: equals ``json_report.dumps(result_to_dict(...))``.

    ``texts`` are the connections already encoded (``json_report.encode``), in order;
    ``finish()`` is called once they are exhausted and returns the result header
    (capture, stats, anomalies) with no connections in it."""
    count = 0
    with tempfile.SpooledTemporaryFile(SPOOL_MEMORY, mode="w+", encoding="utf-8") as spool:
        for text in texts:
            spool.write(("," if count else "") + "\n" + _indent(text, "    "))
            count += 1
        head = finish()
        from tlslens.report.json_report import result_to_dict

        doc = result_to_dict(head)
        doc["connections"] = ["@@CONNECTIONS@@"]
        skeleton = encode(doc)
        before, after = skeleton.split('[\n    "@@CONNECTIONS@@"\n  ]')
        out.write(before)
        if count:
            out.write("[")
            spool.seek(0)
            shutil.copyfileobj(spool, out)
            out.write("\n  ]")
        else:
            out.write("[]")
        out.write(after + "\n")


def write_spooled(texts: Iterable[str], finish: Callable[[], AnalysisResult],
                  out: IO[str], header: Callable[[AnalysisResult, IO[str]], None]) -> None:
    """Any per-connection text format: the header (known only at the end) first, then
    each connection's text as it was rendered when the connection was known."""
    with tempfile.SpooledTemporaryFile(SPOOL_MEMORY, mode="w+", encoding="utf-8") as spool:
        for text in texts:
            spool.write(text)
        head = finish()
        header(head, out)
        spool.seek(0)
        shutil.copyfileobj(spool, out)
