"""Operating-system calls behind small adapters, so that every module of voiceguide imports on every platform.

- ``terminal_keys``: single keys from a terminal (``termios`` on Linux and
  macOS, ``msvcrt`` on Windows, none elsewhere);
- ``file_locks``: an exclusive lock on an open file (``fcntl`` or ``msvcrt``);
- ``fork_is_safe``: whether a child may be forked to speak one utterance.

Each adapter chooses by ``sys.platform`` and by which module imports, and
takes both as arguments, so tests can exercise every branch on Linux.
Linux is what the tests run on, on every commit; the Windows and macOS
branches are expected to work and are exercised only by those simulations.
"""

from __future__ import annotations

import os
import sys


def fork_is_safe(platform: str = sys.platform, has_fork: bool | None = None) -> bool:
    """True where a child forked from the speech worker may start its own engine: Linux (espeak-ng).

    Windows has no ``fork``; macOS's speech frameworks are not safe to use in a
    forked child; elsewhere one engine serves every utterance.
    """
    has_fork = hasattr(os, "fork") if has_fork is None else has_fork
    return has_fork and platform.startswith("linux")
