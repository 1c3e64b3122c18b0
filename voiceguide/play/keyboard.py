"""Single-key input from a terminal: no Enter, no echo, arrows decoded, terminal always restored.

``KeyReader`` puts the terminal in cbreak mode (characters arrive one at a
time, unechoed; Ctrl-C still sends SIGINT) and restores the saved attributes
when its block exits (also by an exception: the caller turns SIGTERM/SIGHUP
into one), at interpreter exit, and around a Ctrl-Z suspension (cbreak mode
comes back on ``fg``).  When standard input is not a terminal (a pipe, CI),
or a terminal this platform has no adapter for, there are no keys: ``read``
just waits out its timeout.
"""

from __future__ import annotations

import atexit
import sys
import threading
from collections.abc import Callable
from types import ModuleType, TracebackType
from typing import IO

from voiceguide.system.terminal_keys import open_backend

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


class KeyReader:
    """Reads single keys from a terminal in cbreak mode; a context manager that restores it.

    The terminal itself is handled by a platform adapter (``system.terminal_keys``):
    ``termios`` on POSIX, ``msvcrt`` on Windows.  Where a terminal has no adapter,
    ``unavailable`` says so in one sentence and no keys are read.
    """

    def __init__(self, stream: IO[str] | None = None, *, suspend: Callable[[], None] | None = None,
                 platform: str = sys.platform, modules: dict[str, ModuleType | None] | None = None) -> None:
        stream = sys.stdin if stream is None else stream
        self._backend, self.unavailable = open_backend(stream, platform=platform, modules=modules,
                                                       suspend=suspend)
        self._entered = False
        self._pending: list[str] = []
        self._nothing = threading.Event()  # never set: waits out a timeout without a terminal

    @property
    def interactive(self) -> bool:
        """True when keys can be read (standard input is a terminal this platform can read)."""
        return self._backend is not None

    def __enter__(self) -> KeyReader:
        if self._backend is not None:
            self._backend.enter()
            self._entered = True
            atexit.register(self.restore)
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.restore()

    def restore(self) -> None:
        """Put the terminal back as it was; safe to call more than once, from any exit path."""
        if self._entered and self._backend is not None:
            self._entered = False
            self._backend.restore()
            atexit.unregister(self.restore)

    def read(self, timeout: float) -> str | None:
        """The next key, or None when none came within ``timeout`` seconds."""
        if self._pending:
            return self._pending.pop(0)
        if self._backend is None:
            if timeout > 0:
                self._nothing.wait(timeout)
            return None
        data = self._backend.read_bytes(timeout)
        if data is None:
            return None
        if not data:  # end of file: the terminal went away; behave as a non-terminal from now on
            self.restore()
            self._backend = None
            return None
        if data.endswith(b"\x1b") or data[-2:] in (b"\x1b[", b"\x1bO"):
            # A lone ESC may be the start of an arrow whose bytes are still on their way.
            data += self._backend.read_bytes(_ESCAPE_WAIT_SECONDS) or b""
        self._pending.extend(decode_keys(data))
        return self._pending.pop(0) if self._pending else None
