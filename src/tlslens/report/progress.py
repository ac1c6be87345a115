"""A progress line on stderr for long runs: bytes read, packets per second, connections.

It appears only when it helps: stderr is a terminal (never in a pipe, a log or CI
output), ``--quiet`` was not given, and the run has already taken ``delay`` seconds (a
small capture finishes before anything is drawn). The pipeline calls :meth:`update`
every few thousand packets (``Options.on_progress``); drawing is rich's, on its own
refresh thread, so the hot loop only stores three numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from tlslens.pipeline import Options

if TYPE_CHECKING:  # rich is imported only for a reporter that may draw (see __init__)
    from rich.console import Console
    from rich.progress import Progress, TaskID

#: Show nothing for runs shorter than this (seconds).
DEFAULT_DELAY = 1.0


class ProgressReporter:
    """Progress of one analysis run; :meth:`close` clears its line at the end.

    ``total_bytes`` (the file size of an uncompressed capture) gives a bar with an end;
    without it (stdin, gzip) the bar pulses. ``clock`` is a parameter so a test can run
    a whole display without waiting a real second.
    """

    def __init__(self, console: Console | None = None, *, total_bytes: int | None = None,
                 delay: float = DEFAULT_DELAY, enabled: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if console is None and enabled and _stderr_may_be_terminal():
            from rich.console import Console

            console = Console(stderr=True)
        # Off (--quiet, the report goes to the terminal, or stderr is a file or a pipe):
        # no console, and rich is not imported at all (some 30 ms of start-up, before any
        # worker can start).
        self.console = console
        self.enabled = enabled and console is not None and console.is_terminal
        self.total_bytes = total_bytes
        self.delay = delay
        self.clock = clock
        self.start = clock()
        self.progress: Progress | None = None
        self.task: TaskID | None = None
        self.shown = False  # drawn at least once (tests read it)

    def update(self, packets: int, nbytes: int, connections: int) -> None:
        """Record the run's counters; starts the display once ``delay`` has passed."""
        if not self.enabled:
            return
        elapsed = self.clock() - self.start
        if self.progress is None:
            if elapsed < self.delay:
                return
            self._open()
        assert self.progress is not None and self.task is not None
        rate = packets / elapsed if elapsed > 0 else 0.0
        self.progress.update(self.task, completed=nbytes, packets=packets,
                             rate=f"{rate:,.0f}", connections=connections)
        self.shown = True

    def _open(self) -> None:
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self.progress = Progress(
            TextColumn("tlslens"), BarColumn(bar_width=16), DownloadColumn(),
            TextColumn("{task.fields[packets]:,} packets ({task.fields[rate]}/s)"),
            TextColumn("{task.fields[connections]} TLS"),
            TimeElapsedColumn(), console=self.console, transient=True)
        self.task = self.progress.add_task("analyse", total=self.total_bytes, packets=0,
                                           rate="0", connections=0)
        self.progress.start()

    def options(self) -> Options:
        """Pipeline options wired to this reporter (nothing wired when it is off)."""
        return Options(on_progress=self.update if self.enabled else None)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def _stderr_may_be_terminal() -> bool:
    """Whether rich could take stderr for a terminal: it is one, or the environment says
    to treat it as one (rich reads TTY_COMPATIBLE=1 and a non-empty FORCE_COLOR; see
    rich.console.Console.is_terminal). False means rich would say no, so the reporter
    need not import rich to hear it."""
    import os
    import sys

    if os.environ.get("TTY_COMPATIBLE") == "1" or os.environ.get("FORCE_COLOR"):
        return True
    if os.environ.get("TTY_COMPATIBLE") == "0":
        return False
    try:
        return sys.stderr is not None and sys.stderr.isatty()
    except (AttributeError, ValueError):  # no isatty, or a closed stream
        return False


def progress_for(source: str, output: str | None, *, quiet: bool = False,
                 console: Console | None = None) -> ProgressReporter:
    """The reporter for ``tlslens analyze``: on only when stderr is a terminal, ``--quiet``
    is off, and the report itself does not go to that terminal (a live bar between
    report lines would garble both)."""
    import os
    import sys

    to_terminal = output in (None, "-") and sys.stdout.isatty()
    total = None
    if source != "-" and not source.endswith(".gz"):
        try:
            total = os.path.getsize(source)
        except OSError:
            total = None
    return ProgressReporter(console, total_bytes=total, enabled=not quiet and not to_terminal)
