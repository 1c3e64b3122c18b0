"""A person's own audio file as the bed: decoded once, resampled, looped without a seam, read in bounded memory.

The file (WAV, FLAC, Ogg Vorbis, Opus, MP3: whatever libsndfile reads) is
decoded block by block, resampled to the session's rate with soxr, and stored
as 16-bit stereo in the cache folder (keyed by the file's path, size and
modification time), so an hour-long file never sits whole in memory, and a
second session starts at once.  ``render`` reads only the frames it needs.

The loop: a file of ``N`` frames repeats every ``N - X`` frames, where the
last ``X`` frames (up to ``LOOP_CROSSFADE_SECONDS``) crossfade into the first
``X`` ones.  The crossfade's gains follow the measured correlation ``ρ`` of
the two overlapping stretches (``a² + b² + 2ρab = 1``): equal power for
unrelated sound, equal amplitude for a file that already loops, so the level
holds through the seam either way.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import tempfile
from pathlib import Path
from typing import IO

import numpy as np
import numpy.typing as npt

from voiceguide.base import SAMPLE_RATE, AtomicFile
from voiceguide.errors import Diagnostic, Position, ScriptError, UsageError, VoiceguideError

LOOP_CROSSFADE_SECONDS = 3.0
"""The longest seam crossfade; a short file's is at most a quarter of it."""

MIN_SECONDS = 1.0
"""A background file must hold at least this much sound (a shorter one cannot loop smoothly)."""

DECODE_BLOCK_FRAMES = 1 << 16
FORMAT_VERSION = 1
"""Part of the cache key: bumped when decoding changes."""

_SCALE = np.float32(1.0 / 32768.0)

Planar = npt.NDArray[np.float32]


def _problem(position: Position, message: str, hint: str) -> VoiceguideError:
    """A positioned script error, or a usage error for ``--background``."""
    if position.path == "--background":
        return UsageError(message, hint=hint)
    return ScriptError([Diagnostic(position, "error", f"{message} ({hint})")])


