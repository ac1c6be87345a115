"""Type stub of the optional compiled ladder encoder (src/tlslens/report/_fastjson.c)."""

from collections.abc import Callable, Sequence
from typing import Any

def messages_json(messages: Sequence[Any], second_template: Callable[[int], str],
                  /) -> bytes | None: ...
