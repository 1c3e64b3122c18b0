"""Reading a file voiceguide was pointed at: a regular file within a size limit, or a refusal at once.

Every file a person can name or replace is read here: scripts (with their
``phrases:`` overrides), ``config.toml`` and the session log.  Anything but a
regular file (a folder, a device such as ``/dev/zero`` or ``/dev/full``, a
FIFO with no writer, a socket) is refused before a byte is read, so that no
input can make voiceguide wait, grow by gigabytes, or ignore Ctrl-C.  The file
is looked at twice: ``stat`` before it is opened (a device is never opened),
and ``fstat`` of what was opened, with ``O_NONBLOCK`` (the name may have become
a FIFO in between, and opening a FIFO would wait for a writer).  A read stops
one byte past the limit, so a file that grows while it is read is refused too.

Callers say what the refusal means for them: ``Refused.reason`` reads on from
"cannot read FILE: " ("it is a pipe (FIFO), not a regular file").  A missing
file is ``FileNotFoundError``, as from ``open``: for settings and the log it
means the defaults, not a failure.
"""

from __future__ import annotations

import os
import stat

__all__ = ["MAX_NAME_BYTES", "Refused", "describe_size", "name_problem", "open_regular", "read_at_most",
           "read_bounded"]

MAX_NAME_BYTES = 255
"""The longest name of one file or folder most file systems take (ext4, APFS, NTFS: 255)."""
MAX_PATH_BYTES = 4095
"""The longest path Linux takes (PATH_MAX, less the final NUL)."""

_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISFIFO, "a pipe (FIFO)"),
    (stat.S_ISSOCK, "a socket"),
)

_OPEN_FLAGS = (os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
               | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))


class Refused(Exception):
    """A file that is not read: not a regular file, too large, or unreadable (``reason`` says which)."""

    def __init__(self, reason: str, *, kind: str | None = None, too_large: bool = False,
                 size_bytes: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
        """What the file is when it is not a regular file, in words ("a folder", "a device" ...)."""
        self.too_large = too_large
        self.size_bytes = size_bytes
        """The size of a file that is too large, when known (a file that grew while read: None)."""


def describe_size(size_bytes: int) -> str:
    """A size in words a person reads at a glance: ``512 bytes``, ``3.0 KiB``, ``1.0 MiB``, ``2.0 GiB``."""
    if size_bytes < 1024:
        return f"{size_bytes} bytes"
    size = float(size_bytes)
    for unit in ("KiB", "MiB", "GiB"):
        size /= 1024
        if size < 1024:
            return f"{size:.1f} {unit}"
    return f"{size / 1024:.1f} TiB"


def _kind(mode: int) -> str:
    for test, words in _KINDS:
        if test(mode):
            return words
    return "not a regular file"


def _check(status: os.stat_result, limit_bytes: int | None) -> None:
    mode = status.st_mode
    if stat.S_ISDIR(mode):
        raise Refused("it is a folder", kind="a folder")
    if not stat.S_ISREG(mode):
        raise Refused(f"it is {_kind(mode)}, not a regular file", kind=_kind(mode))
    if limit_bytes is not None and status.st_size > limit_bytes:
        raise Refused(_too_large(status.st_size, limit_bytes), too_large=True, size_bytes=status.st_size)


def _too_large(size_bytes: int | None, limit_bytes: int) -> str:
    size = describe_size(size_bytes) if size_bytes is not None else f"more than {describe_size(limit_bytes)}"
    return f"it is {size}, and the most read is {describe_size(limit_bytes)}"


def _reason(error: OSError) -> str:
    return error.strerror or type(error).__name__


def open_regular(path: str | os.PathLike[str], limit_bytes: int | None = None) -> int:
    """An open descriptor (read-only) of the regular file ``path``; the caller closes it.

    Raises ``FileNotFoundError`` when there is no such file, ``Refused`` for
    anything else that is not a regular file of at most ``limit_bytes``
    (``None``: any size, for files read piecewise such as the session log).
    """
    try:
        _check(os.stat(path), limit_bytes)
        descriptor = os.open(path, _OPEN_FLAGS)
    except FileNotFoundError:
        raise
    except IsADirectoryError:  # pragma: no cover - stat has already said so
        raise Refused("it is a folder", kind="a folder") from None
    except OSError as error:
        raise Refused(_reason(error)) from None
    try:
        _check(os.fstat(descriptor), limit_bytes)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def read_bounded(path: str | os.PathLike[str], limit_bytes: int) -> bytes:
    """The bytes of the regular file ``path``, of at most ``limit_bytes``; ``Refused`` or ``FileNotFoundError``."""
    descriptor = open_regular(path, limit_bytes)
    try:
        return read_at_most(descriptor, limit_bytes)
    except OSError as error:
        raise Refused(_reason(error)) from None
    finally:
        os.close(descriptor)


def read_at_most(descriptor: int, limit_bytes: int) -> bytes:
    """What ``descriptor`` holds, refused (``Refused``) as soon as it is more than ``limit_bytes``."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = os.read(descriptor, min(limit_bytes + 1 - total, 1 << 20))
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        total += len(chunk)
        if total > limit_bytes:
            raise Refused(_too_large(None, limit_bytes), too_large=True)


def name_problem(path: str) -> str | None:
    """Why ``path`` cannot name a file on any usual file system (empty, a part over 255 bytes), or None.

    Checked before a name is used, so that the answer is one sentence rather
    than the operating system's ENAMETOOLONG from somewhere inside.
    """
    if not path:
        return "the name is empty"
    if "\x00" in path:
        return "the name holds a NUL character"
    raw = os.fsencode(path)
    if len(raw) > MAX_PATH_BYTES:
        return f"the path is {len(raw):,} bytes long; at most {MAX_PATH_BYTES:,} are allowed"
    parts = [raw]
    for separator in (os.sep, os.altsep):
        if separator is not None:
            parts = [piece for part in parts for piece in part.split(os.fsencode(separator))]
    longest = max(len(part) for part in parts)
    if longest > MAX_NAME_BYTES:
        return f"a name in it is {longest:,} bytes long; a file or folder name may be at most {MAX_NAME_BYTES}"
    return None
