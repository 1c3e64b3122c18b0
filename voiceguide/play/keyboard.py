"""Single-key input from a terminal: no Enter, no echo, arrows decoded, terminal always restored.

``KeyReader`` puts the terminal in cbreak mode (characters arrive one at a
time, unechoed; Ctrl-C still sends SIGINT) and restores the saved attributes
when its block exits (also by an exception: the caller turns SIGTERM/SIGHUP
into one), at interpreter exit, and around a Ctrl-Z suspension (cbreak mode
comes back on ``fg``).  When standard input is not a terminal (a pipe, CI),
there are no keys: ``read`` just waits out its timeout.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import select
import signal
import sys
import termios
import threading
from collections.abc import Callable
from types import TracebackType
from typing import IO, Any

SPACE = "space"
ESCAPE = "escape"
LEFT = "left"
RIGHT = "right"
UP = "up"
DOWN = "down"

_ESCAPE_SEQUENCES = {
    b"[A": UP, b"[B": DOWN, b"[C": RIGHT, b"[D": LEFT,
    b"OA": UP, b"OB": DOWN, b"OC": RIGHT, b"OD": LEFT,
}
_ESCAPE_WAIT_SECONDS = 0.05
"""How long a lone ESC waits for the rest of an arrow's escape sequence."""


def decode_keys(data: bytes) -> list[str]:
    """The keys in a chunk of terminal input: single characters, ``space``, arrows, ``escape``."""
    keys: list[str] = []
    i = 0
    while i < len(data):
        byte = data[i:i + 1]
        if byte == b"\x1b":
            tail = data[i + 1:i + 3]
            if tail in _ESCAPE_SEQUENCES:
                keys.append(_ESCAPE_SEQUENCES[tail])
                i += 3
                continue
            if tail[:1] in (b"[", b"O") and len(tail) == 2:
                # Some other CSI/SS3 sequence (F-keys, Home...): skip it whole, it is no command.
                j = i + 2
                while j < len(data) and not (0x40 <= data[j] <= 0x7E):
                    j += 1
                i = j + 1
                continue
            keys.append(ESCAPE)
            i += 1
            continue
        if byte == b" ":
            keys.append(SPACE)
        else:
            keys.append(byte.decode("latin-1"))
        i += 1
    return keys


def _suspend_process() -> None:
    """Stop this process the way Ctrl-Z would, until it is continued."""
    handler = signal.signal(signal.SIGTSTP, signal.SIG_DFL)
    try:
        os.kill(os.getpid(), signal.SIGTSTP)
    finally:
        signal.signal(signal.SIGTSTP, handler)


class KeyReader:
    """Reads single keys from a terminal in cbreak mode; a context manager that restores it."""

    def __init__(self, stream: IO[str] | None = None, *, suspend: Callable[[], None] | None = None) -> None:
        stream = sys.stdin if stream is None else stream
        self._suspend = _suspend_process if suspend is None else suspend
        self._previous_tstp: Any = None
        self._fd: int | None = None
        try:
            fd = stream.fileno()
        except (AttributeError, ValueError, OSError):
            fd = -1
        if fd >= 0 and os.isatty(fd):
            self._fd = fd
        self._saved: list[Any] | None = None
        self._pending: list[str] = []

    @property
    def interactive(self) -> bool:
        """True when keys can be read (standard input is a terminal)."""
        return self._fd is not None

    def __enter__(self) -> KeyReader:
        if self._fd is not None:
            self._saved = termios.tcgetattr(self._fd)
            atexit.register(self.restore)
            self._cbreak()
            if threading.current_thread() is threading.main_thread():
                self._previous_tstp = signal.signal(signal.SIGTSTP, self._on_suspend)
        return self

    def _cbreak(self) -> None:
        assert self._fd is not None
        mode = termios.tcgetattr(self._fd)
        mode[3] &= ~(termios.ECHO | termios.ICANON)  # lflag: no echo, no line editing
        mode[6][termios.VMIN] = 1
        mode[6][termios.VTIME] = 0
        termios.tcsetattr(self._fd, termios.TCSAFLUSH, mode)

    def _on_suspend(self, signum: int, frame: object) -> None:
        """Ctrl-Z: give the shell its terminal back while stopped, take cbreak mode again after."""
        if self._saved is None or self._fd is None:
            self._suspend()
            return
        with contextlib.suppress(termios.error):
            termios.tcsetattr(self._fd, termios.TCSADRAIN, self._saved)
        self._suspend()  # returns once the process is continued
        if self._saved is not None:
            with contextlib.suppress(termios.error):
                self._cbreak()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.restore()

    def restore(self) -> None:
        """Put the terminal back as it was; safe to call more than once, from any exit path."""
        saved, self._saved = self._saved, None
        if saved is not None and self._fd is not None:
            # A terminal that is already gone (hung up) has nothing left to restore.
            with contextlib.suppress(termios.error):
                termios.tcsetattr(self._fd, termios.TCSADRAIN, saved)
            atexit.unregister(self.restore)
        if self._previous_tstp is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTSTP, self._previous_tstp)
            self._previous_tstp = None

    def read(self, timeout: float) -> str | None:
        """The next key, or None when none came within ``timeout`` seconds."""
        if self._pending:
            return self._pending.pop(0)
        if self._fd is None:
            if timeout > 0:
                select.select([], [], [], timeout)
            return None
        ready, _, _ = select.select([self._fd], [], [], timeout)
        if not ready:
            return None
        data = os.read(self._fd, 64)
        if not data:  # end of file: the terminal went away; behave as a non-terminal from now on
            self._fd = None
            return None
        if data.endswith(b"\x1b") or data[-2:] in (b"\x1b[", b"\x1bO"):
            # A lone ESC may be the start of an arrow whose bytes are still on their way.
            more, _, _ = select.select([self._fd], [], [], _ESCAPE_WAIT_SECONDS)
            if more:
                data += os.read(self._fd, 64)
        self._pending.extend(decode_keys(data))
        return self._pending.pop(0) if self._pending else None
