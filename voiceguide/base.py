"""What every stage shares: the sample rate, the audio array type, frame/second conversion, time
formatting, the atomic file writer and the frame-bounded clip cache."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections import OrderedDict
from collections.abc import Hashable
from fractions import Fraction
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


def seconds_to_frames(seconds: Fraction | float | int, sample_rate: int = SAMPLE_RATE) -> int:
    """The nearest whole frame to ``seconds`` (half to even)."""
    return round(Fraction(seconds) * sample_rate)


def frames_to_seconds(frames: int, sample_rate: int = SAMPLE_RATE) -> float:
    """``frames`` as float seconds, for screens and the JSON plan."""
    return frames / sample_rate


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


class AtomicFile:
    """A hidden temporary file beside ``path`` that becomes ``path`` only on ``commit``.

    The one way voiceguide writes files: a failed or interrupted write leaves
    the target as it was and no temporary behind (``discard``).  The temporary
    is created empty, with the permissions of a normal new file (the umask's).
    OS errors are raised as they are; each caller says what they mean.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.temporary = self._create()
        self._pending = True

    def _create(self) -> Path:
        for _ in range(100):
            temporary = self.path.with_name(f".{self.path.name}.{secrets.token_hex(4)}.part")
            try:
                descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
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
