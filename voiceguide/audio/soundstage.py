"""The session's sound stage: how many channels, which bed, at which gains (render and live alike).

``Soundstage`` is made once per session from the script and the command
line's choice (``BackgroundChoice``); ``layout(...)`` then gives the mixer its
``Layout`` for whatever part of the session is known (a live session compiles
ahead of the playhead: the layout is rebuilt with each new part).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from voiceguide.audio.bed import Bed, BedSource, plan_spans
from voiceguide.audio.mixer import SIDE_PAN, Layout, pan_gains
from voiceguide.base import SAMPLE_RATE, write_atomically
from voiceguide.dsp.levelling import CEILING_DBTP, REFERENCE_LUFS
from voiceguide.dsp.limiter import db_to_gain
from voiceguide.errors import Position, UsageError
from voiceguide.script.model import Background, BackgroundStep, Press, Repeat, Script, Step
from voiceguide.script.vocabulary import BACKGROUND_FILE_TYPES, BACKGROUND_SOUNDS
from voiceguide.timeline.layout import BedChange, Event

CALIBRATION_SECONDS = 40
"""How much of a sound is measured for its loudness (its slow movements have periods under a minute)."""

CALIBRATION_VERSION = 2
"""Part of the key of a remembered sound loudness; bumped when the sounds change."""

PEAK_MARGIN = 1.41
"""A sound's peaks over hours may pass those of its measured seconds: 3 dB of margin."""

BED_PEAK_SHARE = 0.5
"""A bed's peaks may use at most this share of the ceiling: the rest is the voice's."""

LOWEST_LEVEL_DB = -60.0
"""No bed is lowered (``Soundstage.with_bed_lowered``) under this level, the lowest a script may write."""


class BackgroundRequest(Protocol):
    """What the command line asks (``play.requests.SoundOptions``)."""

    @property
    def background(self) -> str | None: ...

    @property
    def no_background(self) -> bool: ...

    @property
    def mono(self) -> bool: ...


def background_choice(request: BackgroundRequest) -> BackgroundChoice:
    """The request as a choice: ``--background`` names a built-in sound or a file (relative to here)."""
    from pathlib import PurePath

    chosen: Background | None = None
    name = request.background
    if name is not None and not request.no_background:
        here = Position("--background", 1, 1)
        if name in BACKGROUND_SOUNDS:
            chosen = Background(sound=name, position=here)
        elif PurePath(name).suffix.lower() in BACKGROUND_FILE_TYPES:
            chosen = Background(sound=str(Path(name).resolve()), builtin=False, position=here)
        else:
            raise UsageError(f"--background {name!r} is neither a built-in sound nor an audio file.",
                             hint=f"Use one of {', '.join(BACKGROUND_SOUNDS)} ('voiceguide sounds'), "
                                  f"or a {', '.join(BACKGROUND_FILE_TYPES)} file.")
    return BackgroundChoice(sound=chosen, off=request.no_background, mono=request.mono)


def soundstage(script: Script, request: BackgroundRequest, cache_dir: Path | None, *,
               least_length: int = 0) -> Soundstage:
    """The session's channels and bed, from the script and what the command line asks.

    ``least_length``: frames the session lasts at least, for a live player that starts before it is
    all laid out (``timeline.least_length``).
    """
    return Soundstage(script, background_choice(request), cache_dir=cache_dir, least_length=least_length)


@dataclass(frozen=True)
class BackgroundChoice:
    """The command line's say: ``--background SOUND`` (a ``Background``), ``--no-background``, ``--mono``."""

    sound: Background | None = None
    off: bool = False
    mono: bool = False


def _walk(steps: Sequence[Step], seen: set[int]) -> Iterator[Step]:
    """Every step once, repeats' steps included (the model is a DAG: an aliased step is visited once)."""
    for step in steps:
        if id(step) in seen:
            continue
        seen.add(id(step))
        yield step
        if isinstance(step, Repeat):
            yield from _walk(step.steps, seen)


def script_backgrounds(script: Script) -> list[Background]:
    """Every background the script names, top level first."""
    found = [script.background] if script.background is not None else []
    found += [step.background for step in _walk(script.steps, set())
              if isinstance(step, BackgroundStep) and step.background is not None]
    return found


def has_panned_cues(script: Script) -> bool:
    """True when some press has a side's cues to pan."""
    return any(isinstance(step, Press) and step.side != "none" and step.pan for step in _walk(script.steps, set()))


