"""The speech cache on disk: one file per clip, its format, reading it boundedly, and the size cap.

An entry is a header (magic, sample rate, frames, the SHA-256 of its key and of
its payload) and the clip as little-endian float32.  Every read is bounded: an
entry is opened without following links or blocking, and anything but a
regular file of a sane size is removed and made again.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import struct
from pathlib import Path

import numpy as np

from voiceguide.base import SAMPLE_RATE, Audio

__all__ = ["CACHE_SUFFIXES", "DEFAULT_CACHE_MAX_BYTES", "MAX_ENTRY_BYTES", "cache_entries", "cache_max_bytes",
           "decode_entry", "default_cache_dir", "encode_entry", "entry_digest", "peek_entry", "read_entry",
           "trim_cache"]

_MAGIC = b"VGCLIP\x00\x03"
_HEADER = struct.Struct("<8sIQ32s32s")  # magic, sample rate, frames, sha256 of the key, sha256 of the payload

DEFAULT_CACHE_MAX_BYTES = 200 * 1024 * 1024
"""The disk cache's default size cap (``VOICEGUIDE_CACHE_MAX_MB`` overrides it)."""

MAX_ENTRY_BYTES = 64 * 1024 * 1024
"""A cache entry larger than this (over 12 minutes of one utterance) is damaged, never read."""

_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)


def cache_max_bytes() -> int:
    """The disk cache's cap in bytes: ``$VOICEGUIDE_CACHE_MAX_MB`` megabytes, else 200 MB; 0 turns the cache off.

    A value that is not a whole number of megabytes is ignored (the default applies).
    """
    text = os.environ.get("VOICEGUIDE_CACHE_MAX_MB", "").strip()
    if text.isascii() and text.isdigit() and len(text) <= 9:
        return int(text) * 1024 * 1024
    return DEFAULT_CACHE_MAX_BYTES


def default_cache_dir() -> Path:
    """Where clips are cached: ``$VOICEGUIDE_CACHE_DIR/clips``, else the user's cache directory."""
    override = os.environ.get("VOICEGUIDE_CACHE_DIR")
    if override:
        return Path(override) / "clips"
    import platformdirs

    return Path(platformdirs.user_cache_dir("voiceguide")) / "clips"


def encode_entry(clip: Audio, key: bytes) -> bytes:
    """The cache file of ``clip`` under ``key`` (the SHA-256 of what it was made from)."""
    payload = np.ascontiguousarray(clip, dtype="<f4").tobytes()
    digest = hashlib.sha256(payload).digest()
    return _HEADER.pack(_MAGIC, SAMPLE_RATE, clip.size, key, digest) + payload


CACHE_SUFFIXES = (".clip", ".level", ".loudness", ".npz")
"""What the cap counts: clips, the remembered tone levels and session loudness, and the beds' pools (each made
again if gone)."""


def cache_entries(folder: Path) -> list[tuple[float, int, str]]:
    """(last use, size, path) of every cache entry in ``folder`` (regular files named ``*`` + ``CACHE_SUFFIXES``)."""
    found = []
    try:
        with os.scandir(folder) as scan:
            for entry in scan:
                if entry.name.endswith(CACHE_SUFFIXES) and not entry.name.startswith("."):
                    with contextlib.suppress(OSError):
                        info = entry.stat(follow_symlinks=False)
                        found.append((info.st_mtime, info.st_size, entry.path))
    except OSError:
        return []
    return found


def trim_cache(folder: Path, max_bytes: int) -> int:
    """Remove the least recently used entries until the cache is at most 90 % of ``max_bytes``; its new size."""
    entries = sorted(cache_entries(folder))
    total = sum(size for _, size, _ in entries)
    target = max_bytes * 9 // 10  # some room, so the next few stores do not each trim again
    for _, size, path in entries:
        if total <= target:
            break
        with contextlib.suppress(OSError):
            os.unlink(path)
            total -= size
    return total


def read_entry(path: Path) -> bytes | None:
    """The bytes of a cache entry, read with a bound; None if absent or not a plain file of a sane size.

    Opened without following a link and without blocking (a FIFO), then
    checked with ``fstat``: a device, a FIFO or a huge (sparse) file is never read.
    A non-regular entry is removed here; the caller removes the other damaged ones.
    """
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError as error:
        if error.errno in (errno.ELOOP, errno.ENXIO, errno.EMLINK):  # a link, or a FIFO/socket
            with contextlib.suppress(OSError):
                os.unlink(path)
        return None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or not _HEADER.size < info.st_size <= MAX_ENTRY_BYTES:
            with contextlib.suppress(OSError):
                os.unlink(path)
            return None
        chunks = []
        remaining = info.st_size
        while remaining > 0:
            chunk = os.read(descriptor, min(remaining, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            remaining -= len(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(descriptor)


def peek_entry(path: Path, key: bytes) -> tuple[int, bytes] | None:
    """(frames, SHA-256 of the samples) from the header of the entry at ``path``, if it looks whole; else None.

    Only the header is read: a regular file under ``key``, of exactly the size its
    header says.  Its samples are checked when they are read (``decode_entry``).
    """
    try:
        descriptor = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        info = os.fstat(descriptor)
        if not stat.S_ISREG(info.st_mode) or not _HEADER.size < info.st_size <= MAX_ENTRY_BYTES:
            return None
        header = os.read(descriptor, _HEADER.size)
    except OSError:
        return None
    finally:
        os.close(descriptor)
    if len(header) != _HEADER.size:
        return None
    magic, sample_rate, frames, entry_key, digest = _HEADER.unpack(header)
    if magic != _MAGIC or sample_rate != SAMPLE_RATE or entry_key != key or info.st_size != _HEADER.size + 4 * frames:
        return None
    return frames, digest


def entry_digest(data: bytes) -> bytes:
    """The SHA-256 of the samples, from an entry's header (``encode_entry``'s bytes, or ``read_entry``'s)."""
    return data[_HEADER.size - 32 : _HEADER.size]


def decode_entry(data: bytes, key: bytes) -> Audio | None:
    """The clip in a cache file, or None unless magic, rate, key, length and checksum all agree."""
    if len(data) < _HEADER.size:
        return None
    magic, sample_rate, frames, entry_key, digest = _HEADER.unpack_from(data)
    payload = data[_HEADER.size:]
    if magic != _MAGIC or sample_rate != SAMPLE_RATE or entry_key != key:
        return None
    if frames == 0 or len(payload) != 4 * frames:
        return None
    if hashlib.sha256(payload).digest() != digest:
        return None
    audio = np.frombuffer(payload, dtype="<f4").astype(np.float32)
    audio.flags.writeable = False
    return audio
