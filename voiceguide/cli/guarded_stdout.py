"""Standard output that fails cleanly.

Python reports a failed write to stdout (a full disk, a closed pipe) as an
OSError traceback, or, when it only shows at the final flush, as "Exception
ignored ..." after the program has already said it succeeded.  main() wraps
stdout for the command: every write and the final flush turn an OSError into
StdoutError (exit 1, one sentence; a pipe closed by its reader: exit 0, nothing
said).  ``abandon`` then cuts a regular file back to where the command started
writing (a plan cut off by a full disk is not left looking like a plan) and points the descriptor at the null device, so
the interpreter's own flush at exit has nothing left to fail.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from typing import Any, TextIO

from voiceguide.errors import OutputError


class StdoutError(OutputError):
    """Standard output could not be written (full disk, closed pipe, I/O error)."""

    closed_pipe = False
    """True when its reader closed the pipe (``| head``): the command ends quietly."""


def stdout_error(error: OSError) -> StdoutError:
    """One plain sentence for a failed write to standard output."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return StdoutError("Cannot write to standard output: the disk is full (or the file is at its size limit).")
    if error.errno == errno.EBADF:
        return StdoutError("Cannot write to standard output: it is closed.")
    if isinstance(error, BrokenPipeError) or error.errno == errno.EPIPE:
        closed = StdoutError("Cannot write to standard output: it was closed before everything was written.")
        closed.closed_pipe = True
        return closed
    reason = error.strerror or type(error).__name__
    return StdoutError(f"Cannot write to standard output: {reason}.")


class GuardedStdout:
    """A text stream that forwards to ``stream`` and raises ``StdoutError`` instead of ``OSError``."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._start: int | None = None  # where a regular file stood when we began
        with contextlib.suppress(OSError, ValueError, AttributeError):
            descriptor = stream.fileno()
            if stat.S_ISREG(os.fstat(descriptor).st_mode):
                stream.flush()
                self._start = os.lseek(descriptor, 0, os.SEEK_CUR)

    def write(self, text: str) -> int:
        """Write ``text``; ``StdoutError`` on failure."""
        try:
            return self._stream.write(text)
        except OSError as error:
            raise stdout_error(error) from error

    def flush(self) -> None:
        """Flush; ``StdoutError`` on failure."""
        try:
            self._stream.flush()
        except OSError as error:
            raise stdout_error(error) from error

    def abandon(self) -> None:
        """After a failure: take back what a regular file got, and send anything still buffered nowhere."""
        with contextlib.suppress(OSError, ValueError, AttributeError):
            descriptor = self._stream.fileno()
            if self._start is not None:
                os.ftruncate(descriptor, self._start)
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, descriptor)
            os.close(null)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)
