"""Reading a script file: a regular file of at most 1 MiB, or a refusal at once.

The spec limits a script to a regular file of at most 1 MiB.  Anything else
(a folder, a device such as ``/dev/zero``, a FIFO with no writer, a huge file)
is refused before it is read, so that no input can make voiceguide wait, grow
by gigabytes, or ignore Ctrl-C.  The file is looked at twice: ``stat`` before it
is opened (a device is never opened), and ``fstat`` of what was opened (the name
may have changed in between); the read itself stops one byte past the limit.
"""

from __future__ import annotations

import os
import stat
from typing import NoReturn

from voiceguide.errors import UsageError

__all__ = ["MAX_SCRIPT_BYTES", "read_script_file", "source_lines"]

MAX_SCRIPT_BYTES = 1024 * 1024
"""The largest script file accepted (1 MiB, the spec's limit)."""

_HINT = "a script is a regular file of at most 1 MiB (.yaml)"

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISFIFO, "a pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    """What a non-regular file is, in words."""
    for test, words in _KINDS:
        if test(mode):
            return words
    return "not a regular file"


def _check(status: os.stat_result, shown: str) -> None:
    """Refuse anything but a regular file within the size limit."""
    if stat.S_ISDIR(status.st_mode):
        raise UsageError(f"cannot read {shown}: it is a directory", hint="name a script file (.yaml)")
    if not stat.S_ISREG(status.st_mode):
        raise UsageError(f"cannot read {shown}: it is {_kind(status.st_mode)}, not a script file", hint=_HINT)
    if status.st_size > MAX_SCRIPT_BYTES:
        _too_large(shown, status.st_size)


def _too_large(shown: str, size_bytes: int | None) -> NoReturn:
    size = f"{size_bytes / MAX_SCRIPT_BYTES:.1f} MiB" if size_bytes is not None else "more than 1 MiB"
    raise UsageError(f"cannot read {shown}: it is {size}, and a script may be at most 1 MiB", hint=_HINT)


def read_script_file(path: str | os.PathLike[str], shown: str) -> bytes:
    """A script file's bytes (``shown`` names it in messages); ``UsageError``, unread, for what is no script."""
    try:
        _check(os.stat(path), shown)
        # O_NONBLOCK: should the name now be a FIFO, opening it must not wait for a writer.
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_BINARY", 0)
        descriptor = os.open(path, flags)
    except IsADirectoryError:  # pragma: no cover - stat has already said so
        raise UsageError(f"cannot read {shown}: it is a directory", hint="name a script file (.yaml)") from None
    except OSError as error:
        raise UsageError(f"cannot read {shown}: {error.strerror or error}",
                         hint="check the path, and that the file is readable") from None
    try:
        _check(os.fstat(descriptor), shown)
        return _read_at_most(descriptor, shown)
    except OSError as error:
        raise UsageError(f"cannot read {shown}: {error.strerror or error}",
                         hint="check the path, and that the file is readable") from None
    finally:
        os.close(descriptor)


def _read_at_most(descriptor: int, shown: str) -> bytes:
    """The file's bytes, refused as soon as there are more than the limit (a file may grow while it is read)."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = os.read(descriptor, MAX_SCRIPT_BYTES + 1 - total)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > MAX_SCRIPT_BYTES:
            _too_large(shown, None)


def source_lines(source: bytes) -> list[str]:
    """A script's lines as shown under its messages: decoded leniently, without a byte-order mark."""
    return source.decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()
