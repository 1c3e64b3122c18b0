"""Standard streams that may be missing: a command started with standard input, output or error closed.

A program started with a standard descriptor closed (``voiceguide plan >&-``,
``2>&-``, a service manager) meets two traps.  Python sets ``sys.stdout`` (or
``sys.stderr``) to None, and ``print(..., file=None)`` writes to standard
output: warnings would land in the JSON of ``plan --json``.  And the next file
opened takes the lowest free descriptor, 1 or 2, so whatever a library writes
to "standard error" would go into it.  ``ensure_standard_streams`` fills each
closed descriptor with the null device first, then gives Python streams that
say so: a closed standard output raises ``OSError(EBADF)`` on its first write
(the command line turns that into one sentence on standard error), a closed
standard error swallows what is written to it, a closed standard input reads
as empty.
"""

from __future__ import annotations

import errno
import io
import os
import sys

__all__ = ["ClosedOutput", "ensure_standard_streams"]


class ClosedOutput(io.TextIOBase):
    """Stands for a standard output that was closed when voiceguide started: writing to it raises EBADF."""

    def write(self, text: str) -> int:
        """Raise ``OSError(EBADF)``: there is nowhere to write."""
        if not text:
            return 0
        raise OSError(errno.EBADF, "it was closed when voiceguide started")

    def isatty(self) -> bool:
        """Never a terminal."""
        return False


def _reserve(descriptor: int) -> bool:
    """Open the null device on ``descriptor`` if it is closed; True if it was."""
    try:
        os.fstat(descriptor)
    except OSError:
        opened = os.open(os.devnull, os.O_RDWR)
        if opened != descriptor:
            os.dup2(opened, descriptor)
            os.close(opened)
        return True
    return False


def ensure_standard_streams() -> None:
    """Make a closed standard input, output or error safe (see the module); a no-op when all are open."""
    closed = [_reserve(descriptor) for descriptor in (0, 1, 2)]
    if sys.stdin is None or closed[0]:
        sys.stdin = io.StringIO()
    if sys.stdout is None or closed[1]:
        sys.stdout = ClosedOutput()
    if sys.stderr is None or closed[2]:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - lives as long as the process
