"""What every stage shares: the sample rate, the audio array type, frame/second conversion, time
formatting, the atomic file writer (and sweeping up what killed processes left) and the
frame-bounded clip cache."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import shutil
import sys
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, Literal, Protocol, TypeVar

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Audio = npt.NDArray[np.float32]
    """Mono audio: a 1-D float32 array of samples in [-1, 1]."""
else:

    def __getattr__(name: str) -> Any:
        # ``Audio`` is built on first import, so that `check` starts without numpy.
        if name == "Audio":
            import numpy as np
            import numpy.typing as npt

            return npt.NDArray[np.float32]
        raise AttributeError(name)

SAMPLE_RATE = 22050
"""Frames per second of every clip, block and file inside voiceguide (espeak-ng's own rate)."""


def frames_to_milliseconds(frames: int, sample_rate: int = SAMPLE_RATE) -> int:
    """``frames`` as the nearest whole millisecond (half up), for chapter marks and captions."""
    return (frames * 1000 + sample_rate // 2) // sample_rate


def round_half_even(num: int, den: int) -> int:
    """``round(Fraction(num, den))`` for ``den > 0``, without building a Fraction."""
    floor, remainder = divmod(num, den)
    twice = 2 * remainder
    if twice > den or (twice == den and floor % 2):
        return floor + 1
    return floor


def clock(frames: int, sample_rate: int = SAMPLE_RATE, *, decimals: int = 0,
          rounding: Literal["nearest", "up", "down"] = "nearest") -> str:
    """Frames as ``M:SS`` (``H:MM:SS`` from an hour), with ``decimals`` digits of seconds after a point.

    ``rounding`` to the last digit shown: "up" for time left (never shows 0:00
    while something is left), "down" for time elapsed, "nearest" (half up) otherwise.
    """
    units = 10**decimals
    scaled = max(0, frames) * units
    if rounding == "up":
        count = -(-scaled // sample_rate)
    elif rounding == "down":
        count = scaled // sample_rate
    else:
        count = (scaled + sample_rate // 2) // sample_rate
    whole_seconds, fraction = divmod(count, units)
    minutes, seconds = divmod(whole_seconds, 60)
    hours, minutes = divmod(minutes, 60)
    text = f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"
    return f"{text}.{fraction:0{decimals}d}" if decimals else text


# --------------------------------------------------------------------------
# Temporary files named after their owner, and sweeping up after dead owners
#
# A process killed outright (``kill -9``, a power cut) cannot remove its
# temporary files: a render's hidden ``.part`` beside the output, a cache
# entry being written, the speech worker's folder.  Each carries its owner's
# process id in its name (``<prefix><pid>-<8 hex digits><suffix>``), and the
# next run that looks in the same place removes those whose owner is gone.
# Only names of exactly our pattern are touched, and only when no process has
# that id; an id reused by another program just leaves the file for a later
# run.  Windows has no harmless "does this process exist" probe in the
# standard library (``os.kill`` terminates there), so nothing is swept there.


def owned_name(prefix: str, suffix: str) -> str:
    """A fresh name that carries this process's id: ``<prefix><pid>-<8 hex digits><suffix>``."""
    return f"{prefix}{os.getpid()}-{secrets.token_hex(4)}{suffix}"


def owner_is_gone(pid: int) -> bool:
    """True only if no process with id ``pid`` exists (never for ourselves, never on Windows)."""
    if sys.platform == "win32" or pid == os.getpid() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # EPERM: it exists, as another user's
        return False
    return False


def sweep(folder: Path, prefix: str, suffix: str, *, folders: bool = False, any_stem: bool = False,
          own: bool = False) -> int:
    """Remove the files (or, with ``folders``, directory trees) in ``folder`` left by dead owners; how many.

    Names are those of ``owned_name(prefix, suffix)``; with ``any_stem`` the
    prefix may follow a hidden name's stem and a dot (``.session.wav.vg-123-...``,
    for ``.part`` files named after their target).  ``own``: this process's
    instead (an interrupted command cleaning up after itself).
    """
    stem = r"\..*\." if any_stem else ""
    pattern = re.compile(stem + re.escape(prefix) + r"(\d{1,10})-[0-9a-f]{8}" + re.escape(suffix) + r"\Z",
                         re.DOTALL)
    removed = 0
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return 0
    for entry in entries:
        match = pattern.match(entry.name)
        if match is None:
            continue
        pid = int(match.group(1))
        if not (pid == os.getpid() if own else owner_is_gone(pid)):
            continue
        with contextlib.suppress(OSError):
            if folders and entry.is_dir(follow_symlinks=False):
                shutil.rmtree(entry.path)
                removed += 1
            elif not folders and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed += 1
    return removed


PART_PREFIX = "vg-"
PART_SUFFIX = ".part"
_swept_folders: set[str] = set()
_unfinished: set[Path] = set()
"""Temporaries created and not yet committed or discarded (``discard_unfinished``)."""

def discard_unfinished(folders: Iterable[str | os.PathLike[str]] = ()) -> None:
    """Remove every temporary this process created and neither committed nor discarded (an interrupted command).

    Called by the command line as an interrupt unwinds: an interrupt may land
    after a temporary exists but before its owner holds it to discard it (or
    even between its creation and its registration here, since a signal's
    handler runs wherever the main thread is): ``folders`` are also swept of
    temporaries named with this process's id.
    """
    for temporary in list(_unfinished):
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        _unfinished.discard(temporary)
    for folder in folders:
        sweep(Path(folder), PART_PREFIX, PART_SUFFIX, any_stem=True, own=True)


class AtomicFile:
    """A hidden temporary file beside ``path`` that becomes ``path`` only on ``commit``.

    The one way voiceguide writes files: a failed or interrupted write leaves
    the target as it was and no temporary behind (``discard``).  The temporary
    (``.NAME.vg-PID-XXXXXXXX.part``) is created empty, with the permissions of
    a normal new file (the umask's); those that killed processes left in the
    same folder are swept first.
    OS errors are raised as they are; each caller says what they mean.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.temporary = self._create()
        self._pending = True

    def _create(self) -> Path:
        folder = os.path.abspath(self.path.parent)
        if folder not in _swept_folders:  # once per folder and process: a cache folder holds thousands
            _swept_folders.add(folder)
            sweep(self.path.parent, PART_PREFIX, PART_SUFFIX, any_stem=True)
        for _ in range(100):
            temporary = self.path.with_name(f".{self.path.name}." + owned_name(PART_PREFIX, PART_SUFFIX))
            try:
                descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
                _unfinished.add(temporary)
            except FileExistsError:
                continue
            os.close(descriptor)
            return temporary
        raise FileExistsError(errno.EEXIST, "could not find a free temporary name", os.fspath(self.path))

    def commit(self, *, replace: bool = True) -> None:
        """Move the temporary onto ``path``; ``replace=False`` raises ``FileExistsError`` if it exists."""
        if not self._pending:
            raise ValueError(f"{self.path} is already committed or discarded")
        if replace:
            # No fsync: atomicity here is about failed and interrupted writes;
            # ext4 and others already flush a file renamed over another.
            os.replace(self.temporary, self.path)
            _unfinished.discard(self.temporary)
        else:
            try:
                os.link(self.temporary, self.path)  # atomic, and refuses to replace
            except FileExistsError:
                raise  # (an OSError too, but not one to paper over)
            except OSError:  # no hard links on this file system: the last writer wins
                os.replace(self.temporary, self.path)
            self._unlink()
        self._pending = False

    def discard(self) -> None:
        """Remove the temporary; safe to call more than once, or after ``commit``."""
        if self._pending:
            self._unlink()
        self._pending = False

    def _unlink(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.temporary)
        _unfinished.discard(self.temporary)


def one_heap_for_all_threads() -> None:
    """Make glibc serve every thread from the one main heap (Linux; elsewhere nothing). Call before threads start.

    By default each thread that allocates gets a heap ("arena") of its own, and
    memory freed into one is not reused by the others: a cold render's clips,
    read on the synthesis thread and levelled on the main one, left ~10 MB in two
    heaps (peak 101-107 MB; 95 MB with one heap, at no measured cost in time).
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None)  # the symbols already loaded, libc's among them (find_library runs ldconfig)
        libc.mallopt(-8, 1)  # M_ARENA_MAX


def release_free_memory() -> None:
    """Hand the pages glibc holds free back to the system (Linux; elsewhere nothing).

    glibc returns only the free memory at the top of its heap by itself: after a render's blocks, clips
    and encoder buffers are freed, their pages stayed counted in the process's memory while the peak
    check decoded the file (``render``; docs/performance.md, "Render memory").
    """
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None).malloc_trim(0)


def write_atomically(path: str | os.PathLike[str], data: bytes, *, replace: bool = True) -> None:
    """Write ``data`` to ``path`` through an ``AtomicFile``; ``replace=False``: ``FileExistsError`` if it exists."""
    file = AtomicFile(path)
    try:
        file.temporary.write_bytes(data)
        file.commit(replace=replace)
    finally:
        file.discard()


ClipT = TypeVar("ClipT", bound="_HasLength")


class _HasLength(Protocol):
    def __len__(self) -> int: ...


class FrameCache(Generic[ClipT]):
    """Recently used clips, least recently used evicted first, bounded by their total length in frames."""

    def __init__(self, max_frames: int) -> None:
        self.max_frames = max_frames
        self._items: OrderedDict[Hashable, ClipT] = OrderedDict()
        self.total_frames = 0

    def get(self, key: Hashable) -> ClipT | None:
        """The clip under ``key`` (now the most recently used), or None."""
        item = self._items.get(key)
        if item is not None:
            self._items.move_to_end(key)
        return item

    def put(self, key: Hashable, item: ClipT, *, evict: bool = True) -> None:
        """Keep ``item``; unless told not to, evict the oldest until within bounds (the newest always stays)."""
        old = self._items.pop(key, None)
        if old is not None:
            self.total_frames -= len(old)
        self._items[key] = item
        self.total_frames += len(item)
        while evict and self.total_frames > self.max_frames and len(self._items) > 1:
            _, evicted = self._items.popitem(last=False)
            self.total_frames -= len(evicted)

    def __len__(self) -> int:
        return len(self._items)
