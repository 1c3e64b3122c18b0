"""The live player's logic against a fake output: exact pause/resume, skip, restart, volume, quit.

``FakeOutput`` implements ``sinks.Sink``: it consumes whole blocks when the
test advances it, and keeps every consumed sample, so a test can check the
played audio against the mixer's render of the session, sample for sample.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator

import numpy as np
import pytest

from tests.fakes import FakeOutput, fake_measure
from tests.player_harness import (
    BLOCK,
    GAP,
    HERE,
    PLAYER_CLIPS,
    RATE,
    FakeSpeaker,
    feedback_audio,
    make_player,
    make_renderer,
    play_for,
    play_to_end,
    player_script,
    player_timeline,
    render_fake,
)
from voiceguide.audio.mixer import Mixer
from voiceguide.base import clock
from voiceguide.play.frame_map import Feedback
from voiceguide.play.keymap import KEY_COMMANDS, Command
from voiceguide.play.player import Player
from voiceguide.play.program import Program, Snapshot, find_start_point
from voiceguide.play.status import PlayState, resume_text, spoken_duration, status_at, status_text
from voiceguide.script.model import Repeat, Say, Script, Section
from voiceguide.timeline.compiler import compile_timeline, iter_timeline
from voiceguide.timeline.layout import Event, StepPlan


def find_start(snapshot: Snapshot, *, step: str | None = None, section: str | None = None) -> int:
    """The frame where ``--from STEP`` or ``--from-section NAME`` starts in a complete layout."""
    return find_start_point(snapshot, step=step, section=section).frame(snapshot)


# ---------------------------------------------------------------------------


def test_uninterrupted_playback_is_the_render_sample_for_sample() -> None:
    player, output, speaker, timeline = make_player()
    play_to_end(player, output)
    audio = output.audio()
    assert np.array_equal(audio[:timeline.length], render_fake(timeline))
    assert not audio[timeline.length:].any()
    assert speaker.said == []
    assert player.status().finished


def test_pause_delays_everything_after_by_the_pause_plus_the_reannouncement() -> None:
    player, output, speaker, timeline = make_player()
    play_for(player, output, 40 * BLOCK)
    cut = output.position  # the session frame reached: nothing before it was a key
    player.handle(Command.PAUSE)
    assert player.paused
    paused_frames = 300 * BLOCK
    play_for(player, output, paused_frames)
    player.handle(Command.PAUSE)
    assert not player.paused
    announcement = speaker.said[-1]
    assert announcement.startswith("Resuming. ")
    play_to_end(player, output)

    audio = output.audio()
    rendered = render_fake(timeline)
    assert np.array_equal(audio[:cut], rendered[:cut])
    # "Paused." starts exactly at the cut; the pause lasts until the resume key.
    paused = feedback_audio("Paused.")
    assert np.array_equal(audio[cut:cut + len(paused)], paused)
    assert not audio[cut + len(paused):cut + paused_frames].any()
    resume = feedback_audio(announcement)
    at = cut + paused_frames
    assert np.array_equal(audio[at:at + len(resume)], resume)
    # Then the session from the start of the sentence the pause cut: nothing lost, and the
    # cut sentence said whole again.
    sentence = next(e for e in timeline.events if e.kind == "speech" and e.start < cut < e.end)
    delay = paused_frames + len(resume)
    again = audio[cut + delay:]
    assert np.array_equal(again[:timeline.length - sentence.start], rendered[sentence.start:])


def test_resume_says_where_and_how_long_is_left_of_the_hold() -> None:
    player, output, speaker, timeline = make_player()
    press = next(e for e in timeline.events if e.cue == "press" and e.side == "left")
    release = next(e for e in timeline.events if e.cue == "release" and e.side == "left")
    play_for(player, output, press.end + 2 * RATE)
    position = player.position()
    player.handle(Command.PAUSE)
    player.handle(Command.PAUSE)
    left = spoken_duration(release.start - position)
    assert speaker.said[-1] == f"Resuming. Neck point, left side, {left} left."


def test_next_jumps_to_the_next_steps_first_frame() -> None:
    player, output, speaker, timeline = make_player()
    spans = [s for s in timeline.spans if s.end > s.start]
    first = spans[0]
    play_for(player, output, first.start + RATE // 2)
    position = output.position
    player.handle(Command.NEXT)
    assert speaker.said == ["Next step."]
    play_to_end(player, output)
    audio = output.audio()
    rendered = render_fake(timeline)
    note = feedback_audio("Next step.")
    assert np.array_equal(audio[position:position + len(note)], note)
    rest = audio[position + len(note):]
    assert np.array_equal(rest[:timeline.length - spans[1].start], rendered[spans[1].start:])


def test_next_on_the_last_step_stays_and_says_so() -> None:
    player, output, speaker, timeline = make_player(start_frame=[s for s in player_timeline().spans][-1].start)
    player.handle(Command.NEXT)
    assert speaker.said == ["This is the last step."]
    play_to_end(player, output)


def test_restart_goes_to_the_step_start_and_twice_quickly_to_the_previous_step() -> None:
    player, output, speaker, timeline = make_player()
    spans = [s for s in timeline.spans if s.end > s.start]
    press = next(s for s in spans if s.kind == "press")
    index = spans.index(press)
    play_for(player, output, press.start + 3 * RATE)
    player.handle(Command.RESTART)
    assert speaker.said == ["Restarting this step."]
    assert player.transport.cursor_frame == press.start  # the write cursor is the point
    play_for(player, output, BLOCK)
    player.handle(Command.RESTART)
    assert speaker.said[-1] == "Previous step."
    assert player.transport.cursor_frame == spans[index - 1].start
    # After the two-second window, a press restarts the step again.
    play_for(player, output, 3 * RATE)
    player.handle(Command.RESTART)
    assert speaker.said[-1] == "Restarting this step."


def test_volume_steps_are_spoken_clamped_and_applied_to_the_session() -> None:
    player, output, speaker, timeline = make_player(volume=0.8)
    for _ in range(4):
        player.handle(Command.VOLUME_UP)
    assert player.volume_percent == 100
    for _ in range(12):
        player.handle(Command.VOLUME_DOWN)
    assert player.volume_percent == 10
    assert speaker.said[:4] == ["Volume ninety percent.", "Volume one hundred percent.",
                                 "Already at full volume.", "Already at full volume."]
    assert speaker.said[-4:] == ["Volume ten percent.", "Already at the lowest volume.",
                                 "Already at the lowest volume.", "Already at the lowest volume."]
    play_to_end(player, output)
    audio = output.audio()
    quiet = render_fake(timeline, volume=0.1)
    # The first session frames after the last volume key are at 10 percent.
    note = feedback_audio("Already at the lowest volume.", 0.1)
    assert np.array_equal(audio[:len(note)], note)
    assert np.allclose(audio[len(note):len(note) + timeline.length], quiet, atol=1e-7)


def test_status_interrupts_the_sentence_at_once_then_says_it_again_from_its_start() -> None:
    player, output, speaker, timeline = make_player()
    welcome = next(e for e in timeline.events if e.text == "Welcome.")
    play_for(player, output, welcome.start + BLOCK * 4)
    at = output.position
    assert welcome.start < at < welcome.end
    player.handle(Command.STATUS)
    said = speaker.said[-1]
    assert "left in the session" in said
    play_to_end(player, output)
    audio = output.audio()
    rendered = render_fake(timeline)
    # The answer starts at the key (not when the sentence ends), then the sentence again, whole.
    assert np.array_equal(audio[:at], rendered[:at])
    note = feedback_audio(said)
    assert np.array_equal(audio[at:at + len(note)], note)
    tail = audio[at + len(note):]
    assert np.array_equal(tail[:timeline.length - welcome.start], rendered[welcome.start:])


@pytest.mark.parametrize("command", [Command.HELP, Command.VOLUME_UP, Command.STATUS])
def test_every_answer_starts_at_the_key(command: Command) -> None:
    player, output, speaker, timeline = make_player(volume=0.5)
    welcome = next(e for e in timeline.events if e.text == "Welcome.")
    play_for(player, output, welcome.start + BLOCK * 2)
    at = output.position
    player.handle(command)
    play_for(player, output, 2 * BLOCK)
    volume = 0.6 if command is Command.VOLUME_UP else 0.5
    note = feedback_audio(speaker.said[-1], volume)
    assert np.array_equal(output.audio()[at:at + 2 * BLOCK], note[:2 * BLOCK])


def test_next_on_the_left_side_of_a_press_on_both_sides_goes_to_the_right_side_and_p_back() -> None:
    player, output, speaker, timeline = make_player()
    left_press = next(e for e in timeline.events if e.cue == "press" and e.side == "left")
    right_side = next(e for e in timeline.events if e.cue == "announce" and e.side == "right")
    press_span = next(s for s in timeline.spans if s.kind == "press")
    play_for(player, output, left_press.end + RATE)
    player.handle(Command.NEXT)
    # The right side's announcement names the side: the answer does not say it again.
    assert speaker.said == ["On to the other side."]
    assert right_side.text is not None and right_side.text.startswith("Right side.")
    assert player.transport.cursor_frame == right_side.start
    play_for(player, output, BLOCK)
    player.handle(Command.RESTART)
    assert speaker.said[-1] == "Restarting this side."
    assert player.transport.cursor_frame == right_side.start
    player.handle(Command.RESTART)
    assert speaker.said[-1] == "Back to the first side."
    assert player.transport.cursor_frame == press_span.start
    play_for(player, output, 3 * RATE)
    player.handle(Command.RESTART)  # on the left side: the step itself restarts
    assert speaker.said[-1] == "Restarting this step."
    player.handle(Command.NEXT)
    player.handle(Command.NEXT)  # from the right side: the next step
    assert speaker.said[-2:] == ["On to the other side.", "Next step."]
    assert player.transport.cursor_frame == press_span.end


def test_status_text_names_step_point_side_and_times() -> None:
    player, output, speaker, timeline = make_player()
    press = next(e for e in timeline.events if e.cue == "press" and e.side == "right")
    status = player.status_at(press.end + RATE)
    text = status_text(status)
    assert text.startswith("Neck point, right side. Point GB20.")
    assert "left in the hold." in text and "left in this step." in text and "left in the session." in text
    assert resume_text(status).startswith("Resuming. Neck point, right side, ")


def test_quit_says_stopping_and_ends() -> None:
    player, output, speaker, timeline = make_player()
    play_for(player, output, RATE)
    at = output.position
    player.handle(Command.QUIT)
    player.handle(Command.PAUSE)  # ignored once quitting
    play_to_end(player, output)
    assert speaker.said == ["Stopping."]
    audio = output.audio()
    note = feedback_audio("Stopping.")
    assert np.array_equal(audio[at:at + len(note)], note)
    assert not audio[at + len(note):].any()


def test_poll_reports_each_cue_once_in_order_and_feedback() -> None:
    player, output, speaker, timeline = make_player()
    seen: list[object] = []
    play_for(player, output, 20 * BLOCK)
    seen += player.poll()
    player.handle(Command.PAUSE)
    play_for(player, output, 20 * BLOCK)
    seen += player.poll()
    player.handle(Command.PAUSE)
    while not player.done:
        play_for(player, output, BLOCK)
        seen += player.poll()
    cues = [n for n in seen if isinstance(n, Event)]
    # The pause cut the title: resuming says it again from its start, and it is reported again.
    title = timeline.events[0]
    assert title.start < 20 * BLOCK < title.end
    assert cues == [title, *timeline.events]
    assert [n.text for n in seen if isinstance(n, Feedback)][0] == "Paused."


def test_keys_map_to_commands() -> None:
    from voiceguide.play import keyboard

    assert KEY_COMMANDS[keyboard.SPACE] is Command.PAUSE
    assert KEY_COMMANDS[keyboard.RIGHT] is Command.NEXT and KEY_COMMANDS["n"] is Command.NEXT
    assert KEY_COMMANDS[keyboard.LEFT] is Command.RESTART and KEY_COMMANDS["p"] is Command.RESTART
    assert KEY_COMMANDS[keyboard.ESCAPE] is Command.QUIT and KEY_COMMANDS["q"] is Command.QUIT
    assert KEY_COMMANDS["+"] is Command.VOLUME_UP and KEY_COMMANDS["-"] is Command.VOLUME_DOWN


def test_find_start_by_step_and_section() -> None:
    timeline = player_timeline()
    snapshot = Program.from_timeline(timeline).snapshot()
    press = next(s for s in timeline.spans if s.kind == "press")
    assert find_start(snapshot, step=press.step) == press.start
    assert find_start(snapshot, section="neck") == timeline.chapters[0].start
    with pytest.raises(LookupError, match="no step 9"):
        find_start(snapshot, step="9")
    with pytest.raises(LookupError, match="no section"):
        find_start(snapshot, section="Feet")


def test_start_mid_session_plays_the_render_from_there() -> None:
    timeline = player_timeline()
    start = find_start(Program.from_timeline(timeline).snapshot(), step="3")
    player, output, _, _ = make_player(start_frame=start)
    play_to_end(player, output)
    assert np.array_equal(output.audio()[:timeline.length - start], render_fake(timeline, start))


def test_spoken_duration() -> None:
    assert spoken_duration(0) == "zero seconds"
    assert spoken_duration(RATE) == "one second"
    assert spoken_duration(RATE * 12 + 5) == "thirteen seconds"
    assert spoken_duration(RATE * 65) == "one minute five seconds"
    assert spoken_duration(RATE * 3600 * 2 + RATE * 120) == "two hours two minutes"


class _GatedMeasure:
    """A measure that blocks texts until the test releases them: a slow, cold engine."""

    def __init__(self) -> None:
        self.allowed = threading.Semaphore(0)

    def __call__(self, text: str) -> int:
        assert self.allowed.acquire(timeout=10)
        return fake_measure(text)


def test_before_the_first_step_is_ready_nothing_is_written_and_the_session_then_starts_at_its_first_frame() -> None:
    # A cold start: the player exists before the title's speech does.  Silence queued then would
    # play ahead of the first sound (and be counted as waiting); nothing is written instead.
    gate = _GatedMeasure()
    program = Program("Test session", iter_timeline(player_script(), gate))
    output = FakeOutput()
    player = Player(program, make_renderer, output, FakeSpeaker())
    for _ in range(3):
        player.pump()
    assert not output.queue and not player.transport.begun
    for _ in range(100):
        gate.allowed.release()
    program.wait(lambda s: s.complete, timeout=5)
    player.pump()
    play_to_end(player, output)
    timeline = player_timeline()
    assert player.wait_frames == 0
    assert np.array_equal(output.audio()[:timeline.length], render_fake(timeline))


def test_program_compiles_in_the_background_and_the_player_waits_when_behind() -> None:
    gate = _GatedMeasure()
    plans: Iterator[StepPlan] = iter_timeline(player_script(), gate)
    program = Program("Test session", plans)
    gate.allowed.release()  # only the title: the first step
    snapshot = program.wait(lambda s: len(s.spans) >= 1, timeout=5)
    assert not snapshot.complete and snapshot.ready_until > 0
    timeline = player_timeline()
    output = FakeOutput()
    player = Player(program, make_renderer, output, FakeSpeaker())
    player.pump()
    play_for(player, output, snapshot.ready_until + 20 * BLOCK)
    assert player.wait_frames > 0  # it ran out of compiled steps and waited in silence
    waited_at = snapshot.ready_until
    for _ in range(100):
        gate.allowed.release()
    program.wait(lambda s: s.complete, timeout=5)
    play_to_end(player, output)
    audio = output.audio()
    rendered = render_fake(timeline)
    assert np.array_equal(audio[:waited_at], rendered[:waited_at])
    tail = audio[waited_at + player.wait_frames:]
    assert np.array_equal(tail[:timeline.length - waited_at], rendered[waited_at:])


# ---------------------------------------------------------------------------
# the screen's strings and the play command's checks that need no audio


def test_status_line_fits_the_width_and_shows_step_text_bar_and_times() -> None:
    from voiceguide.play import screen

    player, output, _, timeline = make_player()
    press = next(e for e in timeline.events if e.cue == "press" and e.side == "left")
    play_for(player, output, press.start + BLOCK)
    line = screen.status_line(player.status(), width=140)
    assert len(line) <= 139
    # Numbered as the script, plan and --from number it: the press is the script's step 3 of 5.
    assert line.startswith("Playing · step 3 of 5 · Neck point, left side · “Press now.”")
    # Every number says what it is: the time left in the hold, the session's bar and time left.
    assert " left in the hold · session [" in line and line.endswith(" left")
    assert len(screen.status_line(player.status(), width=30)) <= 29
    assert screen.redraw("x") == "\rx\x1b[K"


def test_the_title_has_no_step_number_and_a_nested_step_its_path() -> None:
    from voiceguide.play import screen

    steps = (Say("Hello.", HERE), Repeat(2, (Say("One.", HERE), Say("Two.", HERE)), HERE))
    program = Program.from_timeline(compile_timeline(Script(title="S", steps=steps, position=HERE), fake_measure))
    snapshot = program.snapshot()
    state = PlayState(paused=False, volume_percent=100, finished=False)
    line = screen.status_line(status_at(snapshot, 0, state), width=100)
    assert line.startswith("Playing · Introduction · “S”")
    second_round_two = [span for span in snapshot.spans if span.step == "2.2"][1]
    line = screen.status_line(status_at(snapshot, second_round_two.start, state), width=100)
    assert line.startswith("Playing 2.2/2 · ")  # the short form, at this width
    assert find_start(snapshot, step="2.2") == [s for s in snapshot.spans if s.step == "2.2"][0].start


def test_at_60_columns_the_times_give_way_to_the_step_and_its_sentence() -> None:
    from voiceguide.play import screen

    player, output, _, timeline = make_player()
    press = next(e for e in timeline.events if e.cue == "press" and e.side == "left")
    play_for(player, output, press.start + BLOCK)
    line = screen.status_line(player.status(), width=60)
    assert len(line) <= 59
    assert "Neck point, left side · “Press now.”" in line


def test_after_quitting_the_last_line_says_stopped_not_done() -> None:
    from voiceguide.play import screen

    player, output, _, timeline = make_player()
    play_for(player, output, RATE)
    player.handle(Command.QUIT)
    play_to_end(player, output)
    line = screen.status_line(player.status(), width=80)
    assert line.startswith("Stopped ") and "done" not in line.lower() and "Finished" not in line
    player, output, _, timeline = make_player()
    play_to_end(player, output)
    assert screen.status_line(player.status(), width=80).startswith("Finished ")


def test_plain_lines_one_per_cue_with_elapsed_time() -> None:
    from voiceguide.play import screen

    timeline = player_timeline()
    press = next(e for e in timeline.events if e.cue == "press")
    minutes, seconds = divmod(press.start // RATE, 60)
    assert screen.notice_line(press, RATE) == f"{minutes}:{seconds:02d}  Press now."
    chime = next(e for e in timeline.events if e.kind == "tone")
    assert screen.notice_line(chime, RATE).endswith("(bell)")
    assert screen.notice_line(Feedback("Paused."), RATE) == "Paused."
    assert clock(RATE * 61 + 1, RATE, rounding="up") == "1:02"
    assert clock(RATE * 61 + 1, RATE, rounding="down") == "1:01"
    assert screen.progress_bar(1, 4, width=8) == "[##------]"


def test_play_rejects_an_unknown_start_before_any_sound(capsys: pytest.CaptureFixture[str]) -> None:
    from voiceguide.cli import main

    assert main(["play", "sciatica", "--from", "99"]) == 2
    assert capsys.readouterr().err.splitlines() == [
        "voiceguide: error: --from: the session has no step 99.",
        "hint: 'voiceguide plan' shows every step's number, label and section"]
    assert main(["play", "sciatica", "--from-section", "no such section"]) == 2
    assert "--from-section: the session has no section" in capsys.readouterr().err


def test_play_help_lists_every_key() -> None:
    from voiceguide.cli.definition import PLAY_KEYS_EPILOG
    from voiceguide.play.keymap import KEY_HELP

    for row in KEY_HELP:
        assert f"  {row.keys} " in PLAY_KEYS_EPILOG and row.meaning in PLAY_KEYS_EPILOG


def test_the_readme_lists_the_keys_as_the_key_table_does() -> None:
    from pathlib import Path

    from voiceguide.play.keymap import KEY_HELP

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Keys while playing", 1)[1].split("\n#", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("|")]
    rows = [line.strip("|").split(" | ") for line in table[2:]]
    assert [(keys.strip().replace("`", ""), does.strip()) for keys, does in rows] == [
        (row.keys, row.meaning) for row in KEY_HELP]


def _english_help() -> str:
    from voiceguide.phrases import load_phrasebook

    return load_phrasebook("en").say("keys_help")


def test_help_says_the_keys() -> None:
    player, output, speaker, _ = make_player()
    player.handle(Command.HELP)
    assert speaker.said == [_english_help()] and KEY_COMMANDS["?"] is Command.HELP


def test_spoken_help_is_short_and_in_the_order_a_person_needs_the_keys() -> None:
    help_text = _english_help()
    words = ["pause", "status", "next", "back", "louder", "softer", "quit"]
    places = [help_text.find(word) for word in words]
    assert -1 not in places and places == sorted(places), help_text
    assert len(help_text.split()) <= 16 and help_text.count(".") == 1  # one sentence: no long pauses


def test_status_while_paused_shows_no_sentence_and_says_paused() -> None:
    player, output, speaker, timeline = make_player()
    welcome = next(e for e in timeline.events if e.text == "Welcome.")
    play_for(player, output, welcome.start + BLOCK * 2)
    player.handle(Command.PAUSE)
    play_for(player, output, BLOCK)
    assert player.status().speaking == "Paused."
    play_for(player, output, fake_measure("Paused.") + GAP + BLOCK)
    status = player.status()
    assert status.paused and status.speaking is None
    assert status_text(status).startswith("Paused. ")


def test_a_sound_ringing_past_its_step_end_does_not_hide_the_next_steps_first_cue() -> None:
    # A step's last word may run past the step's end (a breathing word at --pace 0.25) while
    # the next step starts speaking at that end.  When the player catches up with the
    # compiler there, the frames after the step's end are not final yet: they must wait
    # for the next step rather than be played without its first cue.
    def speech(start: int, length: int, text: str, step: str) -> Event:
        return Event(start, length, "speech", "say", text, None, step, None, None)

    from voiceguide.timeline.layout import StepSpan

    first = speech(0, 6 * BLOCK, "Out.", "1")
    second = speech(4 * BLOCK, 3 * BLOCK, "Next.", "2")
    plans = [
        StepPlan(StepSpan("1", "breathe", 0, 4 * BLOCK, None, None), (first,), ()),
        StepPlan(StepSpan("2", "say", 4 * BLOCK, 9 * BLOCK, None, None), (second,), ()),
    ]
    gate = threading.Event()

    def walk() -> Iterator[StepPlan]:
        yield plans[0]
        assert gate.wait(timeout=10)
        yield plans[1]

    program = Program("Overlap", walk())
    program.wait(lambda s: len(s.spans) >= 1, timeout=5)
    output = FakeOutput()
    player = Player(program, make_renderer, output, FakeSpeaker())
    player.pump()
    seen: list[object] = []
    play_for(player, output, 12 * BLOCK)
    seen += player.poll()
    assert player.wait_frames > 0
    gate.set()
    program.wait(lambda s: s.complete, timeout=5)
    while not player.done:
        play_for(player, output, BLOCK)
        seen += player.poll()
    rendered = Mixer((first, second), PLAYER_CLIPS, length=9 * BLOCK).render(0, 9 * BLOCK)
    audio = output.audio()
    waited_at = 4 * BLOCK  # the first step's end: everything before it is final
    assert np.array_equal(audio[:waited_at], rendered[:waited_at])
    tail = audio[waited_at + player.wait_frames:]
    assert np.array_equal(tail[:9 * BLOCK - waited_at], rendered[waited_at:])
    assert seen == [first, second]


def test_restart_after_a_skip_restarts_the_new_step_and_the_first_step_has_no_previous() -> None:
    player, output, speaker, timeline = make_player()
    spans = [s for s in timeline.spans if s.end > s.start]
    press = next(s for s in spans if s.kind == "press")
    index = spans.index(press)
    play_for(player, output, press.start + 3 * RATE)
    player.handle(Command.RESTART)
    player.handle(Command.NEXT)  # now on the press's right side
    player.handle(Command.NEXT)  # now in the step after the press
    play_for(player, output, BLOCK)
    player.handle(Command.RESTART)  # within two seconds, but of another step: restart that one
    assert speaker.said == ["Restarting this step.", "On to the other side.", "Next step.", "Restarting this step."]
    assert player.transport.cursor_frame == spans[index + 1].start  # the write cursor is the point

    player, output, speaker, timeline = make_player()
    play_for(player, output, BLOCK)
    player.handle(Command.RESTART)
    player.handle(Command.RESTART)  # twice at the first step: there is no previous one
    assert speaker.said == ["Restarting this step.", "This is the first step. Starting it again."]
    assert player.transport.cursor_frame == spans[0].start


def test_volume_down_below_the_floor_never_makes_it_louder() -> None:
    player, output, speaker, timeline = make_player(volume=0.05)
    player.handle(Command.VOLUME_DOWN)
    assert player.volume_percent == 5
    assert speaker.said == ["Already at the lowest volume."]  # answered, though nothing changed
    player.handle(Command.VOLUME_UP)
    assert player.volume_percent == 15


def test_a_start_found_on_the_rough_layout_is_the_same_point_in_the_real_one() -> None:
    # "neck" is a part of the first title but exactly the second: the exact match wins, and the
    # point found on a layout with dummy speech lengths must land on the same chapter in the real one.
    steps = (Section("Neck and shoulders", HERE), Say("one", HERE), Section("Neck", HERE), Say("two", HERE))
    script = Script(title="S", steps=steps, position=HERE)
    rough = Program(script.title, iter_timeline(script, lambda text: 1), background=False).snapshot()
    point = find_start_point(rough, section="neck")
    assert (point.kind, point.index) == ("chapter", 1)
    walk = iter_timeline(script, fake_measure)
    real = Program(script.title, walk, background=False).snapshot()
    assert point.frame(real) == compile_timeline(script, fake_measure).chapters[1].start
    first_three = itertools.islice(iter_timeline(script, fake_measure), 3)  # title, section, say
    partial = Program(script.title, first_three, background=False).snapshot()
    assert len(partial.chapters) == 1 and not point.ready(partial)
    assert point.ready(real)


def test_the_keys_answer_in_the_scripts_language() -> None:
    from voiceguide.phrases import load_phrasebook
    from voiceguide.play.commands import fixed_feedback
    from voiceguide.play.keymap import KEY_HELP

    german = load_phrasebook("de")
    player, output, speaker, timeline = make_player(phrases=german)
    play_for(player, output, RATE)
    for command in (Command.PAUSE, Command.PAUSE, Command.VOLUME_DOWN, Command.NEXT, Command.STATUS, Command.HELP,
                    Command.QUIT):
        player.handle(command)
    assert speaker.said[0] == "Angehalten."
    assert speaker.said[1].startswith("Es geht weiter. ") and "Sekunde" in speaker.said[1]
    assert speaker.said[2:4] == ["Lautstärke neunzig Prozent.", "Nächster Schritt."]
    assert "in diesem Schritt." in speaker.said[4]
    assert speaker.said[5:] == [german.say("keys_help"), "Wir beenden die Sitzung."]
    assert set(speaker.said) - {speaker.said[1], speaker.said[4]} <= set(fixed_feedback(german))
    # The English phrasebook speaks the help the key table describes: every key it lists but h, in its order.
    spoken = _english_help()
    named = ["Space", "S ", "N ", "P ", "plus", "Q "]
    places = [spoken.find(name) for name in named]
    assert len(named) == len(KEY_HELP) - 1 and -1 not in places and places == sorted(places), spoken


def test_the_spoken_status_in_german_down_to_the_end() -> None:
    import dataclasses

    from voiceguide.phrases import load_phrasebook

    german = load_phrasebook("de")
    player, output, speaker, timeline = make_player()
    press = next(e for e in timeline.events if e.cue == "press" and e.side == "right")
    status = player.status_at(press.end + RATE)
    text = status_text(status, german)
    assert text.startswith("Neck point, rechte Seite. Punkt GB20. Noch ")
    assert " drücken. Noch " in text and " in diesem Schritt. Noch " in text and text.endswith(" Sitzung.")
    assert resume_text(status, german).startswith("Es geht weiter. Neck point, rechte Seite, noch ")
    end = dataclasses.replace(status, span=None, side=None, hold_left=None, step_left=0, position=status.length or 0)
    assert status_text(end).startswith("The end. Zero seconds left in this step.")
    assert status_text(end, german).startswith("Das Ende. Noch null Sekunden in diesem Schritt.")


def test_key_answers_are_synthesized_right_after_the_sessions_first_texts() -> None:
    from voiceguide.play.commands import fixed_feedback
    from voiceguide.play.session import FIRST_SESSION_TEXTS, prefetch_order

    session = [f"Sentence {n}." for n in range(40)]
    answers = fixed_feedback()
    order = prefetch_order(session, answers)
    assert sorted(order) == sorted([*session, *answers])
    assert order[:FIRST_SESSION_TEXTS] == session[:FIRST_SESSION_TEXTS]
    assert order[FIRST_SESSION_TEXTS:FIRST_SESSION_TEXTS + len(answers)] == list(answers)


def test_the_status_line_follows_the_terminal_it_is_drawn_on(monkeypatch: pytest.MonkeyPatch) -> None:
    # A terminal can be resized while playing, and $COLUMNS (set by some shells and tools) may be stale.
    import fcntl
    import io
    import os
    import struct
    import termios

    from voiceguide.play.ui import terminal_columns

    monkeypatch.setenv("COLUMNS", "80")
    master, slave = os.openpty()
    try:
        with open(slave, "w", closefd=False) as stream:
            assert terminal_columns(stream) == 80  # a size never set: the environment, else 80
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 60, 0, 0))
            assert terminal_columns(stream) == 60
            fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
            assert terminal_columns(stream) == 100
        assert terminal_columns(io.StringIO()) == 80
    finally:
        os.close(master)
        os.close(slave)


def test_prefetching_goes_in_growing_batches_and_stops_when_told() -> None:
    from voiceguide.play.session import prefetch_in_order

    stop = threading.Event()
    batches: list[list[str]] = []

    class Bank:
        def prefetch(self, texts: list[str]) -> None:
            batches.append(list(texts))
            if len(batches) == 3:
                stop.set()  # the session ended while this batch was being made

    texts = [f"Text {n}." for n in range(20)]
    prefetch_in_order(Bank(), texts, stop)
    assert batches == [texts[:1], texts[1:3], texts[3:7]]
    stop.clear()
    batches.clear()
    prefetch_in_order(Bank(), texts[:3], stop)
    assert batches == [texts[:1], texts[1:3]]
