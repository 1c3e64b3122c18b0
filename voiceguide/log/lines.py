"""The log's lines, read in pieces: forwards from the start, or backwards from the end.

Neither reads the file whole, and neither keeps a line longer than
``MAX_LINE_BYTES`` (such a line is no record; it is yielded as ``b""`` plus a
marker so that it is counted as damaged, but never held in memory whole).
Memory stays at one chunk and one line however large the file, and reading
the last lines of a log of a million sessions touches only its last pieces.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from voiceguide.log.record import MAX_LINE_BYTES

CHUNK_BYTES = 1 << 20
OVERLONG = b"\x00overlong"
"""Stands for a line longer than ``MAX_LINE_BYTES`` (not a record; counted as damaged)."""


def forward_lines(descriptor: int) -> Iterator[bytes]:
    """The non-blank lines of the file from its current offset on, first to last (the last may be cut short)."""
    pending = b""
    overlong = False
    while True:
        chunk = os.read(descriptor, CHUNK_BYTES)
        if not chunk:
            break
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                break
            line = chunk[start:end]
            if overlong or len(pending) + len(line) > MAX_LINE_BYTES:
                yield OVERLONG
            elif (pending + line).strip():
                yield pending + line
            pending, overlong = b"", False
            start = end + 1
        rest = chunk[start:]
        if overlong or len(pending) + len(rest) > MAX_LINE_BYTES:
            pending, overlong = b"", True
        else:
            pending += rest
    if overlong:
        yield OVERLONG
    elif pending.strip():
        yield pending


def backward_lines(descriptor: int) -> Iterator[bytes]:
    """The non-blank lines of the file, last to first, read in chunks from its end."""
    position = os.lseek(descriptor, 0, os.SEEK_END)
    pending = b""  # the start of the file's next piece: the end of a line whose beginning is not read yet
    overlong = False
    while position > 0:
        size = min(CHUNK_BYTES, position)
        position -= size
        os.lseek(descriptor, position, os.SEEK_SET)
        chunk = _read_exactly(descriptor, size)
        end = len(chunk)
        while True:
            start = chunk.rfind(b"\n", 0, end)
            if start < 0:
                break
            line = chunk[start + 1:end]
            if overlong or len(pending) + len(line) > MAX_LINE_BYTES:
                yield OVERLONG
            elif (line + pending).strip():
                yield line + pending
            pending, overlong = b"", False
            end = start
        head = chunk[:end]
        if overlong or len(pending) + len(head) > MAX_LINE_BYTES:
            pending, overlong = b"", True
        else:
            pending = head + pending
    if overlong:
        yield OVERLONG
    elif pending.strip():
        yield pending


def _read_exactly(descriptor: int, size: int) -> bytes:
    parts = []
    while size > 0:
        part = os.read(descriptor, size)
        if not part:  # the file was cut short while read: what is there
            break
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def count_lines(descriptor: int) -> int:
    """How many lines the file has (each newline ends one; a last unfinished line counts too)."""
    os.lseek(descriptor, 0, os.SEEK_SET)
    count = 0
    last = b"\n"
    while chunk := os.read(descriptor, CHUNK_BYTES):
        count += chunk.count(b"\n")
        last = chunk[-1:]
    return count + (last != b"\n")
