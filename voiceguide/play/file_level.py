"""The file gain of a render: the whole mix brought to ``--loudness``, and the bed lowered when it must be.

``levelled_for_file`` measures the voice alone, or with a bed the whole mix block by block
(``mix_meter``), and chooses the file gain (and how far under its level the bed goes) that meets the
target; ``render`` renders at that gain.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from voiceguide.audio.mixer import ClipSource, Mixer
from voiceguide.base import write_atomically
from voiceguide.errors import Diagnostic
from voiceguide.play.program import Program, Snapshot
from voiceguide.timeline.layout import Timeline

if TYPE_CHECKING:
    from voiceguide.audio.bed import Bed
    from voiceguide.audio.mix_meter import MixBlocks
    from voiceguide.audio.soundstage import Soundstage
    from voiceguide.script.model import Script


@dataclass(frozen=True)
class FileLevel:
    """What ``levelled_for_file`` chose: the file gain, the stage at that gain, and what it could not reach."""

    gain_db: float
    stage: Soundstage
    short_lu: float = 0.0
    """How far under ``--loudness`` the file was measured (> 0 only when lowering the bed could not help)."""


def levelled_for_file(timeline: Timeline, clips: ClipSource, stage: Soundstage, target_lufs: float,
                      cache_dir: Path | None) -> FileLevel:
    """The file gain (dB) that brings the whole mix to ``target_lufs``, and the stage at that gain.

    Without a bed the voice's islands are measured (``loudness.session_loudness``);
    with one the whole mix is (``mix_meter.measure_mix``: voice, bed and their
    cross term block by block, so any gains can be tried by arithmetic).  Each
    clip's true-peak ceiling is then ``stage.voice_ceiling_dbtp()`` (room for the bed and the pan).

    The voice goes at most ``VOICE_OVER_TARGET_LU`` over the target (louder would
    squash it).  In a session of long silences BS.1770's gate counts the bed (the
    relative gate lies 10 LU under the mean power, which a rare voice no longer
    holds up), and no voice gain would bring the file to the target: the bed is
    then lowered under its ``level`` by the least amount that lets the voice, at
    its most, do so.  Gating is relative: how far the bed counts depends only on
    where it sits under the voice, not on the file gain.  The choice is remembered
    in ``cache_dir``.
    """
    from voiceguide.audio.loudness import file_gain_db, session_key, session_loudness

    voice_lufs = session_loudness(timeline.events, clips, cache_dir)
    if not stage.has_bed:
        gain = file_gain_db(target_lufs, voice_lufs)
        return FileLevel(gain, stage.with_gain(gain))
    key = "\0".join([session_key(timeline.events, clips), repr(stage.choice), repr(timeline.beds),
                     repr(stage.script.background), str(stage.channels), repr(target_lufs), "mix-4"])
    path = cache_dir / f"{hashlib.sha256(key.encode()).hexdigest()}.mix-level" if cache_dir is not None else None
    remembered = _read_floats(path, 3)
    if remembered is not None:
        gain, lowered, short = remembered
    else:
        gain, lowered, short = _mix_level(timeline, clips, stage, target_lufs, voice_lufs)
        if path is not None:
            with contextlib.suppress(OSError):
                path.parent.mkdir(parents=True, exist_ok=True)
                write_atomically(path, f"{gain!r} {lowered!r} {short!r}".encode("ascii"))
    return FileLevel(gain, stage.with_gain(gain).with_bed_lowered(lowered), short)


def _mix_level(timeline: Timeline, clips: ClipSource, stage: Soundstage, target_lufs: float,
               voice_lufs: float) -> tuple[float, float, float]:
    """(file gain, how far the bed is lowered, how far under the target the file stays), from the mix's blocks.

    The blocks measured at one setting predict every other exactly while the voice and the bed only
    scale.  They do more than scale when the limiter takes the voice's peaks (which takes a little
    loudness, and near the gate's edge a little decides which of the bed's blocks count), when a loud
    bed's peaks are held under the ceiling, or when a lowered bed needs a shallower duck: the mix is
    then measured again at the chosen setting, and the choice made again from there.
    """
    from voiceguide.audio.loudness import file_gain_db

    snapshot = Program.from_timeline(timeline).snapshot()
    most = file_gain_db(target_lufs + VOICE_OVER_TARGET_LU, voice_lufs)
    first = measured = _MixAt(timeline, snapshot, clips, stage, (0.0, 0.0), None)
    for _ in range(MIX_LEVEL_PASSES):
        setting = _choose(measured.loudness, target_lufs, most)
        if measured.predicts(setting):
            return setting[0], setting[1], max(0.0, target_lufs - measured.loudness(*setting))
        measured = _MixAt(timeline, snapshot, clips, stage, setting, measured)
        if abs(target_lufs - measured.loudness(*setting)) <= MIX_LEVEL_TOLERANCE_LU:
            return setting[0], setting[1], 0.0  # measured there, on target
    # No setting that the measurements agree on (a bed as loud as the voice, whose peaks held under the
    # ceiling change its level with the gain): the bed stays at its level, the voice at its most.
    gain = min(file_gain_db(target_lufs, first.loudness(0.0, 0.0)), most)
    there = _MixAt(timeline, snapshot, clips, stage, (gain, 0.0), measured)
    return gain, 0.0, max(0.0, target_lufs - there.loudness(gain, 0.0))


def _choose(loudness: Callable[[float, float], float], target_lufs: float, most: float) -> tuple[float, float]:
    """The (file gain, bed lowered) that bring the file to ``target_lufs``, the voice at most ``most``."""
    from voiceguide.audio.loudness import file_gain_db

    gain, lowered = min(file_gain_db(target_lufs, loudness(0.0, 0.0)), most), 0.0
    if loudness(most, 0.0) >= target_lufs - MIX_LEVEL_TOLERANCE_LU:
        return gain, lowered
    # The voice alone cannot bring the file up: the bed weighs in the gate.  Lowered enough, it no longer
    # does; lowered GATE_MARGIN_LU further, the file is off the edge where a little more or less bed
    # changes which blocks count.
    goal = target_lufs + GATE_MARGIN_LU
    if loudness(most, LOWER_MOST_DB) < goal:
        return most, 0.0  # out of reach: the bed stays as the script asked, the file as loud as it goes
    low, high = 0.0, LOWER_MOST_DB
    while high - low > LOWER_STEP_DB:
        middle = (low + high) / 2
        low, high = (low, middle) if loudness(most, middle) >= goal else (middle, high)
    return min(file_gain_db(target_lufs, loudness(0.0, high)), most), high


class _MixAt:
    """The mix's blocks measured at one (file gain, bed lowered) setting, and what they predict."""

    def __init__(self, timeline: Timeline, snapshot: Snapshot, clips: ClipSource, stage: Soundstage,
                 setting: tuple[float, float], previous: _MixAt | None) -> None:
        from voiceguide.audio.loudness import GainedClips
        from voiceguide.audio.mix_meter import measure_mix
        from voiceguide.audio.mixer import Layout

        self.setting = setting
        self._base = stage
        self._snapshot = snapshot
        self._length = timeline.length
        staged = stage.with_gain(setting[0]).with_bed_lowered(setting[1])
        self._limited = _limits(staged)
        self._bed = self._bed_of(setting)
        voiced = GainedClips(clips, setting[0], ceiling_dbtp=staged.voice_ceiling_dbtp())
        voice = Mixer(snapshot.events, voiced, length=timeline.length, layout=Layout(channels=stage.channels))
        # The stretches of bed alone need no new measurement when only the voice changed.
        alone = previous.blocks if previous is not None and previous._same_bed(self._bed, 1.0) else None
        self.blocks: MixBlocks = measure_mix(voice, self._bed, timeline.length, snapshot.events, timeline.sample_rate,
                                  alone=alone)

    def _bed_of(self, setting: tuple[float, float]) -> Bed:
        staged = self._base.with_gain(setting[0]).with_bed_lowered(setting[1])
        bed = staged.layout(self._snapshot.events, self._snapshot.beds, self._length, True).bed
        assert bed is not None
        return bed

    def loudness(self, gain: float, lowered: float) -> float:
        """The file's loudness at (gain, lowered), predicted by scaling what was measured."""
        measured_gain, measured_lowered = self.setting
        return self.blocks.loudness(gain - measured_gain, (gain - lowered) - (measured_gain - measured_lowered))

    def predicts(self, setting: tuple[float, float]) -> bool:
        """True when at ``setting`` the voice and the bed are what was measured, only scaled."""
        if setting == self.setting:
            return True
        if self._limited or _limits(self._base.with_gain(setting[0]).with_bed_lowered(setting[1])):
            return False
        scale = 10 ** (((setting[0] - setting[1]) - (self.setting[0] - self.setting[1])) / 20)
        return self._same_bed(self._bed_of(setting), scale)

    def _same_bed(self, bed: Bed, scale: float) -> bool:
        """True when ``bed`` is this measurement's bed ``scale`` times louder (the same spans and ducks)."""
        if len(bed.spans) != len(self._bed.spans):
            return False
        return all(math.isclose(b.gain, a.gain * scale, rel_tol=1e-9) and b.duck == a.duck
                   for a, b in zip(self._bed.spans, bed.spans, strict=True))


