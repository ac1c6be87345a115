"""Progress of a batch on stderr: files done of all, connections, failed files.

Shown only on a terminal (never in a pipe, a log or CI) and not with ``--quiet``. It is
fed from the main process as each file's result arrives (from the local pool or from
the Dask cluster alike), so workers never draw anything.
"""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from tlslens.batch.runner import FileResult


class BatchProgress:
    """A bar over the files; :meth:`close` clears it (the summary line stays)."""

    def __init__(self, total: int, *, enabled: bool = True,
                 console: Console | None = None) -> None:
        self.console = console if console is not None else Console(stderr=True)
        self.enabled = enabled and self.console.is_terminal
        self.connections = 0
        self.failed = 0
        self.done = 0
        self.total = total
        self.progress: Progress | None = None

    def _open(self) -> Progress:
        """Start drawing. Done at the first result, not before: the local pool forks its
        workers at the start, and rich draws from a thread that must not be forked."""
        progress = Progress(
            TextColumn("tlslens batch"), BarColumn(), MofNCompleteColumn(),
            TextColumn("files, {task.fields[connections]} TLS connections, "
                       "{task.fields[failed]} failed"),
            TimeElapsedColumn(), console=self.console, transient=True)
        self.task = progress.add_task("batch", total=self.total, connections=0, failed=0)
        progress.start()
        return progress

    def update(self, result: FileResult) -> None:
        """Count one finished file (called in completion order)."""
        self.done += 1
        self.connections += result.connections
        self.failed += 1 if result.errors else 0
        if self.enabled:
            if self.progress is None:
                self.progress = self._open()
            self.progress.update(self.task, completed=self.done,
                                 connections=self.connections, failed=self.failed)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
