"""Wiring decryption into a run: the key store from the options, the per-connection
decryptor factory, and the plaintext exporter.

The I/O edge of decryption: key log and PEM files are read here (once per run) and
``--export-plaintext`` files are written here; everything under it is sans-IO.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tlslens.anomalies import Anomaly
from tlslens.crypto.keylog import KeyStore

if TYPE_CHECKING:
    from tlslens.crypto.decryptor import Decryptor


def key_store_for(options: Any) -> tuple[KeyStore, Callable[[], Any] | None]:
    """(the run's key store, the decryptor factory). The factory gives None while the
    store holds no key material, so a run without keys keeps the fast path; a pcapng
    Decryption Secrets Block read later turns decryption on for the connections that
    start after it (where such a block sits: before the packets it covers)."""
    store = KeyStore()
    for path in getattr(options, "keylogs", ()):
        store.add_keylog(Path(path).read_bytes(), str(path))
    for path in getattr(options, "rsa_keys", ()):
        store.add_rsa_key_pem(Path(path).read_bytes(), str(path))
    explicit = getattr(options, "decryptor_factory", None)
    if explicit is not None:
        return store, explicit
    export = getattr(options, "export_plaintext", None) is not None

    def factory() -> Decryptor | None:
        if not store.has_material:
            return None
        # (imported on first use: a run without keys never loads the record crypto,
        # a good part of ``tlslens fingerprint``'s start-up)
        from tlslens.crypto.decryptor import Decryptor

        return Decryptor(store, export=export)

    return store, factory


def plaintext_exporter(options: Any, anomalies: list[Anomaly]
                       ) -> Callable[[Any, Any], None] | None:
    """With ``options.export_plaintext`` set, a callback writing each decrypted
    connection's two plaintext streams as ``conn<ID>-<client>-<server>-<direction>.bin``."""
    folder = getattr(options, "export_plaintext", None)
    if folder is None:
        return None
    root = Path(folder)

    def write(conn: Any, session: Any) -> None:
        dec = getattr(session, "decryptor", None)
        from tlslens.crypto.decryptor import Decryptor

        if not isinstance(dec, Decryptor):
            return
        for direction, data in dec.streams().items():
            if not data:
                continue
            name = f"conn{conn.id}-{_slug(conn.client)}-{_slug(conn.server)}-{direction}.bin"
            try:
                root.mkdir(parents=True, exist_ok=True)
                (root / name).write_bytes(data)
            except OSError as exc:
                anomalies.append(Anomaly("internal.error", f"--export-plaintext: {exc}"))
                return

    return write


def _slug(endpoint: Any) -> str:
    return f"{endpoint.ip}_{endpoint.port}".replace(":", ".").replace(os.sep, "_")