def resolved_changes(script: Script, beds: Sequence[BedChange], choice: BackgroundChoice) -> list[BedChange]:
    """The bed's changes after the command line's choice: none with ``--no-background``.

    ``--background SOUND`` puts SOUND where the script has a sound (keeping its
    level, duck and fade, and its ``off`` steps), and at the start when the
    script names none there.
    """
    if choice.off:
        return []
    first = script.background
    changes = [BedChange(0, first)] if first is not None else []
    changes += list(beds)
    if choice.sound is None:
        return changes
    replaced = [dataclasses.replace(c, background=_replace(c.background, choice.sound)) for c in changes]
    if first is None:
        replaced.insert(0, BedChange(0, choice.sound))
    return replaced


def _replace(background: Background | None, sound: Background) -> Background | None:
    if background is None:
        return None
    return dataclasses.replace(background, sound=sound.sound, builtin=sound.builtin, position=sound.position)


class Soundstage:
    """Channels and bed of one session; ``layout`` for the mixer, ``voice_ceiling_dbtp`` for the file gain."""

    def __init__(self, script: Script, choice: BackgroundChoice, *, cache_dir: Path | None,
                 file_gain_db: float = 0.0, sample_rate: int = SAMPLE_RATE, least_length: int = 0) -> None:
        self.script = script
        self.least_length = least_length
        self.choice = choice
        self.sample_rate = sample_rate
        self.cache_dir = cache_dir
        self.file_gain_db = file_gain_db
        self.bed_lowered_db = 0.0
        backgrounds = [] if choice.off else script_backgrounds(script)
        if choice.sound is not None:
            backgrounds = [_replace(b, choice.sound) or choice.sound for b in backgrounds] or [choice.sound]
        self.has_bed = bool(backgrounds)
        stereo = self.has_bed or has_panned_cues(script)
        self.channels = 1 if choice.mono or not stereo else 2
        self._folder = Path(script.position.path).resolve().parent if script.position.path else Path.cwd()
        self._sources: dict[tuple[str, bool], BedSource] = {}
        self._loudness: dict[tuple[str, bool], tuple[float, float]] = {}
        self._making = threading.RLock()  # ``prepare`` on a thread, the mixer's layouts on another
        for background in backgrounds:  # every file is found (and read) before any work
            self._source(background)

    def with_gain(self, file_gain_db: float) -> Soundstage:
        """The same stage with the file's gain (``render --loudness``)."""
        copy = object.__new__(Soundstage)
        copy.__dict__.update(self.__dict__)
        copy.file_gain_db = file_gain_db
        return copy

    def prepare(self) -> None:
        """Make and measure every bed's sound now, ahead of the first layout (a live player's thread).

        A built-in sound's pools (~0.1-0.3 s) and, with a cold cache, its loudness (as long again) are
        then made while the speech engine starts, rather than before the first block.  A failure is
        left for the layout to meet and report.
        """
        for background in self._backgrounds():
            with self._making, contextlib.suppress(Exception):  # (a layout waits, rather than make it twice)
                self.source(BedChange(0, background))
                self._source(background).peak_bound(self.channels)

    def with_bed_lowered(self, lowered_db: float) -> Soundstage:
        """The same stage with every bed ``lowered_db`` under its ``level`` (``render --loudness``, sparse sessions).

        In a session of long silences BS.1770's gate counts the bed, and a bed
        20 dB under the voice can pull the file's loudness several LU under the
        voice's: ``render`` then lowers the bed until the voice, as loud as it
        may go, brings the file to ``--loudness`` (``play.file_level.levelled_for_file``).
        """
        copy = object.__new__(Soundstage)
        copy.__dict__.update(self.__dict__)
        copy.bed_lowered_db = max(0.0, lowered_db)
        return copy

    def _lowered(self, background: Background | None) -> Background | None:
        if background is None or self.bed_lowered_db <= 0:
            return background
        return dataclasses.replace(background, level_db=max(LOWEST_LEVEL_DB, background.level_db - self.bed_lowered_db))

    def layout(self, events: Sequence[Event], beds: Sequence[BedChange], length: int, complete: bool) -> Layout:
        """The mixer's layout for the known part of the session."""
        changes = resolved_changes(self.script, beds, self.choice) if self.has_bed else []
        if self.bed_lowered_db > 0:
            changes = [dataclasses.replace(c, background=self._lowered(c.background)) for c in changes]
        spans = plan_spans(changes, length, complete, self, self.sample_rate)
        bed = Bed(spans, events, self.channels, sample_rate=self.sample_rate) if spans else None
        return Layout(channels=self.channels, bed=bed, least_length=self.least_length)

    # -- the SourceFactory of plan_spans -----------------------------------------

    def source(self, change: BedChange) -> tuple[BedSource, float]:
        """``change``'s sound and its linear gain: ``level`` under the voice, at the file's gain."""
        background = change.background
        assert background is not None
        with self._making:
            source = self._source(background)
            loudness, peak = self._calibration(background, source)
        gain = db_to_gain(self.file_gain_db + REFERENCE_LUFS + background.level_db - loudness)
        peak *= gain
        limit = BED_PEAK_SHARE * db_to_gain(CEILING_DBTP)
        if peak > limit:  # a bed as loud as the voice, of a very peaky sound: held under the ceiling
            gain *= limit / peak
        return source, gain

    def bed_peak(self) -> float:
        """The largest sample the bed can add while the voice speaks (ducked), at the file's gain."""
        from voiceguide.audio.bed import voice_margin_duck

        if not self.has_bed:
            return 0.0
        peak = 0.0
        for background in self._backgrounds():
            _, gain = self.source(BedChange(0, background))
            duck = db_to_gain(-voice_margin_duck(background.level_db, background.duck_db))
            peak = max(peak, self._calibration(background, self._source(background))[1] * gain * duck)
        return peak

    def voice_ceiling_dbtp(self) -> float:
        """The true-peak ceiling for each clip, so that voice, pan and ducked bed together stay under -1 dBTP."""
        if self.channels == 1 and not self.has_bed:
            return CEILING_DBTP
        widest = max(pan_gains(-SIDE_PAN)) if self.channels > 1 else 1.0
        room = db_to_gain(CEILING_DBTP) - self.bed_peak()
        return 20 * math.log10(max(room, 1e-3) / widest)

    def backgrounds(self) -> list[Background]:
        """Every background of the session as the script and the command line chose them (not lowered)."""
        found = [] if self.choice.off else script_backgrounds(self.script)
        if self.choice.sound is not None:
            found = [_replace(b, self.choice.sound) or self.choice.sound for b in found] or [self.choice.sound]
        return found

    def _backgrounds(self) -> list[Background]:
        return [b for b in map(self._lowered, self.backgrounds()) if b is not None]

    def _source(self, background: Background) -> BedSource:
        key = (background.sound, background.builtin)
        source = self._sources.get(key)
        if source is None:
            if background.builtin:
                from voiceguide.audio.sounds import Generator

                source = Generator(background.sound, cache_dir=self.cache_dir)
            else:
                from voiceguide.audio.bed_file import open_file_bed

                source = open_file_bed(self._folder / background.sound, self.cache_dir, background.position)
            self._sources[key] = source
        return source

    def _calibration(self, background: Background, source: BedSource) -> tuple[float, float]:
        """``source``'s BS.1770 loudness (LUFS) and peak estimate at gain 1 in this stage's channels.

        The peak is the largest sample measured, ``PEAK_MARGIN`` higher (a long
        session meets rarer peaks), but never above the source's own bound.
        Remembered on disk: a warm render does not measure again.
        """
        key = (background.sound, background.builtin)
        found = self._loudness.get(key)
        if found is not None:
            return found
        name = getattr(source, "cache_key", background.sound)
        path = (self.cache_dir / f"bed-{name}-{self.channels}ch-v{CALIBRATION_VERSION}.calibration"
                if self.cache_dir is not None else None)
        numbers = _read_numbers(path)
        if numbers is None:
            from voiceguide.audio.loudness import loudness_of

            frames = min(CALIBRATION_SECONDS * self.sample_rate, getattr(source, "period", 1 << 62))
            samples = source.render(0, frames, self.channels)
            loudness = loudness_of(samples, self.sample_rate)
            if not math.isfinite(loudness):
                raise UsageError(f"The background {background.sound} is silent.",
                                 hint="choose another sound or file")
            peak = min(float(np.abs(samples).max()) * PEAK_MARGIN, source.peak_bound(self.channels))
            numbers = (loudness, peak)
            if path is not None:
                with contextlib.suppress(OSError):
                    path.parent.mkdir(parents=True, exist_ok=True)
                    write_atomically(path, f"{loudness!r} {peak!r}".encode("ascii"))
        self._loudness[key] = numbers
        return numbers


def _read_numbers(path: Path | None) -> tuple[float, float] | None:
    if path is None:
        return None
    try:
        loudness, peak = (float(part) for part in path.read_text(encoding="ascii").split())
    except (OSError, ValueError):
        return None
    return loudness, peak


