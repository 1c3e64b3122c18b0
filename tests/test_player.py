"""The live player's logic against a fake output: exact pause/resume, skip, restart, volume, quit.

``FakeOutput`` implements ``sinks.Sink``: it consumes whole blocks when the
test advances it, and keeps every consumed sample, so a test can check the
played audio against the mixer's render of the session, sample for sample.
"""

from __future__ import annotations

import hashlib
import itertools
import threading
from collections import deque
from collections.abc import Iterator
from fractions import Fraction

import numpy as np
import pytest

from tests.fakes import fake_measure
from voiceguide.audio.mixer import Mixer
from voiceguide.base import SAMPLE_RATE, Audio, clock
from voiceguide.errors import Position
from voiceguide.play.keymap import KEY_COMMANDS, Command
from voiceguide.play.log import Feedback
from voiceguide.play.player import Player
from voiceguide.play.program import Program, Snapshot, find_start, find_start_point
from voiceguide.play.status import resume_text, spoken_duration, status_text
from voiceguide.play.transport import FEEDBACK_GAP_SECONDS, Renderer
from voiceguide.script.model import Chime, Press, Say, Script, Section
from voiceguide.timeline.compiler import Event, StepPlan, Timeline, compile_timeline, iter_timeline

RATE = SAMPLE_RATE
BLOCK = 256
GAP = round(FEEDBACK_GAP_SECONDS * RATE)
HERE = Position("test.yaml", 1, 1)


