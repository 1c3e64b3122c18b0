"""Speech clips: the synthesizer interface, and a bank that trims, checks and caches clips.

A clip is a 1-D ``float32`` numpy array at ``timeline.SAMPLE_RATE`` whose first
sample is where the voice begins and whose last is where it ends (leading and
trailing silence trimmed), so that an event placed at frame ``start`` sounds
exactly from ``start``.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import stat
import struct
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np
import numpy.typing as npt

from voiceguide.base import SAMPLE_RATE, Audio, FrameCache, write_atomically
from voiceguide.errors import EngineError


class Synthesizer(Protocol):
    """Turns text into audio.  Implementations: ``engine_pyttsx3.Pyttsx3Synthesizer``, test fakes."""

    @property
    def sample_rate(self) -> int:
        """Frames per second of what ``synthesize`` returns."""
        ...

    def identity(self) -> str:
        """Everything that changes the sound (engine, version, voice id, rate), for cache keys."""
        ...

    def synthesize(self, text: str) -> Audio:
        """The spoken text as mono float32 samples in [-1, 1], untrimmed."""
        ...


# ---------------------------------------------------------------------------
# The speech bank


class BatchSynthesizer(Synthesizer, Protocol):
    """A synthesizer that can turn several texts into audio in one round trip (optional)."""

    def synthesize_many(self, texts: Sequence[str]) -> list[Audio]:
        """``[synthesize(t) for t in texts]``, in order, usually faster."""
        ...


CACHE_FORMAT_VERSION = 4
"""Bumped whenever trimming, normalization or the file layout changes, so old entries are ignored.

4: clips are stored levelled (``levelling.level_clip``: BS.1770 loudness, true-peak ceiling).
"""

PEAK = 0.7
"""Peak level of every clip: headroom so speech and tones can overlap without clipping."""

TRIM_THRESHOLD_DB = -40.0
"""Trailing samples quieter than this, relative to the clip's peak, are cut (and leading ones)."""

ONSET_THRESHOLD_DB = -30.0
"""Where the voice begins: the start of the run of samples within 30 dB of the sound's early peak.

A sound's onset is where it rises to within 30 dB of its own peak, walking
back through short dips (the rule of the onset detector in the tests, after
the team's notes).  A breathy "h" or a soft "th" can creep in below that, or
in sparse crackles, for 5-15 ms before the voice; starting the clip there
would make the voice audibly begin that much after its planned instant, so
that faint lead-in is cut.
"""

ONSET_WINDOW_SECONDS = 0.3
"""The early peak is taken from the first audible sample to this long after the voice is clearly on."""

ONSET_GAP_FRAMES = 16
"""Dips below the onset level shorter than this (0.7 ms: zero crossings) do not break the run."""

ANCHOR_BELOW_LOUDEST_DB = 25.0
"""The voice is clearly on at the first 5 ms frame within this much of the clip's loudest frame."""

SILENT_PEAK = 1e-4
"""A clip whose peak is below this (-80 dBFS) has no voice in it."""

FADE_IN_FRAMES = 11
"""A 0.5 ms raised-cosine fade-in: the trim lands mid-waveform, so the first sample must be 0."""

FADE_OUT_FRAMES = 44
"""A 2 ms raised-cosine fade-out, for the same reason at the end."""

MEMORY_FRAMES = 300 * SAMPLE_RATE
"""Clips kept in memory (5 minutes of audio, ~26 MB) when a disk cache backs them up."""

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


