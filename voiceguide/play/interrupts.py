"""Stopping on a signal as on Ctrl-C, so that every temporary file and worker is cleaned up."""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator
from types import FrameType

__all__ = ["ctrl_c_pressed", "ctrl_c_waits_for_imports", "signals_interrupt"]

REDELIVER_SECONDS = 0.01
"""A signal that arrives during an import is sent again this much later."""


def _importing(frame: FrameType | None) -> bool:
    """Whether ``frame`` (the main thread's, where a signal handler runs) is inside Python's import machinery."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


_pressed: list[int] = []
"""SIGINTs raised as ``KeyboardInterrupt`` by ``ctrl_c_waits_for_imports``'s handler."""


def ctrl_c_pressed() -> bool:
    """Whether a ``KeyboardInterrupt`` came from Ctrl-C (SIGINT) rather than SIGTERM or SIGHUP."""
    return bool(_pressed)


def _on_ctrl_c(signum: int, frame: FrameType | None) -> None:
    if _importing(frame):  # as in signals_interrupt: not inside an import, but once it is done
        threading.Timer(REDELIVER_SECONDS, os.kill, (os.getpid(), signum)).start()
        return
    _pressed.append(signum)
    raise KeyboardInterrupt


def _typed_ctrl_c_comes_here() -> bool:
    """Whether standard input is a terminal whose foreground process group is this process's: Ctrl-C typed
    there is sent here."""
    tcgetpgrp, getpgrp = getattr(os, "tcgetpgrp", None), getattr(os, "getpgrp", None)
    if tcgetpgrp is None or getpgrp is None:
        return False
    try:
        return os.isatty(0) and tcgetpgrp(0) == getpgrp()
    except OSError:
        return False


@contextlib.contextmanager
def ctrl_c_waits_for_imports(*, live: bool = False) -> Iterator[None]:
    """Inside, Ctrl-C (SIGINT) raises ``KeyboardInterrupt`` as Python's own handler does, except inside an import,
    where it is asked again once the import is done.

    Python's handler raised it in the middle of the command line's start-up imports: a traceback through
    ``dataclasses`` (or a module left half made) instead of one line.  A SIGINT that the shell ignores (a
    background job) stays ignored, unless ``live`` (a session played to someone) and Ctrl-C typed on the
    terminal comes here: a script's ``voiceguide play ... &`` (a shell without job control ignores SIGINT in
    its jobs) would otherwise play on, unstoppable from the keyboard.  Outside the main thread nothing changes.
    """
    handler = signal.getsignal(signal.SIGINT)
    if handler is signal.SIG_IGN and live and _typed_ctrl_c_comes_here():
        handler = signal.default_int_handler
    if threading.current_thread() is not threading.main_thread() or handler is not signal.default_int_handler:
        yield
        return
    _pressed.clear()
    signal.signal(signal.SIGINT, _on_ctrl_c)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.default_int_handler)


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
