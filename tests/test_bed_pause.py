"""The bed across a live pause, against a fake output: it fades down and back, flows on, and the session is exact.

The bed here is a table of seeded noise read at the bed frame (stateless, as
the real sounds are), so the gain the player put on it at any moment can be
measured exactly: the bed's samples divided by the table's at the bed frame
they should come from.  A wrong bed position (a looped slice, a jump) shows as
no fit at all.  The live test with real audio is in ``test_bed_pause_live.py``.
"""

from __future__ import annotations

import dataclasses
import math
import random
from fractions import Fraction

import numpy as np
import numpy.typing as npt
import pytest

from tests.fakes import FakeOutput, fake_measure
from tests.player_harness import (
    BLOCK,
    PLAYER_CLIPS,
    RATE,
    FakeSpeaker,
    feedback_audio,
    play_for,
    play_to_end,
    player_timeline,
)
from voiceguide.audio.bed import DUCK_RELEASE_SECONDS, Bed, BedSource, BedSpan, plan_spans
from voiceguide.audio.mixer import CENTRE_GAIN, Layout, Mixer
from voiceguide.audio.soundstage import BackgroundChoice, Soundstage
from voiceguide.base import Audio
from voiceguide.play.bed_track import (
    CROSSFADE_SECONDS,
    SHORTEST_FADE_SECONDS,
    STOP_FADE_SECONDS,
    BedTrack,
    TrackState,
)
from voiceguide.play.keymap import Command
from voiceguide.play.player import Player
from voiceguide.play.program import Program, Snapshot
from voiceguide.play.program_view import Renderer
from voiceguide.script.model import Background, Position
from voiceguide.script.parse import parse_script
from voiceguide.timeline.compiler import iter_timeline
from voiceguide.timeline.layout import BedChange

BED_GAIN = 0.1
DUCK = 0.5
WINDOW = 64
"""Samples per gain estimate (the gains move far slower)."""
TABLE = np.random.default_rng(21).standard_normal(7 * RATE).astype(np.float32)


class TableBed:
    """A ``BedSource``: seeded noise read at the frame (each channel from another place in the table)."""

    def render(self, start: int, frames: int, channels: int) -> npt.NDArray[np.float32]:
        return np.stack([source_samples(start, frames, channel) for channel in range(channels)])

    def peak_bound(self, channels: int) -> float:
        return float(np.abs(TABLE).max())


def source_samples(start: int, frames: int, channel: int = 0) -> npt.NDArray[np.float32]:
    return TABLE[(start + 7919 * channel + np.arange(frames)) % len(TABLE)]


def bed_renderer(channels: int, fade_seconds: float = 4.0):  # type: ignore[no-untyped-def]
    """A bed of the table from the start, at full level at once, whose background's ``fade`` is ``fade_seconds``."""
    def make(snapshot: Snapshot) -> Renderer:
        span = BedSpan(TableBed(), 0, 2**62, 0, 0, BED_GAIN, DUCK, round(fade_seconds * RATE))
        bed = Bed([span], snapshot.events, channels)
        return Mixer(snapshot.events, PLAYER_CLIPS, length=snapshot.ready_until,
                     layout=Layout(channels=channels, bed=bed))
    return make


