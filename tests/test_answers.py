"""What the listener hears back: the short status that keeps a hold's time, and an answer to every command.

Against the fake output of ``test_player``: the played samples are compared
with the mixer's render, so "the release comes on time" is exact here; the
live test (``test_live``) measures the same from a recording.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from tests.fakes import FakeOutput, WallClockOutput, fake_measure
from tests.player_harness import (
    BLOCK,
    HERE,
    PLAYER_CLIPS,
    RATE,
    FakeSpeaker,
    feedback_audio,
    make_player,
    make_renderer,
    play_for,
    play_to_end,
)
from voiceguide.audio.mixer import Mixer
from voiceguide.base import Audio
from voiceguide.log.recorder import SessionRecorder
from voiceguide.log.store import read_log
from voiceguide.phrases import load_phrasebook, shipped_languages
from voiceguide.play.ask import ask_pain, pain_phrases
from voiceguide.play.commands import fixed_feedback
from voiceguide.play.frame_map import Feedback
from voiceguide.play.keymap import Command
from voiceguide.play.player import Player
from voiceguide.play.program import Program
from voiceguide.play.status import spoken_duration
from voiceguide.play.tracking import SessionTracking
from voiceguide.script.model import Press, Say, Script
from voiceguide.timeline.compiler import compile_timeline
from voiceguide.timeline.layout import Event, Timeline


def _render(timeline: Timeline) -> Audio:
    return Mixer(timeline.events, PLAYER_CLIPS, length=timeline.length).render(0, timeline.length)


def _cue(timeline: Timeline, cue: str, side: str | None = "left", nth: int = 0) -> Event:
    return [e for e in timeline.events if e.cue == cue and e.side == side][nth]


def test_status_in_a_hold_is_short_and_said_over_it_so_every_later_sample_is_on_time() -> None:
    player, output, speaker, timeline = make_player()
    press = _cue(timeline, "press")
    release = _cue(timeline, "release")
    play_for(player, output, press.end + RATE)
    at = output.position
    player.handle(Command.STATUS)
    said = speaker.said[-1]
    assert said == f"Left side, {spoken_duration(release.start - at)} left."
    play_for(player, output, 4 * BLOCK)
    # The hold's clock runs under the answer: the session frame is the output frame, and the screen
    # shows the answer as what is sounding.
    assert player.position() == output.position
    assert player.status().speaking == said
    assert Feedback(said) in player.poll()
    play_to_end(player, output)
    audio, rendered = output.audio(), _render(timeline)
    note = feedback_audio(said)
    assert np.array_equal(audio[:at], rendered[:at])
    assert np.array_equal(audio[at:at + len(note)], rendered[at:at + len(note)] + note)
    # Nothing after the answer moved: the release (and everything else) where the render has it.
    assert np.array_equal(audio[at + len(note):timeline.length], rendered[at + len(note):])
    assert player.transport.skipped_frames == 0


def test_status_asked_again_soon_in_a_hold_is_the_full_status() -> None:
    player, output, speaker, timeline = make_player()
    play_for(player, output, _cue(timeline, "press").end + RATE // 2)
    player.handle(Command.STATUS)
    play_for(player, output, RATE)
    player.handle(Command.STATUS)
    assert speaker.said[0].startswith("Left side, ")
    assert speaker.said[1].startswith("Neck point, left side. Point GB20.")
    assert "left in the session." in speaker.said[1]
    play_for(player, output, 7 * RATE)
    player.handle(Command.STATUS)  # later, and again in a hold (the right side's): short again
    assert not speaker.said[2].endswith("left in the session.")


def _long_hold_script() -> Script:
    return Script(
        title="Long hold",
        position=HERE,
        steps=(
            Say("Welcome.", HERE),
            Press(Fraction(20), HERE, point="LI4", side="right", prepare=Fraction(1), cue_every=Fraction(5),
                  rest=Fraction(1)),
            Say("Done.", HERE),
        ),
    )


def test_an_answer_that_runs_into_a_cue_is_given_back_from_the_holds_silence_before_the_release() -> None:
    timeline = compile_timeline(_long_hold_script(), fake_measure)
    output, speaker = FakeOutput(), FakeSpeaker()
    player = Player(Program.from_timeline(timeline), make_renderer, output, speaker)
    player.pump()
    remaining = [e for e in timeline.events if e.cue == "remaining"]
    release = _cue(timeline, "release", "right")
    first = remaining[0]
    play_for(player, output, first.start - RATE // 2)  # half a second before "15 seconds left."
    at = output.position
    player.handle(Command.STATUS)
    note = feedback_audio(speaker.said[-1])
    owed = len(note) - (first.start - at)
    assert owed > RATE // 2
    second = remaining[1]
    play_for(player, output, second.start - output.position)
    # The frame map follows: once the time is given back, the session frame is the output frame again.
    assert player.position() == output.position >= second.start
    play_to_end(player, output)
    audio, rendered = output.audio(), _render(timeline)
    # Said over the hold up to the cue; the cue waits for the rest of the answer...
    assert np.array_equal(audio[at:first.start], rendered[at:first.start] + note[:first.start - at])
    assert np.array_equal(audio[first.start + owed:first.end + owed], rendered[first.start:first.end])
    # ... and as much silence is skipped after it: the next cue and the release are on time.
    assert player.transport.skipped_frames == owed
    assert np.array_equal(audio[second.start:timeline.length], rendered[second.start:])
    assert release.start > second.start


def test_the_redundant_commands_are_answered_and_change_nothing() -> None:
    player, output, speaker, timeline = make_player()
    welcome = next(e for e in timeline.events if e.text == "Welcome.")
    play_for(player, output, welcome.start + 2 * BLOCK)
    player.handle(Command.CONTINUE)  # "continue" while playing
    assert speaker.said[-1] == "Already playing." and not player.paused
    player.handle(Command.PAUSE_ONLY)  # "pause"
    assert speaker.said[-1] == "Paused." and player.paused
    player.handle(Command.PAUSE_ONLY)  # "pause" while paused
    assert speaker.said[-1] == "Already paused." and player.paused
    player.handle(Command.CONTINUE)
    assert speaker.said[-1].startswith("Resuming.") and not player.paused
    play_to_end(player, output)


def test_continue_said_during_a_hold_is_answered_over_it() -> None:
    player, output, speaker, timeline = make_player()
    play_for(player, output, _cue(timeline, "press").end + RATE)
    at = output.position
    player.handle(Command.CONTINUE)
    play_to_end(player, output)
    note = feedback_audio("Already playing.")
    audio, rendered = output.audio(), _render(timeline)
    assert np.array_equal(audio[at:at + len(note)], rendered[at:at + len(note)] + note)
    assert np.array_equal(audio[at + len(note):timeline.length], rendered[at + len(note):])


def test_resuming_before_the_press_says_what_is_next_not_the_steps_total() -> None:
    player, output, speaker, timeline = make_player()
    announce = _cue(timeline, "announce")
    play_for(player, output, announce.end + BLOCK)  # after the announcement, before "Press now."
    player.handle(Command.PAUSE)
    player.handle(Command.PAUSE)
    assert speaker.said[-1] == "Resuming. Neck point, left side. Next, press for ten seconds."


def test_resuming_in_the_announcement_leaves_the_side_to_it() -> None:
    player, output, speaker, timeline = make_player()
    announce = _cue(timeline, "announce", "right")
    assert announce.text is not None and announce.text.startswith("Right side.")
    play_for(player, output, announce.start + 2 * BLOCK)
    player.handle(Command.PAUSE)
    player.handle(Command.PAUSE)
    assert speaker.said[-1] == "Resuming."  # then "Right side. GB20." again, whole: the side said once
    at = output.position
    play_to_end(player, output)
    note = feedback_audio("Resuming.")
    rendered = _render(timeline)
    again = output.audio()[at + len(note):]
    assert np.array_equal(again[:announce.length], rendered[announce.start:announce.end])


@pytest.mark.parametrize("language", shipped_languages())
def test_every_answer_is_written_in_every_shipped_language(language: str) -> None:
    english = set(fixed_feedback(load_phrasebook("en")))
    answers = fixed_feedback(load_phrasebook(language))
    assert len(set(answers)) == len(answers)  # no two answers the same words
    book = load_phrasebook(language)
    for key in ("already_paused", "already_playing", "volume_full", "volume_lowest", "next_side", "first_step",
                "status_hold_side", "resuming_before_press", "resuming_short", "pain_safety"):
        text = book.fill(key, side=book.fill("left_side"), time=book.duration(40), place="x")
        assert text.strip() and "{" not in text
        if language != "en":
            assert book.say(key, side="x", time="y", place="z") not in english, f"{language}: {key} is English"


# -- the pain questions: a safety sentence when the pain rises -------------------------


def _ask_after(language: str, key: str, before: int | None) -> list[str]:
    output = WallClockOutput()
    spoken: list[str] = []
    phrases = pain_phrases(load_phrasebook(language))

    def speak(text: str) -> Audio:
        spoken.append(text)
        return np.full(600, 0.5, dtype=np.float32)

    keys = [None, key]
    ask_pain(phrases.after, phrases, output, speak, lambda timeout: keys.pop(0) if keys else None,  # type: ignore[arg-type]
             sample_rate=1000, silence_seconds=5.0, before=before, after_session=True)
    assert output.queued == []  # the safety sentence too has been played out
    # The reply and the safety sentence played whole (a quick key may cut the question short).
    assert np.count_nonzero(np.concatenate(output.heard)) >= 600 * (len(spoken) - 1)
    return spoken


@pytest.mark.parametrize("language", shipped_languages())
def test_pain_higher_after_the_session_gets_the_safety_sentence_in_every_language(language: str) -> None:
    book = load_phrasebook(language)
    phrases = pain_phrases(book)
    spoken = _ask_after(language, "t", before=7)
    assert spoken == [phrases.after, book.say("pain_answer", n=10), book.say("pain_safety")]
    assert len(phrases.safety) > 60 and (language == "en") == (phrases.safety == pain_phrases(
        load_phrasebook("en")).safety)


@pytest.mark.parametrize(("key", "before", "care"), [
    ("5", 3, True), ("5", 5, False), ("2", 6, False), ("8", 9, True), ("7", None, False), ("8", None, True),
])
def test_the_safety_sentence_comes_when_the_pain_rose_or_is_8_and_above(key: str, before: int | None,
                                                                         care: bool) -> None:
    spoken = _ask_after("en", key, before)
    assert (spoken[-1] == load_phrasebook("en").say("pain_safety")) == care
    assert len(spoken) == (3 if care else 2)


def test_the_question_before_the_session_never_gets_it_and_its_answer_reaches_the_one_after() -> None:
    phrases = pain_phrases(load_phrasebook("en"))
    assert not phrases.needs_care(None, 3)
    asked: list[tuple[str, int | None]] = []

    def answering(answer: int) -> Callable[[str, int | None], int]:
        def ask(question: str, before: int | None) -> int:
            asked.append((question, before))
            return answer
        return ask

    tracking = SessionTracking(None, phrases, print, lambda: 1.0)
    tracking.before(answering(4))
    tracking.after(answering(6), quit=False)
    assert asked == [(phrases.before, None), (phrases.after, 4)]


def test_done_counts_from_where_play_from_began(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICEGUIDE_DATA_DIR", str(tmp_path))
    timeline = compile_timeline(_long_hold_script(), fake_measure)
    start = [s for s in timeline.spans if s.kind == "press"][0].start
    output = FakeOutput()
    player = Player(Program.from_timeline(timeline), make_renderer, output, FakeSpeaker(), start_frame=start)
    player.pump()
    while not player.done:
        play_for(player, output, BLOCK)
        player.poll()  # counts what was heard
    recorder = SessionRecorder(session="S", script="s.yaml", script_sha256="0" * 64)
    tracking = SessionTracking(recorder, None, print, lambda: 1.0)
    tracking.start()
    tracking.after(None, quit=False)
    tracking.finish(Program.from_timeline(timeline), player, RATE)
    (record,) = read_log().records
    assert record.planned_seconds == pytest.approx((timeline.length - start) / RATE, abs=1e-3)
    assert record.completed == 1.0 and record.ended == "done"


def test_an_answer_in_a_hold_waits_for_the_sentence_sounding_instead_of_cutting_it() -> None:
    player, output, speaker, timeline = make_player()
    press = _cue(timeline, "press")
    release = _cue(timeline, "release")
    play_for(player, output, press.start + 2 * BLOCK)  # "Press now." is sounding
    player.handle(Command.STATUS)
    said = speaker.said[-1]
    assert said == f"Left side, {spoken_duration(release.start - press.end)} left."  # the time left when said
    play_to_end(player, output)
    audio, rendered = output.audio(), _render(timeline)
    note = feedback_audio(said)
    assert np.array_equal(audio[:press.end], rendered[:press.end])  # "Press now." whole, once
    assert np.array_equal(audio[press.end:press.end + len(note)], rendered[press.end:press.end + len(note)] + note)
    assert np.array_equal(audio[press.end + len(note):timeline.length], rendered[press.end + len(note):])


def test_a_long_sentence_in_a_hold_is_cut_by_the_answer_and_its_time_given_back() -> None:
    guidance = "Let your breath be slow and easy while you press, and feel the warmth under your thumb."
    script = Script(title="Guided hold", position=HERE, steps=(
        Press(Fraction(30), HERE, point="LI4", side="left", prepare=Fraction(1), say=guidance, rest=Fraction(1)),
        Say("Done.", HERE),
    ))
    timeline = compile_timeline(script, fake_measure)
    output, speaker = FakeOutput(), FakeSpeaker()
    player = Player(Program.from_timeline(timeline), make_renderer, output, speaker)
    player.pump()
    say = next(e for e in timeline.events if e.text == guidance)
    release = _cue(timeline, "release")
    play_for(player, output, say.start + RATE // 2)
    at = output.position
    assert say.end - at > 2 * RATE
    player.handle(Command.STATUS)
    note = feedback_audio(speaker.said[-1])
    assert speaker.said[-1] == f"Left side, {spoken_duration(release.start - at)} left."
    play_to_end(player, output)
    audio, rendered = output.audio(), _render(timeline)
    # The answer at once (not after the sentence's 4 s), then the sentence again, whole...
    assert np.array_equal(audio[at:at + len(note)], note)
    again = at + len(note)
    assert np.array_equal(audio[again:again + say.length], rendered[say.start:say.end])
    # ... and the answer and the repeated part are skipped from the hold's silence: the release on time.
    assert player.transport.skipped_frames == len(note) + at - say.start
    assert np.array_equal(audio[release.start:timeline.length], rendered[release.start:])


def test_restarting_a_hold_after_an_answer_gives_it_its_whole_time_again() -> None:
    timeline = compile_timeline(_long_hold_script(), fake_measure)
    output, speaker = FakeOutput(), FakeSpeaker()
    player = Player(Program.from_timeline(timeline), make_renderer, output, speaker)
    player.pump()
    first = [e for e in timeline.events if e.cue == "remaining"][0]
    play_for(player, output, first.start - RATE // 2)
    player.handle(Command.STATUS)  # runs into the cue: time is owed
    play_for(player, output, 2 * RATE)
    player.handle(Command.RESTART)  # back to the step's start: nothing is owed any more
    play_to_end(player, output)
    assert player.transport.skipped_frames == 0
