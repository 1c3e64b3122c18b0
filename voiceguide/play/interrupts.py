"""Stopping on a signal as on Ctrl-C, so that every temporary file and worker is cleaned up."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["signals_interrupt"]

REDELIVER_SECONDS = 0.01
"""A signal that arrives during an import is sent again this much later."""


def _importing(frame: FrameType | None) -> bool:
    """Whether ``frame`` (the main thread's, where a signal handler runs) is inside Python's import machinery."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


@contextlib.contextmanager
def signals_interrupt() -> Iterator[list[int]]:
    """Inside, SIGTERM and SIGHUP raise ``KeyboardInterrupt`` as Ctrl-C does; yields the signals received.

    Without it either signal would end the process on the spot, leaving a sink's
    temporary file, the speech worker's folder or the terminal's settings behind.
    Whoever catches the interrupt can tell the system's stop (the list is not
    empty) from the listener's Ctrl-C.  Main thread only, as ``signal.signal``.
    """
    signalled: list[int] = []

    def stop(signum: int, frame: FrameType | None) -> None:
        if _importing(frame):
            # Raised inside an import, the interrupt would surface as that import's RuntimeError (a
            # traceback, exit 1) or leave the module half made: ask again once the import is done.
            threading.Timer(REDELIVER_SECONDS, os.kill, (os.getpid(), signum)).start()
            return
        signalled.append(signum)
        raise KeyboardInterrupt

    signals = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {sig: signal.signal(sig, stop) for sig in signals}
    try:
        yield signalled
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