class MarkingOutput(FakeOutput):
    """A fake output with ``channels``, remembering which blocks the transport marked as our voice."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.channels = channels
        self.marks: list[tuple[int, int, bool]] = []
        self._written = 0

    def write_marked(self, block: Audio, voiced: bool) -> None:
        self.marks.append((self._written, self._written + len(block), voiced))
        self._written += len(block)
        self.write(block)

    def discard(self) -> int:
        dropped = super().discard()
        self._written -= dropped
        self.marks = [(a, min(b, self._written), v) for a, b, v in self.marks if a < self._written]
        return dropped


def bed_player(channels: int, fade_seconds: float = 4.0) -> tuple[Player, MarkingOutput, FakeSpeaker, Mixer]:
    timeline = player_timeline()
    output = MarkingOutput(channels)
    speaker = FakeSpeaker()
    make = bed_renderer(channels, fade_seconds)
    player = Player(Program.from_timeline(timeline), make, output, speaker)
    player.pump()
    render = make(Program.from_timeline(timeline).snapshot())
    assert isinstance(render, Mixer)
    return player, output, speaker, render


def first_channel(audio: Audio) -> npt.NDArray[np.float64]:
    return (audio[:, 0] if audio.ndim == 2 else audio).astype(np.float64)


def spoken(text: str, channels: int) -> npt.NDArray[np.float64]:
    """The feedback as the output carries it in the first channel (centred in stereo)."""
    clip = feedback_audio(text).astype(np.float64)
    return clip * CENTRE_GAIN if channels > 1 else clip


def gains(bed: npt.NDArray[np.float64], bed_frame: int) -> tuple[npt.NDArray[np.float64], float]:
    """The gain on the table in each window of ``bed`` (read from ``bed_frame`` on), and the worst misfit."""
    windows = len(bed) // WINDOW
    source = source_samples(bed_frame, windows * WINDOW).astype(np.float64).reshape(windows, WINDOW)
    got = bed[:windows * WINDOW].reshape(windows, WINDOW)
    fit = np.sum(got * source, axis=1) / np.sum(source * source, axis=1)
    misfit = float(np.max(np.sqrt(np.sum((got - fit[:, None] * source) ** 2, axis=1) / np.sum(got**2, axis=1))))
    return fit / BED_GAIN, misfit


def equal_power_in(frames: int | npt.NDArray[np.float64], fade_frames: float) -> npt.NDArray[np.float64]:
    """The spec's fade in over ``fade`` (the bed's own fades' shape): sin(x·π/2); out is the same read backwards."""
    return np.sin(0.5 * np.pi * np.clip(np.asarray(frames, dtype=np.float64) / fade_frames, 0.0, 1.0))


