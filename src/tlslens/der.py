"""The few DER (X.690) pieces tlslens reads by hand, shared by the TLS and X.509 layers.

``cryptography`` decodes certificates; these cover what it cannot be asked for: OIDs and
TLVs inside TLS extensions (certificate_authorities, oid_filters) and inside certificate
extensions that ``cryptography`` refused as a whole.
"""

from __future__ import annotations


def oid_text(content: bytes) -> str:
    """Dotted text of an OBJECT IDENTIFIER's content octets (X.690 8.19).

    Raises ValueError when the bytes are not an OID (empty, or a last arc cut short)."""
    if not content or content[-1] & 0x80:
        raise ValueError("bad OID encoding")
    arcs: list[int] = []
    value = 0
    for byte in content:
        value = (value << 7) | (byte & 0x7F)
        if not byte & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [0, first] if first < 40 else [1, first - 40] if first < 80 else [2, first - 80]
    return ".".join(str(a) for a in head + arcs[1:])