def resample(audio: Audio, from_rate: int, to_rate: int) -> Audio:
    """``audio`` at ``to_rate``: band-limited (FFT) resampling, length ``round(n * to / from)``."""
    if from_rate == to_rate or audio.size == 0:
        return np.asarray(audio, dtype=np.float32)
    n = audio.size
    m = max(1, round(n * to_rate / from_rate))
    spectrum = np.fft.rfft(audio.astype(np.float64))
    keep = min(spectrum.size, m // 2 + 1)
    out_spectrum = np.zeros(m // 2 + 1, dtype=np.complex128)
    out_spectrum[:keep] = spectrum[:keep]
    return (np.fft.irfft(out_spectrum, m) * (m / n)).astype(np.float32)


def _raised_cosine(frames: int) -> npt.NDArray[np.float32]:
    """A ramp from 0 (inclusive) towards 1 (exclusive) over ``frames`` samples."""
    return (0.5 - 0.5 * np.cos(np.pi * np.arange(frames) / frames)).astype(np.float32)


def prepare_clip(raw: npt.ArrayLike, sample_rate: int, text: str) -> Audio:
    """Check, resample, trim and normalize an engine's output into a clip.

    Raises ``EngineError`` if the audio is empty, not finite, or silent.  The
    result starts where the voice does (``ONSET_THRESHOLD_DB``), ends after the
    last sample louder than ``TRIM_THRESHOLD_DB`` re its peak, has short fades
    at both edges, peaks at ``PEAK`` and is read-only (clips are shared between
    threads).
    """
    audio = np.asarray(raw, dtype=np.float32)
    if audio.ndim == 2:
        audio = audio.mean(axis=1, dtype=np.float32)
    if audio.ndim != 1 or audio.size == 0:
        raise EngineError(f"The speech engine produced no audio for {text!r}.")
    if not np.all(np.isfinite(audio)):
        raise EngineError(f"The speech engine produced invalid samples for {text!r}.")
    audio = resample(audio, sample_rate, SAMPLE_RATE)
    magnitude = np.abs(audio)
    peak = float(magnitude.max())
    if peak < SILENT_PEAK:
        raise EngineError(f"The speech engine produced only silence for {text!r}.")
    voiced = np.flatnonzero(magnitude > peak * 10.0 ** (TRIM_THRESHOLD_DB / 20.0))
    audible, last = int(voiced[0]), int(voiced[-1])
    first = _voice_start(magnitude, audible, last)
    clip = audio[first:last + 1] * np.float32(PEAK / peak)
    fade_in = min(FADE_IN_FRAMES, clip.size // 2)
    fade_out = min(FADE_OUT_FRAMES, clip.size // 2)
    clip[:fade_in] *= _raised_cosine(fade_in)
    if fade_out:
        clip[-fade_out:] *= _raised_cosine(fade_out)[::-1]
    clip = np.ascontiguousarray(clip, dtype=np.float32)
    clip.flags.writeable = False
    return clip


def level_speech(clip: Audio) -> Audio:
    """A prepared clip levelled to the loudness every clip shares (``levelling.level_clip``)."""
    from voiceguide.speech.levelling import level_clip

    return level_clip(clip, SAMPLE_RATE)


def _voice_start(magnitude: npt.NDArray[np.float32], audible: int, last: int) -> int:
    """The sample where the voice begins (see ``ONSET_THRESHOLD_DB``), between ``audible`` and ``last``."""
    frame = round(0.005 * SAMPLE_RATE)
    segment = magnitude[audible:last + 1].astype(np.float64)
    count = max(1, segment.size // frame)
    frames = np.zeros(count * frame)
    frames[:min(segment.size, count * frame)] = segment[:count * frame]
    rms = np.sqrt(np.mean(frames.reshape(count, frame) ** 2, axis=1))
    anchor_frame = int(np.argmax(rms >= rms.max() * 10.0 ** (-ANCHOR_BELOW_LOUDEST_DB / 20.0)))
    anchor = audible + anchor_frame * frame
    window = magnitude[audible:anchor + frame + round(ONSET_WINDOW_SECONDS * SAMPLE_RATE)]
    above = np.flatnonzero(window >= window.max() * 10.0 ** (ONSET_THRESHOLD_DB / 20.0))
    # Walk back from the first loud-enough sample of the anchor frame through
    # short dips; the run's first sample is where the voice begins.
    index = min(int(np.searchsorted(above, anchor - audible)), above.size - 1)
    breaks = np.flatnonzero(np.diff(above[:index + 1]) > ONSET_GAP_FRAMES)
    start = int(above[breaks[-1] + 1]) if breaks.size else int(above[0])
    return audible + start


class _Pending:
    """A clip being made by one thread, which others wait for instead of making it again."""

    def __init__(self) -> None:
        self.done = threading.Event()
        self.audio: Audio | None = None
        self.error: BaseException | None = None


class SpeechBank:
    """Trimmed, checked clips of spoken text, each synthesized once per process and once on disk.

    ``cache_dir`` is the directory of the on-disk cache (``default_cache_dir()``
    for the user's), or ``None`` for memory only; a directory that cannot be
    created or written makes the bank memory-only, silently.  The cache key is
    the sha256 of (``CACHE_FORMAT_VERSION``, ``synth.identity()``, the text as
    spoken): everything that changes the clip.  ``spoken`` (a script's
    ``pronounce``) turns every text asked for into what the voice says, so two
    written forms spoken alike share a clip.  Each entry holds that key too, so a file
    copied or renamed onto another text's name is never played for it.  The
    cache is capped at ``max_disk_bytes`` (``cache_max_bytes()`` by default):
    past it, the entries least recently used (by modification time, which a
    read refreshes) are removed.  Reads are bounded: anything but a regular
    file of the expected size (a FIFO, a link, a device, a huge sparse file) is
    a damaged entry, removed and made again.  Volume is not in it because clips are
    stored at full level (peak ``PEAK``) and the mixer applies volume as a gain.

    Thread-safe: a player may ``prefetch`` on a background thread while the main
    thread calls ``clip``; a text being synthesized by one thread is waited for,
    never synthesized twice.  Calls into ``synth`` are serialized.
    """

    def __init__(self, synth: Synthesizer, cache_dir: Path | None, *,
                 memory_frames: int = MEMORY_FRAMES, max_disk_bytes: int | None = None,
                 spoken: Callable[[str], str] | None = None) -> None:
        self._synth = synth
        self._spoken = spoken
        self._max_disk_bytes = cache_max_bytes() if max_disk_bytes is None else max_disk_bytes
        self._cache_dir = cache_dir if self._max_disk_bytes > 0 else None
        self._disk_ok = self._cache_dir is not None
        self._disk_bytes: int | None = None  # the cache's size, counted at the first store
        self._memory: FrameCache[Audio] = FrameCache(memory_frames)
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()
        self._synth_lock = threading.Lock()
        self._identity: str | None = None

    @property
    def disk_cache(self) -> bool:
        """True while clips are written to (and read from) disk."""
        return self._disk_ok

    def clip(self, text: str) -> Audio:
        """The clip of ``text`` as spoken: float32 mono at ``SAMPLE_RATE``, read-only; raises ``EngineError``."""
        if self._spoken is not None:
            text = self._spoken(text)
        pending, owner = self._claim(text)
        if isinstance(pending, np.ndarray):
            return pending
        if not owner:
            return self._wait(pending)
        try:
            audio = self._load(text)
            if audio is None:
                audio = self._make([text])[0]
        except BaseException as error:
            self._fail([(text, pending)], error)
            raise
        self._finish(text, pending, audio)
        return audio

    def measure(self, text: str) -> int:
        """The length in frames of the clip of ``text`` (a ``timeline.Measure``)."""
        return int(self.clip(text).size)

    def prefetch(self, texts: Iterable[str], *, batch: int = 16,
                 progress: Callable[[int, int], None] | None = None) -> None:
        """Make sure every text has a clip, synthesizing the missing ones in order.

        Texts are loaded from disk or synthesized ``batch`` at a time (through
        ``synthesize_many`` when the synthesizer has it), so a reader waiting on
        an early text gets it before the later ones are done.  ``progress`` is
        called with (distinct texts done, distinct texts in all) after each batch.
        """
        order = list(dict.fromkeys(map(self._spoken, texts) if self._spoken is not None else texts))
        for start in range(0, len(order), batch):
            if progress is not None:
                progress(start, len(order))
            owned: list[tuple[str, _Pending]] = []
            for text in order[start:start + batch]:
                pending, owner = self._claim(text)
                if owner and isinstance(pending, _Pending):
                    owned.append((text, pending))
            missing: list[tuple[str, _Pending]] = []
            for text, pending in owned:
                try:
                    audio = self._load(text)
                except BaseException as error:
                    self._fail(owned, error)
                    raise
                if audio is None:
                    missing.append((text, pending))
                else:
                    self._finish(text, pending, audio)
            if not missing:
                continue
            try:
                clips = self._make([text for text, _ in missing])
            except BaseException as error:
                self._fail(missing, error)
                raise
            for (text, pending), audio in zip(missing, clips, strict=True):
                self._finish(text, pending, audio)
        if progress is not None:
            progress(len(order), len(order))

    # -- memory and in-flight bookkeeping -------------------------------------

    def _claim(self, text: str) -> tuple[Audio | _Pending, bool]:
        """The clip if in memory, else the pending entry and whether this caller must make it."""
        with self._lock:
            audio = self._memory.get(text)
            if audio is not None:
                return audio, False
            pending = self._pending.get(text)
            if pending is not None:
                return pending, False
            pending = _Pending()
            self._pending[text] = pending
            return pending, True

    @staticmethod
    def _wait(pending: _Pending) -> Audio:
        pending.done.wait()
        if pending.error is not None:
            raise pending.error
        assert pending.audio is not None
        return pending.audio

    def _finish(self, text: str, pending: _Pending, audio: Audio) -> None:
        with self._lock:
            if self._pending.get(text) is pending:
                del self._pending[text]
            # Only evict what the disk can give back: without it, evicting would
            # mean synthesizing the same text twice.
            self._memory.put(text, audio, evict=self._disk_ok)
        pending.audio = audio
        pending.done.set()

    def _fail(self, owned: Sequence[tuple[str, _Pending]], error: BaseException) -> None:
        """Wake the waiters of ``owned`` texts not yet finished with ``error``.

        By identity, not by text: a text finished earlier may since have left
        memory and been claimed again by another thread, whose entry is not ours.
        """
        with self._lock:
            for text, pending in owned:
                if self._pending.get(text) is pending:
                    del self._pending[text]
        for _, pending in owned:
            if pending.audio is None:
                pending.error = error
                pending.done.set()

    # -- synthesis ------------------------------------------------------------

    def _make(self, texts: list[str]) -> list[Audio]:
        with self._synth_lock:
            synthesize_many = getattr(self._synth, "synthesize_many", None)
            if callable(synthesize_many) and len(texts) > 1:
                raws: list[Audio] = list(synthesize_many(texts))
            else:
                raws = [self._synth.synthesize(text) for text in texts]
        if len(raws) != len(texts):
            raise EngineError(f"The speech engine returned {len(raws)} clips for {len(texts)} texts.")
        clips = [level_speech(prepare_clip(raw, self._synth.sample_rate, text))
                 for raw, text in zip(raws, texts, strict=True)]
        return [self._store(text, clip) for text, clip in zip(texts, clips, strict=True)]

    # -- the disk cache -------------------------------------------------------

    def _key(self, text: str) -> bytes:
        if self._identity is None:
            self._identity = self._synth.identity()
        return hashlib.sha256(f"{CACHE_FORMAT_VERSION}\0{self._identity}\0{text}".encode()).digest()

    def cache_path(self, text: str) -> Path | None:
        """The file that holds (or would hold) the clip of ``text`` as spoken, or None without a disk cache."""
        if self._cache_dir is None:
            return None
        return self._path(self._spoken(text) if self._spoken is not None else text)

    def _path(self, spoken: str) -> Path | None:
        if self._cache_dir is None:
            return None
        return self._cache_dir / f"{self._key(spoken).hex()}.clip"

    def _load(self, text: str) -> Audio | None:
        """The cached clip, or None if absent or damaged (a damaged entry is removed)."""
        if not self._disk_ok:
            return None
        path = self._path(text)
        assert path is not None
        data = _read_entry(path)
        if data is None:
            return None
        audio = _decode_entry(data, self._key(text))
        if audio is None:
            with contextlib.suppress(OSError):
                path.unlink()
        else:
            with contextlib.suppress(OSError):
                os.utime(path)  # the last use, for the size cap's least-recently-used order
        return audio

    def _store(self, text: str, clip: Audio) -> Audio:
        """Write the clip atomically and return the clip to use; on any OS error, carry on memory-only.

        The first writer wins: if another process stored this text meanwhile, its
        take is returned instead of ours, so that the clip in memory is always
        the one on disk.  (Takes are identical now that every utterance gets a
        fresh engine; this still guards against an engine that is not.)
        """
        if not self._disk_ok:
            return clip
        path = self._path(text)
        assert path is not None
        payload = np.ascontiguousarray(clip, dtype="<f4").tobytes()
        digest = hashlib.sha256(payload).digest()
        entry = _HEADER.pack(_MAGIC, SAMPLE_RATE, clip.size, self._key(text), digest) + payload
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                write_atomically(path, entry, replace=False)
            except FileExistsError:
                theirs = self._load(text)
                if theirs is not None:
                    return theirs
                write_atomically(path, entry)  # theirs was damaged (and is gone): ours it is
            self._count_and_cap(len(entry))
        except OSError:
            self._disk_ok = False
        return clip

    def _count_and_cap(self, added_bytes: int) -> None:
        """Keep the cache under its cap: count it once, then remove least recently used entries when over."""
        assert self._cache_dir is not None
        if self._disk_bytes is None:
            self._disk_bytes = sum(size for _, size, _ in _entries(self._cache_dir))
        else:
            self._disk_bytes += added_bytes
        if self._disk_bytes > self._max_disk_bytes:
            self._disk_bytes = trim_cache(self._cache_dir, self._max_disk_bytes)


CACHE_SUFFIXES = (".clip", ".level", ".loudness")
"""What the cap counts: clips, and the remembered tone levels and session loudness (each made again if gone)."""


def _entries(folder: Path) -> list[tuple[float, int, str]]:
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
    entries = sorted(_entries(folder))
    total = sum(size for _, size, _ in entries)
    target = max_bytes * 9 // 10  # some room, so the next few stores do not each trim again
    for _, size, path in entries:
        if total <= target:
            break
        with contextlib.suppress(OSError):
            os.unlink(path)
            total -= size
    return total


def _read_entry(path: Path) -> bytes | None:
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


def _decode_entry(data: bytes, key: bytes) -> Audio | None:
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