@pytest.mark.parametrize(("channels", "fade_seconds"), [(1, 4.0), (2, 4.0), (2, 2.0), (1, 0.0)])
def test_a_pause_fades_the_bed_out_over_its_fade_keeps_it_flowing_and_resuming_fades_it_back_in(
        channels: int, fade_seconds: float) -> None:
    """Spec: a background's ``fade`` (default 4 s) fades it "out ... around a pause": fully out, and back in."""
    fade = max(round(fade_seconds * RATE), round(SHORTEST_FADE_SECONDS * RATE))
    player, output, speaker, render = bed_player(channels, fade_seconds)
    timeline = player_timeline()
    play_for(player, output, 40 * BLOCK)
    cut = output.position  # the session frame reached
    player.handle(Command.PAUSE)
    paused_frames = (fade // BLOCK + 90) * BLOCK  # the whole fade and about 1 s more
    play_for(player, output, paused_frames)
    player.handle(Command.PAUSE)
    resume_text = speaker.said[-1]
    play_to_end(player, output)
    audio = output.audio()
    rendered = render.render(0, timeline.length)
    assert np.array_equal(audio[:cut], rendered[:cut])
    assert np.abs(audio).max() < 1.0  # the answers over the bed are never clipped

    # The pause: "Paused." over the bed, which flows on from the cut (the table read on from there), whole.
    pause = first_channel(audio[cut:cut + paused_frames])
    answer = spoken("Paused.", channels)
    pause[:len(answer)] -= answer
    t = np.arange(len(pause) // WINDOW) * WINDOW + WINDOW / 2
    out_curve = equal_power_in(fade - t, fade)
    level, _ = gains(pause[:fade], cut)
    assert gains(pause[:max(fade // 2, WINDOW)], cut)[1] < 0.01  # (where it is still loud enough to fit well)
    depth = render.bed_depth(cut)
    assert level[0] == pytest.approx(1 - (1 - DUCK) * depth, rel=0.02)  # where the session's bed was: no step
    assert np.diff(level).max() < 1e-3  # going out, never coming back up when "Paused." ends
    assert np.all(level <= out_curve[:len(level)] + 0.01)  # never above the fade
    # Under "Paused." the bed ducks; it stays there through the pause, and goes out on the fade's own curve.
    said = len(answer) // WINDOW
    if said < len(level):
        assert level[said:] == pytest.approx(np.minimum(DUCK, out_curve[said:len(level)]), abs=0.01)
    assert level[len(level) // 2] > 0.3 if fade_seconds >= 2 else len(level) <= 4  # a fade over ``fade``
    assert np.abs(pause[fade:]).max() < 1e-6  # then fully out: silence for the rest of the pause,
    assert not audio[cut + max(fade + 1, len(answer)):cut + paused_frames].any()  # exactly once "Paused." is over

    # Resuming: the answer over the bed, which fades back in from silence, ducked under the answer.
    resume = spoken(resume_text, channels)
    back = first_channel(audio[cut + paused_frames:cut + paused_frames + len(resume)]) - resume
    shown = min(len(back), max(fade, 8 * WINDOW))  # (a cut: where the bed is already back under the answer)
    level, _ = gains(back[WINDOW:shown], cut + paused_frames + WINDOW)
    assert gains(back[shown // 2:shown], cut + paused_frames + shown // 2)[1] < 0.01
    t = np.arange(len(level)) * WINDOW + 1.5 * WINDOW
    assert np.all(level <= equal_power_in(t, fade) + 0.01) and np.diff(level).min() > -1e-3
    rising = level < DUCK - 0.02  # not yet held down by the answer's duck: the fade's own curve
    assert level[rising] == pytest.approx(equal_power_in(t[rising], fade), abs=0.01)
    assert level[-1] == pytest.approx(min(DUCK, float(equal_power_in(t[-1], fade))), abs=0.01)

    # Then the session from the start of the sentence the pause cut, its own bed fading in for what is
    # left of ``fade`` and taking over from the pause's bed (equal power over ``CROSSFADE_SECONDS``); from
    # then on exactly the render: the timeline is the render's, delayed by the pause.
    sentence = next((e.start for e in timeline.events if e.kind == "speech" and e.start < cut < e.end), cut)
    again = cut + paused_frames + len(resume)
    cross = round(CROSSFADE_SECONDS * RATE)
    settle = max(cross, fade - len(resume))
    tail = audio[again + settle:]
    assert len(tail) == timeline.length - sentence - settle
    assert np.array_equal(tail, rendered[sentence + settle:])
    k = np.arange(settle)
    session_gain = (equal_power_in(k, cross) * equal_power_in(len(resume) + k, fade)).astype(np.float32)
    session_part = render.render(sentence, settle, bed_gain=session_gain)
    fading = first_channel(audio[again:again + settle] - session_part)
    assert np.abs(fading[cross:]).max(initial=0.0) < 1e-5  # the session's bed fades in over ``fade``, to the sample
    level, _ = gains(fading[:cross], again)
    assert gains(fading[:cross // 2], again)[1] < 0.01  # (where it is still loud enough to fit well)
    assert level[0] == pytest.approx(min(DUCK, float(equal_power_in(len(resume), fade))), rel=0.05)
    assert level[-1] < 0.01 and np.diff(level).max() < 1e-3
    # The handover is gradual: the bed's power moves little from one 46-ms window to the next.
    window = 1024
    span = (cross // window + 2) * window
    crossing = first_channel(audio[again - window:again - window + span])
    voice = np.concatenate([np.zeros(window), first_channel(render.render(
        sentence, span - window, bed_gain=np.zeros(span - window, np.float32)))])
    power = 10 * np.log10(np.mean((crossing - voice).reshape(-1, window) ** 2, axis=1))
    assert np.max(np.abs(np.diff(power))) < 1.5


def test_answers_in_a_pause_sound_over_the_fading_bed_are_marked_as_our_voice_and_quitting_fades_it_out() -> None:
    player, output, speaker, render = bed_player(2, fade_seconds=20.0)  # (a long fade: still sounding at the end)
    play_for(player, output, 40 * BLOCK)
    cut = output.position
    player.handle(Command.PAUSE)
    play_for(player, output, 2 * RATE)
    asked = output.position
    player.handle(Command.STATUS)
    answer = spoken(speaker.said[-1], 2)
    play_for(player, output, len(answer) + 86 * BLOCK)
    quit_at = output.position
    player.handle(Command.QUIT)
    play_to_end(player, output)
    audio = output.audio()

    under = first_channel(audio[asked:asked + len(answer)]) - answer
    level, misfit = gains(under, asked)  # the bed flowed on through the pause, one frame per frame
    assert misfit < 0.01
    # Under the answer the bed stays ducked as "Paused." left it, the fade out still above that: the deeper wins.
    assert level == pytest.approx(DUCK, rel=0.02)
    voiced = [(a, b) for a, b, v in output.marks if v]
    for a, b, v in output.marks:
        if a >= cut:  # in the pause, exactly the blocks that hold an answer are our voice
            holds_answer = a < cut + len(spoken("Paused.", 2)) or (a < asked + len(answer) and b > asked) or (
                b > quit_at)
            assert v == holds_answer, (a, b, v)
    assert voiced

    # "Stopping." fades the bed out: the end is silent, and the stream ends with it.
    stop = spoken("Stopping.", 2)
    assert len(stop) > STOP_FADE_SECONDS * RATE  # faded out under the answer: the end comes no later
    ending = first_channel(audio[quit_at:])
    assert len(ending) == len(stop)
    ending -= stop
    assert not ending[round(STOP_FADE_SECONDS * RATE):].any()
    fade = round(STOP_FADE_SECONDS * RATE)
    level, _ = gains(ending[:fade], quit_at)  # the bed frame is the output's here
    assert gains(ending[:fade // 2], quit_at)[1] < 0.01  # (where the bed is still loud enough to fit well)
    assert np.diff(level).max() < 1e-3 and level[-1] < 0.01


def test_an_answer_in_a_hold_ducks_the_sessions_bed_and_every_later_sample_is_the_render() -> None:
    player, output, speaker, render = bed_player(2)
    timeline = player_timeline()
    press = next(e for e in timeline.events if e.cue == "press" and e.side == "left")
    play_for(player, output, press.end + RATE)
    at = output.position
    player.handle(Command.STATUS)
    play_to_end(player, output)
    audio = output.audio()
    rendered = render.render(0, timeline.length)
    answer = spoken(speaker.said[-1], 2)
    assert np.array_equal(audio[:at], rendered[:at])
    # Said over the hold, whose clock runs (the bed frame is the session frame, the output's here):
    # the bed goes down under it as under any voice, and comes back after it.
    level, misfit = gains(first_channel(audio[at:at + len(answer)]) - answer, at)
    assert misfit < 0.01 and level[0] == pytest.approx(1.0, rel=0.05)
    assert level[len(level) // 2:] == pytest.approx(DUCK, rel=0.01)
    after = round(DUCK_RELEASE_SECONDS * RATE)
    level, _ = gains(first_channel(audio[at + len(answer):at + len(answer) + after]), at + len(answer))
    assert level[0] == pytest.approx(DUCK, rel=0.05) and level[-1] == pytest.approx(1.0, rel=0.01)
    assert np.diff(level).min() > -1e-3
    # Then nothing has moved: the render, sample for sample, to the end.
    assert np.array_equal(audio[at + len(answer) + after:], rendered[at + len(answer) + after:])


def test_played_from_the_middle_the_bed_fades_in_then_it_is_the_render() -> None:
    timeline = player_timeline()
    start = next(s.start for s in timeline.spans if s.kind == "press")
    output = MarkingOutput(1)
    make = bed_renderer(1)
    player = Player(Program.from_timeline(timeline), make, output, FakeSpeaker(), start_frame=start)
    player.pump()
    play_to_end(player, output)
    render = make(Program.from_timeline(timeline).snapshot())
    assert isinstance(render, Mixer)
    audio = output.audio()
    fade = 4 * RATE  # the background's fade: in over it, as at the start (spec), not at full level at once
    voice = render.render(start, fade, bed_gain=np.zeros(fade, np.float32))
    bed = first_channel(audio[:fade] - voice)
    level, _ = gains(bed, start)
    assert gains(bed[fade // 2:], start + fade // 2)[1] < 0.01
    expected = equal_power_in(np.arange(len(level)) * WINDOW + WINDOW / 2, fade)
    assert level == pytest.approx(expected * (1 - (1 - DUCK) * np.array(
        [render.bed_depth(start + i * WINDOW + WINDOW // 2) for i in range(len(level))])), abs=0.01)
    rest = timeline.length - start - fade
    assert np.array_equal(audio[fade:fade + rest], render.render(start + fade, rest))


def test_without_a_bed_a_pause_is_silence_as_before() -> None:
    timeline = player_timeline()
    output = MarkingOutput(1)
    player = Player(Program.from_timeline(timeline),
                    lambda s: Mixer(s.events, PLAYER_CLIPS, length=s.ready_until), output, FakeSpeaker())
    player.pump()
    play_for(player, output, 40 * BLOCK)
    cut = output.position
    player.handle(Command.PAUSE)
    play_for(player, output, 2 * RATE)
    audio = output.audio()
    paused = feedback_audio("Paused.")
    assert np.array_equal(audio[cut:cut + len(paused)], paused)
    assert not audio[cut + len(paused):].any()


def _close(a: TrackState, b: TrackState) -> bool:
    def flat(state: TrackState) -> list[float]:
        values: list[float] = []
        for value in dataclasses.astuple(state):
            stack = [value]
            while stack:
                item = stack.pop()
                if isinstance(item, tuple):
                    stack.extend(item)
                elif item is not None:
                    values.append(float(item))
        return values
    x, y = flat(a), flat(b)
    return len(x) == len(y) and all(math.isclose(p, q, rel_tol=1e-9, abs_tol=1e-9) for p, q in zip(x, y, strict=True))


def test_a_rewind_puts_the_track_back_exactly_where_the_sink_played_to() -> None:
    rng = random.Random(21)
    for _ in range(30):
        runs = []
        cursor = 0
        for _ in range(rng.randint(2, 12)):
            frames = rng.randint(1, 3000)
            if rng.random() < 0.5:
                cursor = cursor if rng.random() < 0.7 else rng.randint(0, 50_000)
                runs.append((True, cursor, frames, False, False))
                cursor += frames
            else:
                runs.append((False, cursor, frames, rng.random() < 0.5, rng.random() < 0.5))

        def feed(track: BedTrack, upto: int, runs: list[tuple[bool, int, int, bool, bool]] = runs) -> None:
            written = 0
            for session, at, frames, paused, voiced in runs:
                take = min(frames, upto - written)
                if take <= 0:
                    return
                if session:
                    track.session(at, take, layers=False)
                else:
                    track.standing(at, take, paused=paused, voiced=voiced, layers=False)
                written += take

        total = sum(r[2] for r in runs)
        cut = rng.randint(0, total)
        whole = BedTrack(lambda frame: (frame % 7) / 7, lambda frame: (frame % 5) * 1000)
        feed(whole, total)
        whole.forget_played(rng.randint(0, cut))
        whole.truncate(cut)
        part = BedTrack(lambda frame: (frame % 7) / 7, lambda frame: (frame % 5) * 1000)
        feed(part, cut)
        assert _close(whole.state, part.state), (runs, cut)


class _Sources:
    """A ``SourceFactory``: the table for every sound."""

    def source(self, change: BedChange) -> tuple[BedSource, float]:
        return TableBed(), BED_GAIN


def test_a_pause_fades_over_the_fade_of_the_background_sounding_where_it_stands() -> None:
    """The top level's ``fade`` until a ``background:`` step, then that step's; after ``off``, the last sound's."""
    here = Position("test.yaml", 1, 1)
    changes = [BedChange(0, Background("rain", here, fade=Fraction(3))),
               BedChange(10 * RATE, Background("waves", here, fade=Fraction(1, 2))),
               BedChange(20 * RATE, Background("wind", here, fade=Fraction(0))),
               BedChange(30 * RATE, None)]
    bed = Bed(plan_spans(changes, 40 * RATE, True, _Sources()), [], 2)
    fades = [bed.fade_at(round(seconds * RATE)) for seconds in (0, 9.9, 10, 10.2, 25, 30.1, 39)]
    assert fades == [3 * RATE, 3 * RATE, RATE // 2, RATE // 2, 0, 0, 0]


@pytest.mark.parametrize(("top", "chosen", "expected"), [
    ("", "rain", [4.0, 1.0]),  # --background alone: the default fade, until the step's
    ("background: {sound: wind, fade: 2s}\n", "rain", [2.0, 1.0]),  # --background keeps the script's fade
    ("background: {sound: wind, fade: 2s}\n", None, [2.0, 1.0]),
])
def test_the_fade_a_live_pause_uses_is_the_sounding_backgrounds_as_the_script_and_command_line_set_it(
        top: str, chosen: str | None, expected: list[float]) -> None:
    source = f"voiceguide: 1\ntitle: Fades\n{top}steps:\n  - pause: 10s\n" \
             "  - background: {sound: waves, fade: 1s}\n  - pause: 10s\n"
    parsed = parse_script(source, "fades.yaml")
    assert parsed.script is not None, [d.format() for d in parsed.diagnostics]
    plans = list(iter_timeline(parsed.script, fake_measure))
    events = [event for plan in plans for event in plan.events]
    beds = [plan.bed for plan in plans if plan.bed is not None]
    length = max(plan.span.end for plan in plans)
    choice = BackgroundChoice(sound=Background(chosen, Position("--background", 1, 1)) if chosen else None)
    stage = Soundstage(parsed.script, choice, cache_dir=None)
    mixer = Mixer(events, PLAYER_CLIPS, length=length, layout=stage.layout(events, beds, length, True))
    changed = beds[0].start
    assert [mixer.bed_fade(changed - RATE), mixer.bed_fade(changed + RATE)] == [round(s * RATE) for s in expected]
