"""Speech clips: the synthesizer interface, and a bank that trims, levels, checks and caches clips.

A clip (``trimming``) is a 1-D ``float32`` array at ``base.SAMPLE_RATE`` whose
first sample is where the voice begins and whose last is where it ends; the
bank levels it (``dsp.levelling``) and keeps it in memory and on disk
(``clip_cache``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from voiceguide.base import SAMPLE_RATE, Audio, FrameCache, write_atomically
from voiceguide.errors import EngineError
from voiceguide.speech.clip_cache import (
    cache_entries,
    cache_max_bytes,
    decode_entry,
    encode_entry,
    entry_digest,
    peek_entry,
    read_entry,
    trim_cache,
)
from voiceguide.speech.synthesis_thread import Synthesis, batches
from voiceguide.speech.trimming import level_speech, prepare_clip


class Synthesizer(Protocol):
    """Turns text into audio: ``pyttsx3_engine.Pyttsx3Synthesizer``, ``hibari_engine.HibariSynthesizer``, fakes."""

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


CACHE_FORMAT_VERSION = 8
"""Bumped whenever trimming, normalization or the file layout changes, so old entries are ignored.

4: clips are stored levelled (``levelling.level_clip``: BS.1770 loudness, true-peak ceiling).
5: true peak measured at 192 kHz, as BS.1770-4 (``voiceguide.true_peak``), not four times 22,050 Hz.
6: measured by ``audio.lufs`` and limited with numpy's running minimum and mean (the last bits differ).
7: the limiter's curve made only around the peaks it lowers (the last bits differ).
8: the 192-kHz envelope computed only where the gain brings it near the ceiling, and a take's loudness
   estimated, not measured, when the estimate is surely close enough (the last bits differ).
"""

MEMORY_FRAMES = 120 * SAMPLE_RATE
"""Clips kept in memory (2 minutes of audio, ~10.6 MB) when a disk cache backs them up.

