"""Raw key bytes from a terminal, one adapter per platform: ``termios`` (POSIX), ``msvcrt`` (Windows), or none.

A ``KeyBackend`` puts the terminal in a mode where keys arrive one at a time,
unechoed (``enter``), gives its bytes (``read_bytes``) and puts it back
(``restore``).  Arrows come as the ANSI sequences a POSIX terminal sends
(``ESC [ A``), whatever the platform, so one decoder serves all.
``open_backend`` picks the adapter; with no terminal (a pipe, CI) there is
none, and on a platform with neither module ``unavailable_reason`` says so.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import ModuleType
from typing import Any, Protocol


class KeyBackend(Protocol):
    """A terminal's keys, read raw."""

    def enter(self) -> None:
        """Keys one at a time, no echo (Ctrl-C still interrupts)."""
        ...

    def restore(self) -> None:
        """The terminal as it was; safe to call more than once."""
        ...

    def read_bytes(self, timeout: float) -> bytes | None:
        """Bytes typed within ``timeout`` seconds; None when none came, ``b""`` when the terminal is gone."""
        ...


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def suspend_process() -> None:
    """Stop this process the way Ctrl-Z would, until it is continued (POSIX only)."""
    handler = signal.signal(signal.SIGTSTP, signal.SIG_DFL)
    try:
        os.kill(os.getpid(), signal.SIGTSTP)
    finally:
        signal.signal(signal.SIGTSTP, handler)


class PosixTerminal:
    """cbreak mode through ``termios``; Ctrl-Z gives the shell its terminal back, cbreak returns on ``fg``."""

    def __init__(self, fd: int, termios: ModuleType, suspend: Callable[[], None] | None = None) -> None:
        self._fd = fd
        self._termios = termios
        self._suspend = suspend_process if suspend is None else suspend
        self._saved: list[Any] | None = None
        self._previous_tstp: Any = None

    def enter(self) -> None:
        """Save the terminal's mode and switch to cbreak."""
        self._saved = self._termios.tcgetattr(self._fd)
        self._cbreak()
        if hasattr(signal, "SIGTSTP") and threading.current_thread() is threading.main_thread():
            self._previous_tstp = signal.signal(signal.SIGTSTP, self._on_suspend)

    def _cbreak(self) -> None:
        termios = self._termios
        mode = termios.tcgetattr(self._fd)
        mode[3] &= ~(termios.ECHO | termios.ICANON)  # lflag: no echo, no line editing
        mode[6][termios.VMIN] = 1
        mode[6][termios.VTIME] = 0
        termios.tcsetattr(self._fd, termios.TCSAFLUSH, mode)

    def _on_suspend(self, signum: int, frame: object) -> None:
        if self._saved is None:
            self._suspend()
            return
        with contextlib.suppress(self._termios.error):
            self._termios.tcsetattr(self._fd, self._termios.TCSADRAIN, self._saved)
        self._suspend()  # returns once the process is continued
        if self._saved is not None:
            with contextlib.suppress(self._termios.error):
                self._cbreak()

    def restore(self) -> None:
        """Put the saved mode back (a terminal already hung up has nothing to restore)."""
        saved, self._saved = self._saved, None
        if saved is not None:
            with contextlib.suppress(self._termios.error):
                self._termios.tcsetattr(self._fd, self._termios.TCSADRAIN, saved)
        if self._previous_tstp is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTSTP, self._previous_tstp)
            self._previous_tstp = None

    def read_bytes(self, timeout: float) -> bytes | None:
        """What was typed, waiting up to ``timeout`` seconds for the first byte."""
        import select

        ready, _, _ = select.select([self._fd], [], [], timeout)
        if not ready:
            return None
        return os.read(self._fd, 64)


_WINDOWS_ARROWS = {"H": b"\x1b[A", "P": b"\x1b[B", "M": b"\x1b[C", "K": b"\x1b[D"}
"""The second character ``getwch`` gives after ``\\xe0`` or ``\\x00`` for an arrow, as ANSI sequences."""
_POLL_SECONDS = 0.02


class WindowsConsole:
    """Keys from the Windows console through ``msvcrt`` (no mode to change: ``getwch`` neither echoes nor waits
    for Enter).  ``kbhit`` is polled, as the console has no ``select``."""

    def __init__(self, msvcrt: ModuleType, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._msvcrt = msvcrt
        self._clock = clock
        self._sleep = sleep

    def enter(self) -> None:
        """Nothing to change on the console."""

    def restore(self) -> None:
        """Nothing to put back."""

    def read_bytes(self, timeout: float) -> bytes | None:
        """The keys waiting, arrows as ANSI sequences; Ctrl-C (read as a character here) interrupts."""
        deadline = self._clock() + timeout
        while not self._msvcrt.kbhit():
            left = deadline - self._clock()
            if left <= 0:
                return None
            self._sleep(min(_POLL_SECONDS, left))
        data = b""
        while self._msvcrt.kbhit() and len(data) < 64:
            char = self._msvcrt.getwch()
            if char in ("\x00", "\xe0"):
                data += _WINDOWS_ARROWS.get(self._msvcrt.getwch(), b"")
            elif char == "\x03":
                raise KeyboardInterrupt
            elif char == "\r":
                data += b"\n"
            else:
                data += char.encode("utf-8")
        return data


NO_KEY_READER = ("keys cannot be read on this system (no termios or msvcrt): "
                 "the session plays without them; --listen gives voice commands")
"""What ``play`` says, once, where no adapter exists."""


def terminal_fd(stream: Any) -> int | None:
    """The stream's descriptor when it is a terminal, else None."""
    try:
        fd = stream.fileno()
    except (AttributeError, ValueError, OSError):
        return None
    return fd if fd >= 0 and os.isatty(fd) else None


def open_backend(stream: Any, *, platform: str = sys.platform, modules: dict[str, ModuleType | None] | None = None,
                 suspend: Callable[[], None] | None = None) -> tuple[KeyBackend | None, str | None]:
    """The adapter for ``stream`` and, when a terminal has no adapter here, the sentence that says so.

    ``(None, None)`` when the stream is no terminal (nothing to say: a pipe has no
    keys).  ``modules`` stands in for ``termios``/``msvcrt`` in tests.
    """
    fd = terminal_fd(stream)
    if fd is None:
        return None, None

    def find(name: str) -> ModuleType | None:
        return modules.get(name) if modules is not None else _module(name)

    if platform == "win32":
        msvcrt = find("msvcrt")
        return (WindowsConsole(msvcrt), None) if msvcrt is not None else (None, NO_KEY_READER)
    termios = find("termios")
    return (PosixTerminal(fd, termios, suspend), None) if termios is not None else (None, NO_KEY_READER)