class FileBed:
    """A decoded, resampled file (16-bit stereo on disk): ``render`` loops it with a measured crossfade."""

    def __init__(self, store: _Offset, frames: int, peak: float, name: str, sample_rate: int = SAMPLE_RATE) -> None:
        self._store = store
        self.frames = frames
        self.cache_key = name
        self._peak = peak
        self.crossfade = min(round(LOOP_CROSSFADE_SECONDS * sample_rate), frames // 4)
        self.period = frames - self.crossfade
        """Frames between two starts of the loop."""
        self._rho = self._seam_correlation()

    def _read(self, start: int, frames: int) -> npt.NDArray[np.float32]:
        """Frames ``[start, start + frames)`` of the file (inside it), as ``(2, frames)`` float32."""
        self._store.seek(start * 4)
        data = np.frombuffer(self._store.read(frames * 4), dtype="<i2")
        samples: npt.NDArray[np.float32] = (data.reshape(-1, 2).T * _SCALE).astype(np.float32)
        return samples

    def _seam_correlation(self) -> float:
        """How alike the head and the tail that overlap at the seam are (0 for unrelated sound, at most 1)."""
        if self.crossfade <= 0:
            return 0.0
        head = self._read(0, self.crossfade).astype(np.float64)
        tail = self._read(self.period, self.crossfade).astype(np.float64)
        norm = math.sqrt(float(np.sum(head * head)) * float(np.sum(tail * tail)))
        return min(1.0, max(0.0, float(np.sum(head * tail)) / norm)) if norm > 0 else 0.0

    def peak_bound(self, channels: int) -> float:
        """No sample is larger: the crossfade's two gains sum to at most √2."""
        return math.sqrt(2.0) * self._peak

    def render(self, start: int, frames: int, channels: int) -> Planar:
        """``frames`` frames of the loop from frame ``start``, planar, ``channels`` 1 (the mid) or 2."""
        out = np.empty((2, frames), dtype=np.float32)
        filled = 0
        while filled < frames:
            t = start + filled
            u = t % self.period
            take = min(frames - filled, self.period - u)
            seam = t >= self.period and u < self.crossfade
            if seam:
                take = min(take, self.crossfade - u)
            piece = self._read(u, take)
            if seam:
                x = (np.arange(u, u + take, dtype=np.float64) + 0.5) / self.crossfade
                fade_in, fade_out = np.sin(x * math.pi / 2), np.cos(x * math.pi / 2)
                norm = np.sqrt(1.0 + 2.0 * self._rho * fade_in * fade_out)
                tail = self._read(self.period + u, take)
                piece = (piece * (fade_in / norm).astype(np.float32)
                         + tail * (fade_out / norm).astype(np.float32))
            out[:, filled:filled + take] = piece
            filled += take
        if channels == 1:
            mid: Planar = ((out[0] + out[1]) * np.float32(0.5))[None, :]
            return mid
        return out


def _key(path: Path) -> str:
    stat = path.stat()
    text = f"{FORMAT_VERSION}\0{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}"
    return hashlib.sha256(text.encode("utf-8", "surrogateescape")).hexdigest()[:32]


def open_file_bed(path: Path, cache_dir: Path | None, position: Position,
                  sample_rate: int = SAMPLE_RATE) -> FileBed:
    """The bed of the audio file at ``path``: decoded into the cache (once), or a problem at ``position``."""
    shown = str(path) if position.path == "--background" else path.name
    if not path.is_file():
        raise _problem(position, f"the background file {shown} does not exist",
                       "give a path relative to the script, or a built-in sound")
    key = _key(path)
    if cache_dir is not None:
        stored = cache_dir / f"bedfile-{key}.pcm"
        with contextlib.suppress(OSError):
            handle = stored.open("rb")
            header = handle.read(16)
            if len(header) == 16:
                frames, peak_bits = int.from_bytes(header[:8], "little"), header[8:]
                peak = float(np.frombuffer(peak_bits, dtype="<f8")[0])
                handle.seek(16)
                return FileBed(_Offset(handle, 16), frames, peak, key, sample_rate)
            handle.close()
    return _decode(path, cache_dir, key, position, shown, sample_rate)


class _Offset:
    """A binary file read from ``offset`` on (the cached file's header is skipped)."""

    def __init__(self, handle: IO[bytes], offset: int) -> None:
        self._handle = handle
        self._offset = offset

    def seek(self, position: int) -> int:
        return self._handle.seek(position + self._offset) - self._offset

    def read(self, size: int) -> bytes:
        return self._handle.read(size)


def _decode(path: Path, cache_dir: Path | None, key: str, position: Position, shown: str,
            sample_rate: int) -> FileBed:
    """Decode, resample and store ``path`` as 16-bit stereo, block by block."""
    import soundfile
    import soxr

    try:
        source = soundfile.SoundFile(str(path))
    except (soundfile.LibsndfileError, RuntimeError, OSError) as error:
        raise _problem(position, f"the background file {shown} cannot be read as audio",
                       f"{error}; use WAV, FLAC, Ogg, Opus or MP3") from None
    target: AtomicFile | None = None
    if cache_dir is not None:
        with contextlib.suppress(OSError):
            cache_dir.mkdir(parents=True, exist_ok=True)
            target = AtomicFile(cache_dir / f"bedfile-{key}.pcm")
    store: IO[bytes] = open(target.temporary, "w+b") if target is not None else tempfile.TemporaryFile()  # noqa: SIM115
    try:
        store.write(bytes(16))
        frames, peak = 0, 0.0
        with source:
            resampler = (soxr.ResampleStream(source.samplerate, sample_rate, 2, dtype="float32", quality="HQ")
                         if source.samplerate != sample_rate else None)
            while True:
                block = source.read(DECODE_BLOCK_FRAMES, dtype="float32", always_2d=True)
                last = len(block) < DECODE_BLOCK_FRAMES
                stereo = np.ascontiguousarray(block[:, :2] if block.shape[1] >= 2 else np.repeat(block, 2, axis=1))
                if resampler is not None:
                    stereo = resampler.resample_chunk(stereo, last=last)
                if len(stereo):
                    pcm = np.clip(np.rint(stereo * 32768.0), -32768, 32767).astype("<i2")
                    store.write(pcm.tobytes())
                    frames += len(pcm)
                    peak = max(peak, float(np.abs(pcm).max()) / 32768.0)
                if last:
                    break
    except (soundfile.LibsndfileError, RuntimeError) as error:
        store.close()
        if target is not None:
            target.discard()
        raise _problem(position, f"the background file {shown} could not be decoded", str(error)) from None
    if frames < MIN_SECONDS * sample_rate or peak == 0.0:
        store.close()
        if target is not None:
            target.discard()
        raise _problem(position, f"the background file {shown} is too short or silent",
                       f"it needs at least {MIN_SECONDS:g} s of sound")
    store.seek(0)
    store.write(frames.to_bytes(8, "little") + np.array([peak], dtype="<f8").tobytes())
    store.flush()
    if target is not None:
        store.close()
        with contextlib.suppress(OSError):
            target.commit()
            return open_file_bed(path, cache_dir, position, sample_rate)
        return _decode(  # the cache refused the file: decode again into a private one
            path, None, key, position, shown, sample_rate)
    return FileBed(_Offset(store, 16), frames, peak, key, sample_rate)


