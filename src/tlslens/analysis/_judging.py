"""What :mod:`tlslens.analysis.build` needs to judge a full handshake, in one place so it
is imported only when a connection is judged (see ``build._judge``)."""

from tlslens.analysis.assess import conclusion, verification
from tlslens.analysis.esim import esim_for
from tlslens.analysis.findings import evaluate
from tlslens.analysis.verdict import judge
from tlslens.x509.certs import summarize_certificate

__all__ = ["conclusion", "esim_for", "evaluate", "judge", "summarize_certificate",
           "verification"]
