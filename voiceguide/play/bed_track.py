"""The bed while the session stands still: a pause fades it out, answers duck it, resuming fades it back in.

The session's own bed is part of the mixer's render (``Bed.render``): it
follows the session frame.  When the session stops advancing (a pause, an
answer to a key, a wait for speech) the transport still writes, and the bed
goes on under it: its sounds flow on from the bed frame they had reached (a
bed position that advances with the written frames: the texture continues,
nothing is looped), at the levels they had there, and

- a pause fades it out to silence over the sounding background's ``fade``
  (spec: "fade in at the start, out at the end, around a pause"), and resuming
  fades it back in over the same ``fade``, the way the session's own bed fades
  in and out (equal power: ``pause_cap``).  Fully out, not just lower: a pause
  is silent once the fade is over, as the spec reads and as a session played
  ``--no-background`` pauses; "Paused." is said as the fade begins, so a
  person with eyes closed knows why it goes quiet.  ``fade: 0s`` is a cut,
  made over ``SHORTEST_FADE_SECONDS`` so that it does not click.  The fade back
  in goes on across the handover below into the session's own bed;
- an answer ducks it as the voice ducks the session's bed (raised-cosine
  ramps; the attack is short, ``ANSWER_ATTACK_SECONDS``, as a key's answer
  cannot be foreseen); the deeper of the duck and the pause wins, and a paused
  bed's duck holds, so the bed never comes back up when "Paused." ends while
  it is still fading out: through a pause it only goes down;
- quitting fades it out over ``STOP_FADE_SECONDS``.

When the session's frames come again, this standing bed crossfades (equal
power, ``CROSSFADE_SECONDS``) into the session's own bed, which goes on fading
in for what is left of ``fade`` and from then on is the render's, sample for
sample.  A session bed that jumps (a sentence
said again) crossfades the same way, so the bed never clicks.

The track is a function of the runs written (``session`` and ``standing``);
it logs its state at the start of each run, so that ``truncate`` (the
transport's rewind) puts it back exactly where the sink had played to.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from voiceguide.audio.bed import DUCK_RELEASE_SECONDS
from voiceguide.base import SAMPLE_RATE

SHORTEST_FADE_SECONDS = 0.01
"""A pause's fade (out, and back in on resuming) lasts at least this long: ``fade: 0s`` cuts without a click."""

ANSWER_ATTACK_SECONDS = 0.12
"""The bed ducks this fast under an answer (the session's cues are foreseen; a key's answer is not)."""

CROSSFADE_SECONDS = 1.0
"""The standing bed hands over to the session's own bed over this long (equal power)."""

STOP_FADE_SECONDS = 0.8
"""Quitting fades the bed out over this long (under "Stopping.")."""

Curve = npt.NDArray[np.float32]


@dataclass(frozen=True)
class Standing:
    """The bed while the session stands still."""

    position: int
    """The bed frame its next frame plays."""
    level_at: int
    """The session frame whose levels it keeps."""
    duck: float
    """The duck's phase, 0 (up) to 1 (down); the depth is a raised cosine of it."""
    fade: float
    """The pause's phase, 0 (at its level) to 1 (faded out: silent)."""
    stop: float
    """The quit's phase, 0 to 1 (silent)."""
    fade_frames: float
    """How long a whole fade out (a pause) or in (resuming) lasts: the sounding background's ``fade``."""


@dataclass(frozen=True)
class Fading:
    """A stretch of bed handing over to the next: frozen levels, fading out with ``done`` frames."""

    position: int
    level_at: int
    depth: float
    cap: float
    gain: float
    done: int


@dataclass(frozen=True)
class TrackState:
    bed_frame: int | None = None
    """The session frame the session's bed plays next (None before any session frame)."""
    standing: Standing | None = None
    rise: int | None = None
    """Frames into the sounding bed's crossfade in (None: fully in)."""
    fading: tuple[Fading, ...] = ()
    answer: float = 0.0
    """The phase of the session's bed's duck under an answer said over the session (in a hold)."""
    lift: float = 0.0
    """The pause's phase the session's bed is still fading in from after resuming (0: fully in)."""
    lift_frames: float = 1.0
    """How long its whole fade in lasts (``Standing.fade_frames``)."""