It was 5 minutes; with 2, a cold 1-h render peaks ~5-10 MB lower (under 100 MB) and a
warm one ~10 MB lower, and the mixers' own caches (a minute each) still hold the
clips in use."""


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
    stored levelled to the reference loudness and the mixer applies volume as a gain.

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
        self._lengths: dict[str, int] = {}  # every clip's length, kept when memory lets the clip go
        self._digests: dict[str, bytes] = {}  # the SHA-256 of each clip's samples known from the disk cache
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()
        self._synth_lock = threading.Lock()
        self._identity: str | None = None

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
        """The length in frames of the clip of ``text`` (a ``timeline.Measure``).

        Remembered for every clip made or loaded, so laying out a session does not
        read back from disk the clips that memory has let go.
        """
        frames = self._lengths.get(self._spoken(text) if self._spoken is not None else text)
        return frames if frames is not None else int(self.clip(text).size)

    def digest(self, text: str) -> bytes | None:
        """The SHA-256 of the clip's little-endian float32 samples, if known without reading it; else None."""
        return self._digests.get(self._spoken(text) if self._spoken is not None else text)

    def prefetch(self, texts: Iterable[str], *, batch: int = 16,
                 progress: Callable[[int, int], None] | None = None) -> None:
        """Make sure every text has a clip, synthesizing the missing ones in order.

        A text whose entry on disk looks whole is not read: its header gives its
        length (``measure``) and digest, and its samples are read and checked when
        they are first asked for (a warm render then reads each clip once, as it
        mixes).  The other texts are loaded from disk or synthesized up to ``batch``
        at a time (through ``synthesize_many`` when the synthesizer has it), so a
        reader waiting on an early text gets it before the later ones are done.  A
        batch is synthesized on a thread of its own while the one before it is
        levelled and stored here: the engine (another process) and the levelling
        run at once; the first and last batches are small (``batches``), since
        nothing runs beside them.  ``progress`` is called with (distinct texts done, distinct texts in
        all) after each batch.
        """
        order = [text for text in dict.fromkeys(map(self._spoken, texts) if self._spoken is not None else texts)
                 if not self._known(text)]
        claimed: list[tuple[str, _Pending]] = []  # failed together on any error (finished ones are left alone)
        waiting: tuple[list[tuple[str, _Pending]], Synthesis] | None = None
        try:
            for start, stop in batches(len(order), batch):
                if progress is not None:
                    progress(start, len(order))
                missing = self._load_batch(order[start:stop], claimed)
                if not missing:
                    if waiting is not None:  # no reason to keep its readers waiting
                        self._complete(waiting[0], waiting[1].result())
                        waiting = None
                    continue
                # The engine takes one batch at a time, in order: the next starts when the last is spoken.
                spoken = (waiting[0], waiting[1].result()) if waiting is not None else None
                waiting = (missing, Synthesis(self._synthesize, [text for text, _ in missing]))
                if spoken is not None:
                    self._complete(*spoken)
            if waiting is not None:
                self._complete(waiting[0], waiting[1].result())
        except BaseException as error:
            self._fail(claimed, error)
            raise
        if progress is not None:
            progress(len(order), len(order))

    def _known(self, text: str) -> bool:
        """True if ``text``'s clip was made or loaded, or its entry on disk looks whole (its length then known)."""
        if text in self._lengths:
            return True
        path = self._path(text) if self._disk_ok else None
        if path is None:
            return False
        found = peek_entry(path, self._key(text))
        if found is None:
            return False
        self._lengths[text], self._digests[text] = found
        with contextlib.suppress(OSError):
            os.utime(path)  # the last use, for the size cap's order
        return True

    def _load_batch(self, texts: Sequence[str], claimed: list[tuple[str, _Pending]]) -> list[tuple[str, _Pending]]:
        """Claim ``texts`` (adding them to ``claimed``), finish those on disk; the claimed ones still to make."""
        owned: list[tuple[str, _Pending]] = []
        for text in texts:
            pending, owner = self._claim(text)
            if owner and isinstance(pending, _Pending):
                owned.append((text, pending))
        claimed.extend(owned)
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
        return missing

    def _complete(self, missing: list[tuple[str, _Pending]], raws: list[Audio]) -> None:
        """Level and store a spoken batch, and hand each clip to its waiters."""
        clips = self._level_and_store([text for text, _ in missing], raws)
        for (text, pending), audio in zip(missing, clips, strict=True):
            self._finish(text, pending, audio)

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
        self._lengths[text] = audio.size
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
        return self._level_and_store(texts, self._synthesize(texts))

    def _synthesize(self, texts: list[str]) -> list[Audio]:
        """The engine's raw audio for ``texts`` (calls into the synthesizer are serialized)."""
        with self._synth_lock:
            synthesize_many = getattr(self._synth, "synthesize_many", None)
            if callable(synthesize_many) and len(texts) > 1:
                return list(synthesize_many(texts))
            return [self._synth.synthesize(text) for text in texts]

    def _level_and_store(self, texts: list[str], raws: list[Audio]) -> list[Audio]:
        """Check, trim and level the engine's ``raws`` into clips, and store them."""
        if len(raws) != len(texts):
            raise EngineError(f"The speech engine returned {len(raws)} clips for {len(texts)} texts.")
        rate = self._synth.sample_rate
        clips = []
        for index, text in enumerate(texts):
            raw, raws[index] = raws[index], None  # type: ignore[call-overload]  # let each raw go once levelled
            clips.append(self._store(text, level_speech(prepare_clip(raw, rate, text))))
        return clips

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
        data = read_entry(path)
        if data is None:
            return None
        audio = decode_entry(data, self._key(text))
        if audio is None:
            with contextlib.suppress(OSError):
                path.unlink()
        else:
            self._digests[text] = entry_digest(data)
            with contextlib.suppress(OSError):
                os.utime(path)  # the last use, for the size cap's least-recently-used order
        return audio

    def _store(self, text: str, clip: Audio) -> Audio:
        """Write the clip atomically and return the clip to use; on any OS error, carry on memory-only.

        The first writer wins: if another process stored this text meanwhile, its
        take is returned instead of ours, so that the clip in memory is always
        the one on disk.  (Every utterance gets a fresh engine, so takes are
        identical; this guards against an engine that is not.)
        """
        if not self._disk_ok:
            return clip
        path = self._path(text)
        assert path is not None
        entry = encode_entry(clip, self._key(text))
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
            self._digests[text] = entry_digest(entry)
        except OSError:
            self._disk_ok = False
        return clip

    def _count_and_cap(self, added_bytes: int) -> None:
        """Keep the cache under its cap: count it once, then remove least recently used entries when over."""
        assert self._cache_dir is not None
        if self._disk_bytes is None:
            self._disk_bytes = sum(size for _, size, _ in cache_entries(self._cache_dir))
        else:
            self._disk_bytes += added_bytes
        if self._disk_bytes > self._max_disk_bytes:
            self._disk_bytes = trim_cache(self._cache_dir, self._max_disk_bytes)
