"""The key options of ``tlslens analyze`` (--keylog, --rsa-key, --export-plaintext) and
SSLKEYLOGFILE, checked up front so a missing file is a one-line usage error."""

from __future__ import annotations

import argparse
import os
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keylog", metavar="FILE", action="append", default=[],
                        help="NSS key log file (SSLKEYLOGFILE format) to decrypt with; "
                        "repeatable; the SSLKEYLOGFILE environment variable adds one")
    parser.add_argument("--rsa-key", metavar="PEM", action="append", default=[],
                        help="RSA private key (unencrypted PEM) of a server using RSA key "
                        "exchange; repeatable")
    parser.add_argument("--export-plaintext", metavar="DIR",
                        help="write each decrypted connection's plaintext streams to DIR")


def apply(args: argparse.Namespace, options: Any) -> None:
    """Put the key options of ``args`` (and SSLKEYLOGFILE) on pipeline ``options``."""
    from tlslens.commands import UsageError

    keylogs = list(getattr(args, "keylog", []) or [])
    env = os.environ.get("SSLKEYLOGFILE")
    if env and env not in keylogs:
        keylogs.append(env)
    rsa = list(getattr(args, "rsa_key", []) or [])
    for path in keylogs + rsa:
        if not os.path.isfile(path):
            raise UsageError(f"{path}: no such file")
        if not os.access(path, os.R_OK):
            raise UsageError(f"{path}: permission denied")
    options.keylogs = tuple(keylogs)
    options.rsa_keys = tuple(rsa)
    options.export_plaintext = getattr(args, "export_plaintext", None)