@dataclass(frozen=True)
class Run:
    """What is written: session frames from ``cursor``, or frames with the session standing at ``cursor``."""

    session: bool
    cursor: int
    paused: bool = False
    voiced: bool = False
    stopping: bool = False


@dataclass(frozen=True)
class Layer:
    """A stretch of bed to render for a run (``Mixer.render_bed``'s arguments)."""

    position: int
    level_at: int
    depth: float | Curve
    cap: float | Curve
    gain: float | Curve


def smooth(x: npt.NDArray[np.float64] | float) -> npt.NDArray[np.float64]:
    """A raised cosine from 0 to 1 over x in [0, 1]."""
    return np.asarray(0.5 - 0.5 * np.cos(np.pi * np.clip(x, 0.0, 1.0)))


def pause_cap(phase: npt.NDArray[np.float64] | float) -> npt.NDArray[np.float64]:
    """The bed's gain limit at a pause's ``phase``: from 1 to 0, equal power, as the bed's own fades."""
    return np.asarray(np.sin(0.5 * np.pi * (1.0 - np.clip(phase, 0.0, 1.0))))  # exactly 0 when out


class BedTrack:
    """The bed's course across pauses and answers, run by run, for the transport.

    ``depth_at(frame)``: how far down the session's bed is ducked at a session
    frame (``Mixer.bed_depth``); ``fade_at(frame)``: the ``fade`` of the
    background sounding there, in frames (``Mixer.bed_fade``).  ``written``:
    the sink's write position at the start.
    """

    def __init__(self, depth_at: Callable[[int], float], fade_at: Callable[[int], int], *, written: int = 0,
                 sample_rate: int = SAMPLE_RATE) -> None:
        self._depth_at = depth_at
        self._fade_at = fade_at
        self._written = written
        self.state = TrackState()
        self._log: list[tuple[int, TrackState, Run]] = []
        """(output frame, state before, run): where each run of like frames began."""
        rate = float(sample_rate)
        self._attack = ANSWER_ATTACK_SECONDS * rate
        self._release = DUCK_RELEASE_SECONDS * rate
        self._shortest_fade = float(round(SHORTEST_FADE_SECONDS * rate))
        self._cross = round(CROSSFADE_SECONDS * sample_rate)
        self._stop = STOP_FADE_SECONDS * rate

    # -- runs ---------------------------------------------------------------------

    def session(self, cursor: int, frames: int, *, voiced: bool = False,
                layers: bool = True) -> tuple[Curve | None, Curve | None, list[Layer]]:
        """Session frames from ``cursor`` (``voiced``: an answer said over them): the gain of the session's bed
        and its duck's depth (None: 1 and none), and the beds fading under it.

        ``layers`` False (no bed to render): the track only moves on.
        """
        state = self.state
        last = self._log[-1][2] if self._log else None
        if (not voiced and state.bed_frame == cursor and state.standing is None and state.rise is None
                and not state.fading and not state.answer and not state.lift
                and last is not None and last.session and not last.voiced):
            # The session's bed playing on as rendered (a render never leaves this): the same run goes on.
            self.state = TrackState(cursor + frames)
            self._written += frames
            return None, None, []
        run = Run(True, cursor, voiced=voiced)
        entered = self._write(run, frames)
        if not layers:
            return None, None, []
        gain = None if entered.rise is None else self._rise_curve(entered.rise, frames)
        if entered.lift > 0.0:
            k = np.arange(frames, dtype=np.float64)
            lift = pause_cap(entered.lift - k / entered.lift_frames).astype(np.float32)
            gain = lift if gain is None else gain * lift
        depth = None
        if voiced or entered.answer > 0.0:
            depth = smooth(self._duck_phases(entered.answer, voiced, frames)).astype(np.float32)
        return gain, depth, self._fading_layers(entered, frames)

    def standing(self, cursor: int, frames: int, *, paused: bool, voiced: bool, stopping: bool = False,
                 layers: bool = True) -> list[Layer]:
        """Frames with the session standing at ``cursor`` (``voiced``: an answer sounds): the beds to render."""
        run = Run(False, cursor, paused, voiced, stopping)
        entered = self._write(run, frames)
        standing = entered.standing
        assert standing is not None
        if not layers:
            return []
        k = np.arange(frames, dtype=np.float64)
        duck = self._duck_phases(standing.duck, voiced, frames, hold=paused)
        fade = np.clip(standing.fade + (k if paused else -k) / standing.fade_frames, 0.0, 1.0)
        gain = np.ones(frames) if entered.rise is None else self._rise_curve(entered.rise, frames).astype(np.float64)
        if stopping or standing.stop > 0.0:
            stop = np.clip(standing.stop + k / self._stop, 0.0, 1.0) if stopping else standing.stop
            gain = gain * (1.0 - smooth(stop))
        layer = Layer(standing.position, standing.level_at, smooth(duck).astype(np.float32),
                      pause_cap(fade).astype(np.float32), gain.astype(np.float32))
        return [layer, *self._fading_layers(entered, frames)]

    @property
    def silent(self) -> bool:
        """True when nothing of the bed still sounds after a quit (or nothing stands)."""
        state = self.state
        return (state.standing is None or state.standing.stop >= 1.0) and not state.fading

    # -- the sink's clock ---------------------------------------------------------

    def truncate(self, written: int) -> None:
        """Forget what was written from output frame ``written`` on (the sink's queue was dropped)."""
        while self._log and self._log[-1][0] >= written:
            start, before, _ = self._log.pop()
            self.state = before
        if self._log and self._written > written:
            start, before, run = self._log[-1]
            self.state = self._advance(self._enter(before, run), run, written - start)
        self._written = written

    def forget_played(self, out: int) -> None:
        """Drop the log of runs wholly before output frame ``out`` (played: never truncated into)."""
        drop = 0
        while drop + 1 < len(self._log) and self._log[drop + 1][0] <= out:
            drop += 1
        if drop:
            del self._log[:drop]

    # -- the state ----------------------------------------------------------------

    def _write(self, run: Run, frames: int) -> TrackState:
        """Log and apply ``run`` for ``frames``; returns the state at its start (after any handover)."""
        before = self.state
        entered = self._enter(before, run)
        last = self._log[-1][2] if self._log else None
        alike = last is not None and (last.session, last.paused, last.voiced, last.stopping) == (
            run.session, run.paused, run.voiced, run.stopping)
        if not alike or entered != before:  # a run goes on in closed form: one entry for all of it
            self._log.append((self._written, before, run))
        self.state = self._advance(entered, run, frames)
        self._written += frames
        return entered

    def _enter(self, state: TrackState, run: Run) -> TrackState:
        """The state as ``run`` begins: a standing bed starts where the session's bed was; the session's bed
        comes back (or jumps) with a crossfade; played from the middle (``--from``), it fades in over ``fade``, as
        at the start."""
        first = state.standing is None and state.bed_frame is None
        if first and run.cursor > 0 and state.rise is None and not state.lift:
            fade_frames = max(self._shortest_fade, float(self._fade_at(run.cursor)))
            state = dataclasses.replace(state, lift=1.0, lift_frames=fade_frames)
        if run.session:
            if state.standing is None and state.bed_frame in (None, run.cursor):
                return state
            out = self._outgoing(state)
            standing = state.standing
            answer = standing.duck if standing is not None else state.answer
            fading = (*state.fading, out) if out is not None else state.fading
            if standing is not None:  # the fade back in goes on in the session's bed
                return TrackState(run.cursor, None, 0, fading, answer, standing.fade, standing.fade_frames)
            return TrackState(run.cursor, None, 0, fading, answer, state.lift, state.lift_frames)
        if state.standing is not None:
            return state
        at = state.bed_frame if state.bed_frame is not None else run.cursor
        depth = min(1.0, max(0.0, self._depth_at(at)))
        phase = max(state.answer, math.acos(1.0 - 2.0 * depth) / math.pi)  # the duck's phase with that depth
        fade_frames = max(self._shortest_fade, float(self._fade_at(at)))
        standing = Standing(at, at, phase, state.lift, 0.0, fade_frames)  # a fade back in turns where it was
        return dataclasses.replace(state, standing=standing, answer=0.0, lift=0.0, lift_frames=1.0)

    def _outgoing(self, state: TrackState) -> Fading | None:
        """The sounding bed, frozen, as it starts fading out."""
        rise = 1.0 if state.rise is None else math.sin(0.5 * math.pi * min(1.0, state.rise / self._cross))
        standing = state.standing
        if standing is not None:
            gain = rise * (1.0 - float(smooth(standing.stop)))
            return Fading(standing.position, standing.level_at, float(smooth(standing.duck)),
                          float(pause_cap(standing.fade)), gain, 0)
        if state.bed_frame is None:
            return None
        depth = max(min(1.0, max(0.0, self._depth_at(state.bed_frame))), float(smooth(state.answer)))
        return Fading(state.bed_frame, state.bed_frame, depth, float(pause_cap(state.lift)), rise, 0)

    def _advance(self, state: TrackState, run: Run, frames: int) -> TrackState:
        """``state`` (entered) after ``frames`` of ``run``: closed form, so a rewind lands anywhere in a run."""
        rise = None if state.rise is None or state.rise + frames >= self._cross else state.rise + frames
        fading = tuple(dataclasses.replace(f, position=f.position + frames, done=f.done + frames) for f in state.fading
                       if f.done + frames < self._cross)
        if run.session:
            answer = self._duck_phase(state.answer, run.voiced, frames)
            lift = max(0.0, state.lift - frames / state.lift_frames)
            return TrackState(run.cursor + frames, None, rise, fading, answer, lift, state.lift_frames if lift else 1.0)
        standing = state.standing
        assert standing is not None
        duck = self._duck_phase(standing.duck, run.voiced, frames, hold=run.paused)
        fade = standing.fade + (frames if run.paused else -frames) / standing.fade_frames
        stop = standing.stop + frames / self._stop if run.stopping else standing.stop
        moved = Standing(standing.position + frames, standing.level_at, duck, min(1.0, max(0.0, fade)), min(1.0, stop),
                         standing.fade_frames)
        return TrackState(state.bed_frame, moved, rise, fading, state.answer)

    def _duck_phases(self, phase: float, voiced: bool, frames: int, *, hold: bool = False) -> npt.NDArray[np.float64]:
        """The duck's phase over ``frames`` from ``phase``: going down under an answer, else coming back (``hold``:
        else staying)."""
        k = np.arange(frames, dtype=np.float64)
        if hold and not voiced:
            return np.full(frames, phase)
        return np.clip(phase + k / self._attack if voiced else phase - k / self._release, 0.0, 1.0)

    def _duck_phase(self, phase: float, voiced: bool, frames: int, *, hold: bool = False) -> float:
        """``_duck_phases`` after ``frames``."""
        if hold and not voiced:
            return phase
        moved = phase + frames / self._attack if voiced else phase - frames / self._release
        return min(1.0, max(0.0, moved))

    def _rise_curve(self, rise: int, frames: int) -> Curve:
        x = np.minimum(1.0, (rise + np.arange(frames, dtype=np.float64)) / self._cross)
        curve: Curve = np.sin(0.5 * np.pi * x).astype(np.float32)
        return curve

    def _fading_layers(self, state: TrackState, frames: int) -> list[Layer]:
        layers = []
        for fading in state.fading:
            x = np.minimum(1.0, (fading.done + np.arange(frames, dtype=np.float64)) / self._cross)
            gain = (fading.gain * np.cos(0.5 * np.pi * x)).astype(np.float32)
            layers.append(Layer(fading.position, fading.level_at, fading.depth, fading.cap, gain))
        return layers
