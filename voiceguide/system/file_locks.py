"""An exclusive lock on an open file, held for a block: ``fcntl.flock`` (POSIX) or ``msvcrt.locking`` (Windows)."""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
from collections.abc import Iterator
from types import ModuleType


def _module(name: str) -> ModuleType | None:
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def lock_kind(platform: str = sys.platform) -> str | None:
    """The locking this platform has: ``"fcntl"``, ``"msvcrt"`` or None (appends unlocked)."""
    if platform == "win32":
        return "msvcrt" if _module("msvcrt") is not None else None
    return "fcntl" if _module("fcntl") is not None else None


@contextlib.contextmanager
def exclusive_lock(fd: int, *, platform: str = sys.platform, module: ModuleType | None = None) -> Iterator[None]:
    """Hold an exclusive lock on the file ``fd`` for the block, waiting for other holders.

    On Windows the lock is on the file's first byte (``msvcrt.locking`` locks a
    range, and retries for 10 s before giving up with ``OSError``).  With no
    locking module at all the block runs unlocked: one short ``O_APPEND`` write
    is still a whole line on every local file system we know.  ``module``
    stands in for ``fcntl``/``msvcrt`` in tests.
    """
    kind = lock_kind(platform) if module is None else ("msvcrt" if platform == "win32" else "fcntl")
    if kind is None:
        yield
        return
    system = module if module is not None else importlib.import_module(kind)
    if kind == "fcntl":
        system.flock(fd, system.LOCK_EX)
        try:
            yield
        finally:
            system.flock(fd, system.LOCK_UN)
        return
    offset = os.lseek(fd, 0, os.SEEK_CUR)
    os.lseek(fd, 0, os.SEEK_SET)
    system.locking(fd, system.LK_LOCK, 1)
    os.lseek(fd, offset, os.SEEK_SET)
    try:
        yield
    finally:
        os.lseek(fd, 0, os.SEEK_SET)
        system.locking(fd, system.LK_UNLCK, 1)
