"""Type stub of the optional compiled hello reader (src/tlslens/tls/_fasthello.c)."""

from collections.abc import Callable
from typing import Any, TypeAlias

_Decoder: TypeAlias = Callable[[int, bytes, str], tuple[Any, str | None]]

def configure(client_hello: type, server_hello: type, extension: type, decoder: _Decoder,
              hrr_random: bytes,
              paths: tuple[_Decoder, _Decoder, frozenset[int], int] = ..., /) -> None: ...
def client_hello(body: bytes, record_version: int, decode: bool, /) -> Any | None: ...
def server_hello(body: bytes, record_version: int, decode: bool, /) -> Any | None: ...