class FakeOutput:
    """A ``Sink`` whose clock moves only when the test calls ``advance``."""

    def __init__(self, block_frames: int = BLOCK, queue_blocks: int = 8) -> None:
        self._block_frames = block_frames
        self._queue_frames = queue_blocks * block_frames
        self.queue: deque[Audio] = deque()
        self.played: list[Audio] = []
        self._position = 0

    @property
    def block_frames(self) -> int:
        return self._block_frames

    @property
    def position(self) -> int:
        return self._position

    def free_frames(self) -> int:
        return self._queue_frames - sum(len(b) for b in self.queue)

    def write(self, block: Audio) -> None:
        assert 0 < len(block) <= self._block_frames  # whole blocks; only the very last may be shorter
        self.queue.append(block.copy())

    def discard(self) -> int:
        dropped = sum(len(b) for b in self.queue)
        self.queue.clear()
        return dropped

    def close(self) -> None:
        pass

    def abort(self) -> None:
        self.queue.clear()

    def advance(self, frames: int) -> None:
        """Consume whole blocks covering ``frames`` (an underrun counts as silence, not position)."""
        for _ in range(-(-frames // self._block_frames)):
            if not self.queue:
                raise AssertionError("underrun: the player did not keep the queue fed")
            block = self.queue.popleft()
            self.played.append(block)
            self._position += len(block)

    def audio(self) -> Audio:
        return np.concatenate(self.played) if self.played else np.zeros(0, np.float32)


def _tone(key: str, frames: int) -> Audio:
    seed = int.from_bytes(hashlib.sha256(key.encode()).digest()[:2], "big")
    t = np.arange(frames) / RATE
    return (0.3 * np.sin(2 * np.pi * (200 + seed % 300) * t)).astype(np.float32)


class FakeClips:
    """A ``mixer.ClipSource``: a distinct tone per text or sound, of the event's length."""

    def clip(self, event: Event) -> Audio:
        return _tone(event.text or event.sound or "", event.length)


class FakeSpeaker:
    """Speaks feedback as a tone of ``fake_measure`` length; remembers what it said."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def __call__(self, text: str) -> Audio:
        self.said.append(text)
        return _tone("feedback:" + text, fake_measure(text))


def _script() -> Script:
    return Script(
        title="Test session",
        position=HERE,
        steps=(
            Say("Welcome.", HERE, pause=Fraction(1)),
            Section("Neck", HERE),
            Press(Fraction(10), HERE, point="GB20", side="both", prepare=Fraction(1), countdown=3,
                  rest=Fraction(1), label="Neck point"),
            Chime(1, HERE),
            Say("Done.", HERE),
        ),
    )


def _timeline() -> Timeline:
    return compile_timeline(_script(), fake_measure)


def _make_renderer(snapshot: Snapshot) -> Renderer:
    return Mixer(snapshot.events, FakeClips(), length=snapshot.ready_until)


def _player(program: Program | None = None, **kwargs: object) -> tuple[Player, FakeOutput, FakeSpeaker, Timeline]:
    timeline = _timeline()
    output = FakeOutput()
    speaker = FakeSpeaker()
    player = Player(program or Program.from_timeline(timeline), _make_renderer, output, speaker, **kwargs)  # type: ignore[arg-type]
    player.pump()
    return player, output, speaker, timeline


def _play(player: Player, output: FakeOutput, frames: int) -> None:
    """Let ``frames`` of output play, keeping the queue fed as the real loop does."""
    done = 0
    while done < frames:
        output.advance(BLOCK)
        done += BLOCK
        player.pump()


def _play_to_end(player: Player, output: FakeOutput, limit: int = 10**8) -> None:
    while not player.done:
        output.advance(BLOCK)
        player.pump()
        assert output.position < limit


def _find(haystack: Audio, needle: Audio, start: int = 0) -> int:
    """Where ``needle`` occurs exactly in ``haystack`` (from ``start``), or -1."""
    n = len(needle)
    for i in range(start, len(haystack) - n + 1):
        if haystack[i] == needle[0] and np.array_equal(haystack[i:i + n], needle):
            return i
    return -1


def _render(timeline: Timeline, start: int = 0, end: int | None = None, volume: float = 1.0) -> Audio:
    stop = timeline.length if end is None else end
    return Mixer(timeline.events, FakeClips(), volume, length=timeline.length).render(start, stop - start)


def _feedback(text: str, volume: float = 1.0) -> Audio:
    clip = _tone("feedback:" + text, fake_measure(text)) * np.float32(volume)
    return np.concatenate([clip, np.zeros(GAP, np.float32)])


# ---------------------------------------------------------------------------


def test_uninterrupted_playback_is_the_render_sample_for_sample() -> None:
    player, output, speaker, timeline = _player()
    _play_to_end(player, output)
    audio = output.audio()
    assert np.array_equal(audio[:timeline.length], _render(timeline))
    assert not audio[timeline.length:].any()
    assert speaker.said == []
    assert player.status().finished


def test_pause_delays_everything_after_by_the_pause_plus_the_reannouncement() -> None:
    player, output, speaker, timeline = _player()
    _play(player, output, 40 * BLOCK)
    cut = output.position  # the session frame reached: nothing before it was a key
    player.handle(Command.PAUSE)
    assert player.paused
    paused_frames = 300 * BLOCK
    _play(player, output, paused_frames)
    player.handle(Command.PAUSE)
    assert not player.paused
    announcement = speaker.said[-1]
    assert announcement.startswith("Resuming. ")
    _play_to_end(player, output)

    audio = output.audio()
    rendered = _render(timeline)
    assert np.array_equal(audio[:cut], rendered[:cut])
    # "Paused." starts exactly at the cut; the pause lasts until the resume key.
    paused = _feedback("Paused.")
    assert np.array_equal(audio[cut:cut + len(paused)], paused)
    assert not audio[cut + len(paused):cut + paused_frames].any()
    resume = _feedback(announcement)
    at = cut + paused_frames
    assert np.array_equal(audio[at:at + len(resume)], resume)
    # Then the session from the start of the sentence the pause cut: nothing lost, and the
    # cut sentence said whole again.
    sentence = next(e for e in timeline.events if e.kind == "speech" and e.start < cut < e.end)
    delay = paused_frames + len(resume)
    again = audio[cut + delay:]
    assert np.array_equal(again[:timeline.length - sentence.start], rendered[sentence.start:])


def test_resume_says_where_and_how_long_is_left_of_the_hold() -> None:
    player, output, speaker, timeline = _player()
    press = next(e for e in timeline.events if e.cue == "press" and e.side == "left")
    release = next(e for e in timeline.events if e.cue == "release" and e.side == "left")
    _play(player, output, press.end + 2 * RATE)
    position = player.position()
    player.handle(Command.PAUSE)
    player.handle(Command.PAUSE)
    left = spoken_duration(release.start - position)
    assert speaker.said[-1] == f"Resuming. Neck point, left side, {left} left."


def test_next_jumps_to_the_next_steps_first_frame() -> None:
    player, output, speaker, timeline = _player()
    spans = [s for s in timeline.spans if s.end > s.start]
    first = spans[0]
    _play(player, output, first.start + RATE // 2)
    position = output.position
    player.handle(Command.NEXT)
    assert speaker.said == ["Next step."]
    _play_to_end(player, output)
    audio = output.audio()
    rendered = _render(timeline)
    note = _feedback("Next step.")
    assert np.array_equal(audio[position:position + len(note)], note)
    rest = audio[position + len(note):]
    assert np.array_equal(rest[:timeline.length - spans[1].start], rendered[spans[1].start:])


def test_next_on_the_last_step_stays_and_says_so() -> None:
    player, output, speaker, timeline = _player(start_frame=[s for s in _timeline().spans][-1].start)
    player.handle(Command.NEXT)
    assert speaker.said == ["This is the last step."]
    _play_to_end(player, output)


def test_restart_goes_to_the_step_start_and_twice_quickly_to_the_previous_step() -> None:
    player, output, speaker, timeline = _player()
    spans = [s for s in timeline.spans if s.end > s.start]
    press = next(s for s in spans if s.kind == "press")
    index = spans.index(press)
    _play(player, output, press.start + 3 * RATE)
    player.handle(Command.RESTART)
    assert speaker.said == ["Restarting this step."]
    assert player.transport.cursor_frame == press.start  # the write cursor is the point
    _play(player, output, BLOCK)
    player.handle(Command.RESTART)
    assert speaker.said[-1] == "Previous step."
    assert player.transport.cursor_frame == spans[index - 1].start
    # After the two-second window, a press restarts the step again.
    _play(player, output, 3 * RATE)
    player.handle(Command.RESTART)
    assert speaker.said[-1] == "Restarting this step."


def test_volume_steps_are_spoken_clamped_and_applied_to_the_session() -> None:
    player, output, speaker, timeline = _player(volume=0.8)
    for _ in range(4):
        player.handle(Command.VOLUME_UP)
    assert player.volume_percent == 100
    for _ in range(12):
        player.handle(Command.VOLUME_DOWN)
    assert player.volume_percent == 10
    assert speaker.said[:3] == ["Volume ninety percent.", "Volume one hundred percent.",
                                 "Volume one hundred percent."]
    assert speaker.said[-1] == "Volume ten percent."
    _play_to_end(player, output)
    audio = output.audio()
    quiet = _render(timeline, volume=0.1)
    # The first session frames after the last volume key are at 10 percent.
    note = _feedback("Volume ten percent.", 0.1)
    assert np.array_equal(audio[:len(note)], note)
    assert np.allclose(audio[len(note):len(note) + timeline.length], quiet, atol=1e-7)


def test_status_interrupts_the_sentence_at_once_then_says_it_again_from_its_start() -> None:
    player, output, speaker, timeline = _player()
    welcome = next(e for e in timeline.events if e.text == "Welcome.")
    _play(player, output, welcome.start + BLOCK * 4)
    at = output.position
    assert welcome.start < at < welcome.end
    player.handle(Command.STATUS)
    said = speaker.said[-1]
    assert "left in the session" in said
    _play_to_end(player, output)
    audio = output.audio()
    rendered = _render(timeline)
    # The answer starts at the key (not when the sentence ends), then the sentence again, whole.
    assert np.array_equal(audio[:at], rendered[:at])
    note = _feedback(said)
    assert np.array_equal(audio[at:at + len(note)], note)
    tail = audio[at + len(note):]
    assert np.array_equal(tail[:timeline.length - welcome.start], rendered[welcome.start:])


@pytest.mark.parametrize("command", [Command.HELP, Command.VOLUME_UP, Command.STATUS])
def test_every_answer_starts_at_the_key(command: Command) -> None:
    player, output, speaker, timeline = _player(volume=0.5)
    welcome = next(e for e in timeline.events if e.text == "Welcome.")
    _play(player, output, welcome.start + BLOCK * 2)
    at = output.position
    player.handle(command)
    _play(player, output, 2 * BLOCK)
    volume = 0.6 if command is Command.VOLUME_UP else 0.5
    note = _feedback(speaker.said[-1], volume)
    assert np.array_equal(output.audio()[at:at + 2 * BLOCK], note[:2 * BLOCK])


def test_next_on_the_left_side_of_a_press_on_both_sides_goes_to_the_right_side_and_p_back() -> None:
    player, output, speaker, timeline = _player()
    left_press = next(e for e in timeline.events if e.cue == "press" and e.side == "left")
    right_side = next(e for e in timeline.events if e.cue == "announce" and e.side == "right")
    press_span = next(s for s in timeline.spans if s.kind == "press")
    _play(player, output, left_press.end + RATE)
    player.handle(Command.NEXT)
    assert speaker.said == ["Right side."]
    assert player.transport.cursor_frame == right_side.start
    _play(player, output, BLOCK)
    player.handle(Command.RESTART)
    assert speaker.said[-1] == "Restarting the right side."
    assert player.transport.cursor_frame == right_side.start
    player.handle(Command.RESTART)
    assert speaker.said[-1] == "Back to the left side."
    assert player.transport.cursor_frame == press_span.start
    _play(player, output, 3 * RATE)
    player.handle(Command.RESTART)  # on the left side: the step itself restarts
    assert speaker.said[-1] == "Restarting this step."
    player.handle(Command.NEXT)
    player.handle(Command.NEXT)  # from the right side: the next step
    assert speaker.said[-2:] == ["Right side.", "Next step."]
    assert player.transport.cursor_frame == press_span.end


def test_status_text_names_step_point_side_and_times() -> None:
    player, output, speaker, timeline = _player()
    press = next(e for e in timeline.events if e.cue == "press" and e.side == "right")
    status = player.status_at(press.end + RATE)
    text = status_text(status)
    assert text.startswith("Neck point, right side. Point GB20.")
    assert "left in the hold." in text and "left in this step." in text and "left in the session." in text
    assert resume_text(status).startswith("Resuming. Neck point, right side, ")


def test_quit_says_stopping_and_ends() -> None:
    player, output, speaker, timeline = _player()
    _play(player, output, RATE)
    at = output.position
    player.handle(Command.QUIT)
    player.handle(Command.PAUSE)  # ignored once quitting
    _play_to_end(player, output)
    assert speaker.said == ["Stopping."]
    audio = output.audio()
    note = _feedback("Stopping.")
    assert np.array_equal(audio[at:at + len(note)], note)
    assert not audio[at + len(note):].any()


def test_poll_reports_each_cue_once_in_order_and_feedback() -> None:
    player, output, speaker, timeline = _player()
    seen: list[object] = []
    _play(player, output, 20 * BLOCK)
    seen += player.poll()
    player.handle(Command.PAUSE)
    _play(player, output, 20 * BLOCK)
    seen += player.poll()
    player.handle(Command.PAUSE)
    while not player.done:
        _play(player, output, BLOCK)
        seen += player.poll()
    cues = [n for n in seen if isinstance(n, Event)]
    # The pause cut the title: resuming says it again from its start, and it is reported again.
    title = timeline.events[0]
    assert title.start < 20 * BLOCK < title.end
    assert cues == [title, *timeline.events]
    assert [n.text for n in seen if isinstance(n, Feedback)][0] == "Paused."


def test_keys_map_to_commands() -> None:
    from voiceguide.play import keys

    assert KEY_COMMANDS[keys.SPACE] is Command.PAUSE
    assert KEY_COMMANDS[keys.RIGHT] is Command.NEXT and KEY_COMMANDS["n"] is Command.NEXT
    assert KEY_COMMANDS[keys.LEFT] is Command.RESTART and KEY_COMMANDS["p"] is Command.RESTART
    assert KEY_COMMANDS[keys.ESCAPE] is Command.QUIT and KEY_COMMANDS["q"] is Command.QUIT
    assert KEY_COMMANDS["+"] is Command.VOLUME_UP and KEY_COMMANDS["-"] is Command.VOLUME_DOWN


def test_find_start_by_step_and_section() -> None:
    timeline = _timeline()
    snapshot = Program.from_timeline(timeline).snapshot()
    press = next(s for s in timeline.spans if s.kind == "press")
    assert find_start(snapshot, step=press.step) == press.start
    assert find_start(snapshot, section="neck") == timeline.chapters[0].start
    with pytest.raises(LookupError, match="no step 9"):
        find_start(snapshot, step="9")
    with pytest.raises(LookupError, match="no section"):
        find_start(snapshot, section="Feet")


def test_start_mid_session_plays_the_render_from_there() -> None:
    timeline = _timeline()
    start = find_start(Program.from_timeline(timeline).snapshot(), step="3")
    player, output, _, _ = _player(start_frame=start)
    _play_to_end(player, output)
    assert np.array_equal(output.audio()[:timeline.length - start], _render(timeline, start))


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


def test_program_compiles_in_the_background_and_the_player_waits_when_behind() -> None:
    gate = _GatedMeasure()
    plans: Iterator[StepPlan] = iter_timeline(_script(), gate)
    program = Program("Test session", plans)
    gate.allowed.release()  # only the title: the first step
    snapshot = program.wait(lambda s: len(s.spans) >= 1, timeout=5)
    assert not snapshot.complete and snapshot.ready_until > 0
    timeline = _timeline()
    output = FakeOutput()
    player = Player(program, _make_renderer, output, FakeSpeaker())
    player.pump()
    _play(player, output, snapshot.ready_until + 20 * BLOCK)
    assert player.wait_frames > 0  # it ran out of compiled steps and waited in silence
    waited_at = snapshot.ready_until
    for _ in range(100):
        gate.allowed.release()
    program.wait(lambda s: s.complete, timeout=5)
    _play_to_end(player, output)
    audio = output.audio()
    rendered = _render(timeline)
    assert np.array_equal(audio[:waited_at], rendered[:waited_at])
    tail = audio[waited_at + player.wait_frames:]
    assert np.array_equal(tail[:timeline.length - waited_at], rendered[waited_at:])


# ---------------------------------------------------------------------------
# the screen's strings and the play command's checks that need no audio


def test_status_line_fits_the_width_and_shows_step_text_bar_and_times() -> None:
    from voiceguide.play import screen

    player, output, _, timeline = _player()
    press = next(e for e in timeline.events if e.cue == "press" and e.side == "left")
    _play(player, output, press.start + BLOCK)
    line = screen.status_line(player.status(), width=140)
    assert len(line) <= 139
    assert line.startswith("Playing · step 4 of 6 · Neck point, left side · “Press now.”")
    # Every number says what it is: the time left in the hold, the session's bar and time left.
    assert " left in the hold · session [" in line and line.endswith(" left")
    assert len(screen.status_line(player.status(), width=30)) <= 29
    assert screen.redraw("x") == "\rx\x1b[K"


def test_at_60_columns_the_times_give_way_to_the_step_and_its_sentence() -> None:
    from voiceguide.play import screen

    player, output, _, timeline = _player()
    press = next(e for e in timeline.events if e.cue == "press" and e.side == "left")
    _play(player, output, press.start + BLOCK)
    line = screen.status_line(player.status(), width=60)
    assert len(line) <= 59
    assert "Neck point, left side · “Press now.”" in line


def test_after_quitting_the_last_line_says_stopped_not_done() -> None:
    from voiceguide.play import screen

    player, output, _, timeline = _player()
    _play(player, output, RATE)
    player.handle(Command.QUIT)
    _play_to_end(player, output)
    line = screen.status_line(player.status(), width=80)
    assert line.startswith("Stopped ") and "done" not in line.lower() and "Finished" not in line
    player, output, _, timeline = _player()
    _play_to_end(player, output)
    assert screen.status_line(player.status(), width=80).startswith("Finished ")


def test_plain_lines_one_per_cue_with_elapsed_time() -> None:
    from voiceguide.play import screen

    timeline = _timeline()
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
    assert "--from: the session has no step 99." in capsys.readouterr().err
    assert main(["play", "sciatica", "--from-section", "no such section"]) == 2
    assert "--from-section: the session has no section" in capsys.readouterr().err


def test_play_help_lists_every_key() -> None:
    from voiceguide.cli import PLAY_KEYS_EPILOG
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
    player, output, speaker, _ = _player()
    player.handle(Command.HELP)
    assert speaker.said == [_english_help()] and KEY_COMMANDS["?"] is Command.HELP


def test_spoken_help_is_short_and_in_the_order_a_person_needs_the_keys() -> None:
    help_text = _english_help()
    words = ["pause", "status", "next", "back", "louder", "softer", "quit"]
    places = [help_text.find(word) for word in words]
    assert -1 not in places and places == sorted(places), help_text
    assert len(help_text.split()) <= 16 and help_text.count(".") == 1  # one sentence: no long pauses


def test_status_while_paused_shows_no_sentence_and_says_paused() -> None:
    player, output, speaker, timeline = _player()
    welcome = next(e for e in timeline.events if e.text == "Welcome.")
    _play(player, output, welcome.start + BLOCK * 2)
    player.handle(Command.PAUSE)
    _play(player, output, BLOCK)
    assert player.status().speaking == "Paused."
    _play(player, output, fake_measure("Paused.") + GAP + BLOCK)
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

    from voiceguide.timeline.compiler import StepSpan

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
    player = Player(program, _make_renderer, output, FakeSpeaker())
    player.pump()
    seen: list[object] = []
    _play(player, output, 12 * BLOCK)
    seen += player.poll()
    assert player.wait_frames > 0
    gate.set()
    program.wait(lambda s: s.complete, timeout=5)
    while not player.done:
        _play(player, output, BLOCK)
        seen += player.poll()
    rendered = Mixer((first, second), FakeClips(), length=9 * BLOCK).render(0, 9 * BLOCK)
    audio = output.audio()
    waited_at = 4 * BLOCK  # the first step's end: everything before it is final
    assert np.array_equal(audio[:waited_at], rendered[:waited_at])
    tail = audio[waited_at + player.wait_frames:]
    assert np.array_equal(tail[:9 * BLOCK - waited_at], rendered[waited_at:])
    assert seen == [first, second]


def test_restart_after_a_skip_restarts_the_new_step_and_the_first_step_has_no_previous() -> None:
    player, output, speaker, timeline = _player()
    spans = [s for s in timeline.spans if s.end > s.start]
    press = next(s for s in spans if s.kind == "press")
    index = spans.index(press)
    _play(player, output, press.start + 3 * RATE)
    player.handle(Command.RESTART)
    player.handle(Command.NEXT)  # now on the press's right side
    player.handle(Command.NEXT)  # now in the step after the press
    _play(player, output, BLOCK)
    player.handle(Command.RESTART)  # within two seconds, but of another step: restart that one
    assert speaker.said == ["Restarting this step.", "Right side.", "Next step.", "Restarting this step."]
    assert player.transport.cursor_frame == spans[index + 1].start  # the write cursor is the point

    player, output, speaker, timeline = _player()
    _play(player, output, BLOCK)
    player.handle(Command.RESTART)
    player.handle(Command.RESTART)  # twice at the first step: there is no previous one
    assert speaker.said == ["Restarting this step.", "Restarting this step."]
    assert player.transport.cursor_frame == spans[0].start


def test_volume_down_below_the_floor_never_makes_it_louder() -> None:
    player, output, speaker, timeline = _player(volume=0.05)
    player.handle(Command.VOLUME_DOWN)
    assert player.volume_percent == 5
    assert speaker.said == ["Volume five percent."]
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
    player, output, speaker, timeline = _player(phrases=german)
    _play(player, output, RATE)
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
    player, output, speaker, timeline = _player()
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
