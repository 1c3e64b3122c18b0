"""Stopping on a signal as on Ctrl-C, so that every temporary file and worker is cleaned up."""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator

__all__ = ["signals_interrupt"]


@contextlib.contextmanager
def signals_interrupt() -> Iterator[list[int]]:
    """Inside, SIGTERM and SIGHUP raise ``KeyboardInterrupt`` as Ctrl-C does; yields the signals received.

    Without it either signal would end the process on the spot, leaving a sink's
    temporary file, the speech worker's folder or the terminal's settings behind.
    Whoever catches the interrupt can tell the system's stop (the list is not
    empty) from the listener's Ctrl-C.  Main thread only, as ``signal.signal``.
    """
    signalled: list[int] = []

    def stop(signum: int, frame: object) -> None:
        signalled.append(signum)
        raise KeyboardInterrupt

    signals = [getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)]
    previous = {sig: signal.signal(sig, stop) for sig in signals}
    try:
        yield signalled
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
