"""16-bit PCM WAV files written by us: samples placed at their frame, silence left unwritten.

libsndfile copies every sample through a ``write``, silence included; most of a
session is silence between cues (70 % of a 1-hour session's pages were zeros).
``WavFile`` writes each stretch of sound where it belongs (``os.pwrite``) and
leaves the rest to the file system, which reads what was never written as zeros
(a hole, on file systems that have them), so a silent stretch costs nothing.
The layout is libsndfile's: a 44-byte header (``RIFF``, ``fmt `` of 16 bytes,
``data``), the samples, then a ``LIST``/``INFO`` chunk of the tags; the samples
are the same bytes libsndfile wrote (``tests/test_render.py``).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

HEADER_BYTES = 44
"""``RIFF`` + size + ``WAVE``, a 16-byte ``fmt `` chunk, and the ``data`` chunk's id and size."""

_pwrite = getattr(os, "pwrite", None)

INFO_IDS = {"title": b"INAM", "artist": b"IART", "software": b"ISFT", "comment": b"ICMT"}
"""RIFF INFO's four-letter ids of the tags we write, in the order they are written."""


def _header(sample_rate: int, channels: int, data_bytes: int, file_bytes: int) -> bytes:
    block_align = 2 * channels
    return (b"RIFF" + struct.pack("<I", file_bytes - 8) + b"WAVE"
            + b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, sample_rate, sample_rate * block_align,
                                    block_align, 16)
            + b"data" + struct.pack("<I", data_bytes))


def info_chunk(tags: Sequence[tuple[str, str]]) -> bytes:
    """A ``LIST`` chunk of type ``INFO`` holding ``tags`` ((name, text) with names from ``INFO_IDS``).

    Each text is stored UTF-8 with its terminating NUL, padded with another NUL to an even length,
    as libsndfile stores them.
    """
    body = b"INFO"
    for name, text in tags:
        data = text.encode("utf-8") + b"\0"
        data += b"\0" * (len(data) & 1)
        body += INFO_IDS[name] + struct.pack("<I", len(data)) + data
    return b"LIST" + struct.pack("<I", len(body)) + body


class WavFile:
    """A 16-bit PCM WAV file being written through ``descriptor`` (which the caller opened and closes).

    ``write_at`` puts samples at any frame; frames never written are silence.
    ``finish`` sets the length, writes the tags after the samples and the sizes
    into the header.  ``OSError`` is raised as it comes (``ENOSPC``, ``EFBIG``...).
    """

    def __init__(self, descriptor: int, sample_rate: int, channels: int) -> None:
        self._descriptor = descriptor
        self.sample_rate = sample_rate
        self.channels = channels
        self.frame_bytes = 2 * channels
        self._write(_header(sample_rate, channels, 0, HEADER_BYTES), 0)

    def write_at(self, frame: int, samples: npt.NDArray[np.int16]) -> None:
        """Write ``samples`` (``(frames, channels)``, or 1-D for mono) from ``frame`` on."""
        data = np.ascontiguousarray(samples, dtype="<i2")
        self._write(data.data.cast("B"), HEADER_BYTES + frame * self.frame_bytes)

    def finish(self, frames: int, tags: Sequence[tuple[str, str]] = ()) -> None:
        """The file ``frames`` long (silence after the last sound written), with ``tags`` in a ``LIST`` chunk."""
        data_bytes = frames * self.frame_bytes
        tail = info_chunk(tags) if tags else b""
        end = HEADER_BYTES + data_bytes
        if tail:
            self._write(tail, end)
        os.ftruncate(self._descriptor, end + len(tail))  # the silence at the end, and nothing after the tags
        self._write(_header(self.sample_rate, self.channels, data_bytes, end + len(tail)), 0)

    def _write(self, data: bytes | memoryview, offset: int) -> None:
        view = memoryview(data)
        while len(view):
            if _pwrite is not None:
                written = _pwrite(self._descriptor, view, offset)
            else:  # Windows: no pwrite
                os.lseek(self._descriptor, offset, os.SEEK_SET)
                written = os.write(self._descriptor, view)
            if written <= 0:  # a regular file writes all or raises; this would be a device that will not
                raise OSError(f"wrote nothing at offset {offset}")
            view, offset = view[written:], offset + written
