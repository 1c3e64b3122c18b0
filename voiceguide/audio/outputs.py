"""Checks on a command's output files, made before any work: none may be an input or another output.

"The same file" means the same file on disk: the same path, a symbolic link
to it, or a hard link (same device and inode), so ``render s.yaml -o s.wav``
with ``s.wav`` linked to ``s.yaml`` is refused like ``render s.wav -o s.wav``.
Every output's folder is also tried for writing (a probe file created and
removed), so a long synthesis never ends in an output that cannot be written.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from voiceguide.audio.file_formats import output_error
from voiceguide.base import AtomicFile
from voiceguide.errors import UsageError


@dataclass(frozen=True)
class NamedPath:
    """A file a command reads or writes, with what it is for (``"the script"``, ``"--captions"``)."""

    role: str
    path: str


def _identity(path: str) -> tuple[int, int] | str:
    """What makes two names the same file: (device, inode) if it exists, else its resolved path."""
    try:
        info = os.stat(path)  # follows symbolic links
    except OSError:
        return os.path.normcase(os.path.realpath(path))
    return (info.st_dev, info.st_ino)


def check_outputs(inputs: Sequence[NamedPath], outputs: Sequence[NamedPath]) -> None:
    """``UsageError`` if an output is an input or another output; ``OutputError`` if one cannot be written."""
    seen: dict[tuple[int, int] | str, NamedPath] = {}
    for named in inputs:
        seen.setdefault(_identity(named.path), named)
    for named in outputs:
        key = _identity(named.path)
        other = seen.get(key)
        if other is not None:
            raise _same_file(named, other)
        seen[key] = named
    for named in outputs:
        check_writable(named.path)


def _same_file(output: NamedPath, other: NamedPath) -> UsageError:
    if other.role == "the script":
        return UsageError(f"Will not write {output.role} to {output.path}: that is the script itself.",
                          hint="name another file for the output; an output never replaces the script")
    return UsageError(f"Will not write {output.role} to {output.path}: {other.role} goes to the same file"
                      + ("" if other.path == output.path else f" ({other.path})") + ".",
                      hint="give the audio, the captions and the chapters each a file of its own")


def check_writable(path: str) -> None:
    """``OutputError`` unless a file can be created beside ``path`` (and ``path`` is not a folder)."""
    target = Path(path)
    if target.is_dir():
        raise output_error(target, IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)))
    try:
        AtomicFile(target).discard()  # created, then removed: the folder takes new files
    except OSError as error:
        raise output_error(target, error) from error


def default_output_name(script: str, extension: str) -> str:
    """``render SCRIPT`` without ``-o``: ``NAME.EXT`` in the current folder, NAME being the script file's name
    without its extension, or the shipped session's name (``sciatica`` → ``sciatica.opus``)."""
    name = Path(script).name
    stem = Path(name).stem if Path(name).suffix.lower() in (".yaml", ".yml") else name
    return f"{stem or 'session'}.{extension.lstrip('.')}"
