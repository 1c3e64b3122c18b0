"""``play --listen`` for real: commands spoken into a PulseAudio microphone that also hears the speaker.

A private PulseAudio server has a speaker (null sink) and a microphone (a
second null sink's monitor) into which the speaker is looped back, as a room
echoes.  Commands said by two voices that are not the session's (an espeak-ng
variant and hibari) are played into the microphone in the session's quiet
moments; the player must answer each, redundant ones too ("pause" while paused),
and nothing else: its own voice, heard back through the echo, never triggers
anything; one command comes with white noise at 20 dB SNR (a fan in the room).
The delay from the end of each command to the start of its answer is measured
from a recording of the speaker.  In a second room, 40 s of television,
conversation, ring tones and bells in a hold changes nothing, and a command
said after it is still answered; that session plays the built-in waves at
their default level, so the bed echoes into the microphone all along, and takes
it out again with the echo canceller, as shipped.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.onsets import detect_onsets
from tests.pulse import PulseServer
from tests.room import Lines, another_voice, as_shipped, bed_fraction, recording_peak, wait_for_answer_to_end

pytestmark = [pytest.mark.live, pytest.mark.engine]

SCRIPT = """\
voiceguide: 1
title: Listening test
steps:
  - say: Lie still. I will be quiet for a while.
  - press: {point: GB30, hold: 60s, prepare: 1s}
  - say: That is the end.
"""


VOICES = ("espeak:en-us+m7@165", "hibari:12@1.0")
"""Two voices that are not the session's (espeak-ng's default English voice)."""

ASK_AGAIN_SECONDS = 5.0
"""How long a person waits for an answer before saying the command again (answers come within about 1 s)."""

EXCHANGES = (
    ("Time left.", VOICES[0], None, "seconds left."), ("Pause.", VOICES[1], None, "Paused."),
    ("Pause.", VOICES[0], None, "Already paused."), ("Continue.", VOICES[1], 20.0, "Resuming."),
    ("Volume down.", VOICES[0], None, "Volume ninety percent."), ("Stop.", VOICES[1], None, "Say stop again"),
    ("Stop.", VOICES[0], None, "Stopping."),
)
"""What is said, by whom, in how much noise, and the answer it waits for."""


@pytest.fixture(scope="module")
def commands(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., tuple[Path, float]]:
    """A command as a 16 kHz WAV said by hibari (with white noise at ``snr_db`` if given), and its length."""
    return another_voice(tmp_path_factory.mktemp("commands"))


def test_spoken_commands_are_answered_like_keys_and_its_own_voice_is_not(
        room: PulseServer, commands: Callable[..., tuple[Path, float]], tmp_path: Path) -> None:
    script = tmp_path / "listen.yaml"
    script.write_text(SCRIPT)
    said: list[tuple[str, float]] = []  # what was said, and when it ended (monotonic)
    asked_again: list[str] = []

    def say(text: str, snr_db: float | None = None, voice: str = VOICES[0]) -> None:
        path, _ = commands(text, snr_db, voice)
        room.say_into_microphone(path).wait()
        said.append((text, time.monotonic()))

    recording = tmp_path / "speaker.wav"
    with room.record(recording):
        recording_started = time.monotonic()
        print("starting play --listen; commands follow in the session's quiet moments", flush=True)
        process = subprocess.Popen(
            [sys.executable, "-m", "voiceguide", "play", str(script), "--listen", "--plain"],
            env=room.env,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        session = Lines(process)
        try:
            session.wait_for("Press now.", timeout=60)
            wait_for_answer_to_end(recording)  # the cue, heard to its end
            for text, voice, snr_db, answer in EXCHANGES:
                say(text, snr_db, voice)
                try:
                    session.wait_for(answer, timeout=ASK_AGAIN_SECONDS)
                except AssertionError:  # unanswered: a person asks again, as they would of anyone
                    said.pop()
                    asked_again.append(text)
                    say(text, snr_db, voice)
                    session.wait_for(answer)
                if answer != "Stopping.":
                    wait_for_answer_to_end(recording)
            assert session.process.wait(timeout=30) == 0
        finally:
            if session.process.poll() is None:
                session.process.kill()
                session.process.wait()
    # The recognizer hears some commands in 20 dB noise only most of the time (docs/voice-commands.md):
    # one of the seven may need saying twice, never more.
    assert len(asked_again) <= 1, f"asked again: {asked_again}"
    feedback = [line for line in session.lines if not line[:1].isdigit() and line != "Listening test"]
    # Exactly one answer per command: nothing from the session's own voice coming back through the echo.
    assert len(feedback) == len(EXCHANGES), feedback
    assert all(answer in line for line, (_, _, _, answer) in zip(feedback, EXCHANGES, strict=True)), feedback
    audio, rate = soundfile.read(str(recording), dtype="float64")
    onsets = [recording_started + frame / rate for frame in detect_onsets(np.asarray(audio), rate)]
    delays = []
    for text, ended in said:
        after = [t for t in onsets if t > ended]
        delays.append((text, after[0] - ended if after else float("nan")))
    print("delay from the end of each command to its answer: "
          + ", ".join(f"{text} {delay:.2f} s" for text, delay in delays)
          + (f"; said twice: {', '.join(asked_again)}" if asked_again else ""), flush=True)
    assert all(delay == delay for _, delay in delays), delays  # every command has an answer in the recording


QUIET_SCRIPT = """\
voiceguide: 1
title: Quiet room
background: waves
steps:
  - say: Lie still.
  - press: {point: LI4, hold: 100s, prepare: 1s}
  - say: That is the end.
"""


def room_sounds(path: Path) -> Path:
    """40 s of other people's sounds, none a command: television and ring tones, then talk and bells.

    (The bench plays 18 minutes of such sounds, `bench_listen.py`; here the live path is shown to stay quiet
    and to go on listening.)
    """
    from tests.room_sounds import bells, conversation, ring_tones, television

    half = 20.0
    first = television(half, seed=41) + 0.5 * ring_tones(half, seed=42)
    second = conversation(half, seed=43) + 0.7 * bells(half, seed=44)
    quiet = np.zeros(2 * 16000, np.float32)  # a person speaks once the room is quiet
    soundfile.write(str(path), np.concatenate([first, second, quiet]).astype(np.float32), 16000)
    return path


def test_television_talk_ring_tones_and_bells_change_nothing(
        room: PulseServer, commands: Callable[..., tuple[Path, float]], tmp_path: Path) -> None:
    script = tmp_path / "quiet.yaml"
    script.write_text(QUIET_SCRIPT)
    sounds = room_sounds(tmp_path / "room.wav")
    bed_share = bed_fraction(script, room.env, tmp_path)
    recording = tmp_path / "speaker.wav"
    with room.record(recording):
        process = subprocess.Popen(
            [sys.executable, "-m", "voiceguide", "play", str(script), "--listen", "--plain"],
            env=as_shipped(room.env), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        session = Lines(process)
        try:
            session.wait_for("Press now.", timeout=60)
            bed = round(bed_share * recording_peak(recording))  # the session's voice has been heard by now
            wait_for_answer_to_end(recording, bed_peak=bed)
            print("40 s of television, ring tones, conversation and bells into the microphone", flush=True)
            heard_before = len(session.lines)
            room.say_into_microphone(sounds).wait()
            room.say_into_microphone(commands("Time left.", None, VOICES[1])[0]).wait()
            answer = session.wait_for("seconds left.")  # still listening, and nothing answered before it
        finally:
            process.terminate()
            process.wait(timeout=30)
    after = session.lines[heard_before:]
    assert after[:1] == [answer], after
