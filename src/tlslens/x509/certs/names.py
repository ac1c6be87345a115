"""General names (RFC 5280 GeneralName) -> JSON-ready values."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography import x509

_GN_TYPES: dict[type, str] = {
    x509.DNSName: "dNSName",
    x509.IPAddress: "iPAddress",
    x509.UniformResourceIdentifier: "uniformResourceIdentifier",
    x509.RFC822Name: "rfc822Name",
    x509.RegisteredID: "registeredID",
    x509.OtherName: "otherName",
    x509.DirectoryName: "directoryName",
}


def general_name_dict(gn: x509.GeneralName) -> dict[str, str]:
    """``{"type": RFC 5280 choice name, "value": str}``; otherName = ``oid:hex(DER)``."""
    kind = _GN_TYPES.get(type(gn), "unknown")
    if isinstance(gn, x509.OtherName):
        value = f"{gn.type_id.dotted_string}:{gn.value.hex()}"
    elif isinstance(gn, x509.RegisteredID):
        value = gn.value.dotted_string
    elif isinstance(gn, x509.DirectoryName):
        value = gn.value.rfc4514_string()
    elif isinstance(gn, x509.IPAddress):
        value = str(gn.value)  # an address, or a network inside nameConstraints
    else:
        value = str(getattr(gn, "value", gn))
    return {"type": kind, "value": value}


def _names(gns: Sequence[x509.GeneralName] | None) -> list[dict[str, str]] | None:
    return None if gns is None else [general_name_dict(g) for g in gns]
