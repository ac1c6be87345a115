"""Run tcpdump and hand its pcap stream to the pipeline as it arrives.

This is the I/O edge of live capture, nothing more: starting tcpdump, waiting until it
says it listens, copying its stdout byte for byte to a file while the pipeline reads it,
and stopping it the way tcpdump expects (SIGINT to its own PID, then wait: only then
does it flush its last packets). Building tcpdump's command line and reading its error
messages are pure functions in :mod:`tlslens.commands.capture`.

tcpdump runs in its own session, so a Ctrl-C on the terminal reaches tlslens alone;
tlslens forwards it. That way the order is always the same: tcpdump stops, tlslens reads
to the end of the stream, then reports.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections.abc import Sequence
from typing import Any, BinaryIO

#: How long tcpdump may take to open the interface and say "listening on".
READY_TIMEOUT = 15.0
#: How long tcpdump may take to flush and exit after SIGINT before it is killed.
STOP_TIMEOUT = 5.0


class TcpdumpFailed(Exception):
    """tcpdump exited before it listened (or instead of listening).

    ``stderr`` is tcpdump's own message, ``returncode`` its exit status.
    """

    def __init__(self, returncode: int | None, stderr: str) -> None:
        super().__init__(stderr.strip() or f"tcpdump exited with status {returncode}")
        self.returncode = returncode
        self.stderr = stderr


class TeeStream:
    """A read-once binary stream over ``source`` that copies every byte it reads to ``copy``.

    The capture reader asks for ``read1``, which returns whatever the pipe holds: one
    packet's worth when traffic is slow, so a packet is analysed as soon as tcpdump
    writes it. Each chunk is written and flushed before it is returned, so the copy is
    current even if tlslens is killed.
    """

    def __init__(self, source: BinaryIO, copy: BinaryIO | None = None, name: str = "-") -> None:
        self.name = name
        self.eof = False
        self.bytes = 0
        self._source = source
        self._copy = copy
        read1 = getattr(source, "read1", None)
        self._read = read1 if read1 is not None else source.read

    def read1(self, n: int = -1, /) -> bytes:
        chunk = self._read(n if n > 0 else 1 << 16)
        if not chunk:
            self.eof = True
            return b""
        self.bytes += len(chunk)
        if self._copy is not None:
            self._copy.write(chunk)
            self._copy.flush()
        return chunk

    read = read1

    def drain(self) -> None:
        """Read (and copy) to the end: the pipeline may stop early on a corrupt stream."""
        while not self.eof:
            self.read1(1 << 16)


class Tcpdump:
    """One tcpdump process writing a pcap stream to its stdout.

    ``start()`` returns once tcpdump listens, or raises :class:`TcpdumpFailed` with its
    message. ``stop()`` may be called from any thread or signal handler, any number of
    times. ``finish()`` waits for the exit and returns the exit status.
    """

    def __init__(self, argv: Sequence[str]) -> None:
        self.argv = list(argv)
        self.proc: subprocess.Popen[bytes] | None = None
        self.stop_requested = False
        self._stderr: list[str] = []
        self._listening = threading.Event()
        self._stderr_done = threading.Event()
        self._lock = threading.Lock()

    @property
    def stdout(self) -> BinaryIO:
        assert self.proc is not None and self.proc.stdout is not None
        return self.proc.stdout  # type: ignore[return-value]

    @property
    def stderr_text(self) -> str:
        """Everything tcpdump wrote to stderr so far (its messages and counters)."""
        with self._lock:
            return "".join(self._stderr)

    def start(self, timeout: float = READY_TIMEOUT) -> None:
        """Run tcpdump; wait for its "listening on" line (FileNotFoundError if missing)."""
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     start_new_session=True)
        threading.Thread(target=self._read_stderr, name="tcpdump-stderr",
                         daemon=True).start()
        if self.stop_requested:  # a signal came while we were starting
            self._signal(signal.SIGINT)
        waited = 0.0
        while not self._listening.wait(0.05):
            waited += 0.05
            if self._stderr_done.is_set() or waited >= timeout:
                break
        if not self._listening.is_set():
            rc = self._reap(1.0)
            raise TcpdumpFailed(rc, self.stderr_text)

    def _read_stderr(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        try:
            for raw in self.proc.stderr:
                line = raw.decode("utf-8", "replace")
                with self._lock:
                    self._stderr.append(line)
                if "listening on" in line:
                    self._listening.set()
        finally:
            self._stderr_done.set()

    def stop(self) -> None:
        """Ask tcpdump to stop: it flushes what it captured and closes the stream."""
        self.stop_requested = True
        self._signal(signal.SIGINT)

    def kill(self) -> None:
        self.stop_requested = True
        self._signal(signal.SIGKILL)

    def _signal(self, sig: int) -> None:
        proc = self.proc
        if proc is None or proc.returncode is not None:
            return
        try:
            os.kill(proc.pid, sig)
        except ProcessLookupError:
            pass

    def finish(self, timeout: float = STOP_TIMEOUT, discard: bool = False) -> int | None:
        """Stop tcpdump if it still runs, wait for it, and return its exit status.

        ``discard``: nobody will read the rest of the stream (an error path); close our
        end first so a tcpdump blocked on a full pipe gets EPIPE instead of hanging.
        """
        if self.proc is None:
            return None
        if discard and self.proc.stdout is not None:
            self.proc.stdout.close()
        if self.proc.poll() is None:
            self.stop()
        return self._reap(timeout)

    def _reap(self, timeout: float) -> int | None:
        assert self.proc is not None
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            rc = self.proc.wait()
        self._stderr_done.wait(1.0)
        for stream in (self.proc.stdout, self.proc.stderr):
            if stream is not None and self._stderr_done.is_set():
                stream.close()
        return rc


class FollowedFile:
    """A file another program is still appending to (a client's key log): new lines only.

    Each :meth:`new_lines` returns the complete lines written since the last call; a
    line still being written waits for its newline. A file that does not exist yet
    (the client has not started) reads as empty; one that shrank was rewritten and is
    read again from the start.
    """

    def __init__(self, path: str) -> None:
        self.path = path
        self._offset = 0
        self._partial = b""

    def new_lines(self) -> bytes:
        try:
            with open(self.path, "rb") as f:
                size = os.fstat(f.fileno()).st_size
                if size < self._offset:
                    self._offset, self._partial = 0, b""
                f.seek(self._offset)
                data = f.read()
        except OSError:
            return b""
        self._offset += len(data)
        data = self._partial + data
        cut = data.rfind(b"\n") + 1
        self._partial = data[cut:]
        return data[:cut]


def following_key_store(paths: Sequence[str]) -> Any:
    """A :class:`tlslens.crypto.keylog.KeyStore` that re-reads growing key logs on a miss.

    A client writes a connection's secrets while its handshake runs, moments before the
    records that need them reach tcpdump; so a secret not found is looked for again in
    what the files gained since, then the answer is final for that lookup.
    """
    from tlslens.crypto.keylog import KeyStore

    class FollowingKeyStore(KeyStore):
        def __init__(self) -> None:
            super().__init__()
            self.followed = [FollowedFile(p) for p in paths]
            self.refresh()

        def refresh(self) -> None:
            for f in self.followed:
                data = f.new_lines()
                if data:
                    self.add_keylog(data, f.path)

        def get(self, label: str, key: bytes | None) -> bytes | None:
            found = super().get(label, key)
            if found is None and key is not None:
                self.refresh()
                found = super().get(label, key)
            return found

    return FollowingKeyStore()