def _limits(stage: Soundstage) -> bool:
    """True when the file gain of ``stage`` makes ``GainedClips`` limit the voice (more than a gain)."""
    from voiceguide.dsp.levelling import CEILING_DBTP, HEADROOM_DB

    return stage.file_gain_db > HEADROOM_DB - (CEILING_DBTP - stage.voice_ceiling_dbtp())


def _read_floats(path: Path | None, count: int) -> tuple[float, ...] | None:
    if path is None:
        return None
    try:
        numbers = tuple(float(part) for part in path.read_text(encoding="ascii").split())
    except (OSError, ValueError):
        return None
    return numbers if len(numbers) == count and all(map(math.isfinite, numbers)) else None


MIX_LEVEL_PASSES = 4
"""At most this many measurements of a mix with a bed (see ``_mix_level``)."""

MIX_LEVEL_TOLERANCE_LU = 0.15
"""A mix measured this near ``--loudness`` is on target (and with the voice at its most, needs no lower bed)."""

VOICE_OVER_TARGET_LU = 3.0
"""With a bed, the voice's own loudness stays within this of ``--loudness`` (the bed is lowered instead)."""

LOWER_MOST_DB = 20.0
"""A bed is lowered at most this far under its ``level`` to bring a file of long silences to ``--loudness``."""

GATE_MARGIN_LU = 1.0
"""A bed lowered for a file of long silences goes this much further than the gate's edge (see ``_mix_level``)."""

LOWER_STEP_DB = 0.05
"""The bisection's resolution: the bed is lowered at most this much more than it must be."""

SHORT_WARNING_LU = 0.5
"""A file measured this far under ``--loudness`` (when lowering the bed could not help) gets a warning."""


def quiet_file_warning(script: Script, stage: Soundstage, target_lufs: float, short_lu: float) -> list[Diagnostic]:
    """A warning that a file of long silences stays under ``--loudness``, at its first background."""
    backgrounds = stage.backgrounds()
    position = backgrounds[0].position if backgrounds else script.position
    return [Diagnostic(position, "warning",
                       f"the file comes out {short_lu:.1f} LU under --loudness {target_lufs:g}: the session is "
                       f"so much background that BS.1770 measures mostly the background, even "
                       f"{LOWER_MOST_DB:g} dB lower; shorter pauses or more words bring it closer")]
