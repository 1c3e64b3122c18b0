"""How long a session lasts at least, whatever its speech: known before any speech is made.

A live player with a cold cache starts before the session is laid out; with a bed, the fade at
the session's end could be anywhere past what is laid out.  The session lasts at least its fixed
gaps, pauses, bells and breathing, so the bed's first seconds are final once that is further away
than the fade (``audio.bed.Bed.final_frames``).
"""

from __future__ import annotations

from fractions import Fraction

from voiceguide.base import SAMPLE_RATE
from voiceguide.script.model import TONE_SECONDS, Breathe, Chime, Pause, Repeat, Say, Script, Section, Step
from voiceguide.timeline.compiler import CAUTION_GAP, ROUND_GAP, SECTION_GAP, TITLE_GAP, _Compiler

__all__ = ["least_length"]


def least_length(script: Script, *, pace: Fraction = Fraction(1), cautions: bool = True,
                 sample_rate: int = SAMPLE_RATE) -> int:
    """Frames the laid-out session lasts at least: the title's and cautions' gaps, and each step's share.

    A step's share is the part of its layout that does not depend on speech lengths, in the
    compiler's own frames (a press step's counts as nothing: its cues are placed around each
    other); ``tests/test_timeline.py`` holds it under the real length, and equal to it without speech.
    """
    return _Least(_Compiler(script, lambda text: 0, pace, cautions, sample_rate)).session(script, cautions)


class _Least:
    def __init__(self, compiler: _Compiler) -> None:
        self._paced = compiler.paced
        self._fixed = compiler.fixed
        self._repeats: dict[int, int] = {}

    def session(self, script: Script, cautions: bool) -> int:
        frames = self._fixed(TITLE_GAP)
        if cautions:
            frames += len(script.cautions) * self._fixed(CAUTION_GAP)
        return frames + sum(self.step(step) for step in script.steps)

    def step(self, step: Step) -> int:
        """Frames ``step`` lasts at least, as the compiler lays it out, with speech of any length."""
        if isinstance(step, Say):
            return self._paced(step.pause)  # the step ends at its cue's end (>= its start) plus the pause
        if isinstance(step, Pause):
            return self._paced(step.duration)
        if isinstance(step, Chime):
            return step.count * self._fixed(TONE_SECONDS)
        if isinstance(step, Section):
            return self._fixed(SECTION_GAP) if step.announce else 0
        if isinstance(step, Breathe):  # from its cycles' start (after any say): the cycles' whole time
            return self._paced(step.cycle_count() * step.pattern.cycle_seconds)
        if isinstance(step, Repeat):  # each repeat once, however often it is aliased
            found = self._repeats.get(id(step))
            if found is None:
                rounds = self._fixed(ROUND_GAP) if step.announce else 0
                found = self._repeats[id(step)] = step.times * (rounds + sum(self.step(child) for child in step.steps))
            return found
        return 0  # a press (its release is placed among its cues), a background change
