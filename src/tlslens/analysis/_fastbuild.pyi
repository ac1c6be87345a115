"""Type stub of the optional compiled ladder (src/tlslens/analysis/_fastbuild.c)."""

from typing import Any

def ladder(entries: list[Any], names: tuple[str, str], letters: tuple[dict[str, str],
           dict[str, str]], message_line: type, /) -> tuple[tuple[Any, ...], str] | None: ...
