"""``play --listen`` for real: commands spoken into a PulseAudio microphone that also hears the speaker.

A private PulseAudio server has a speaker (null sink) and a microphone (a
second null sink's monitor) into which the speaker is looped back, as a room
echoes.  Commands said by another voice (hibari, not the app's espeak-ng) are
played into the microphone in the session's quiet moments; the player must
answer each exactly as its key, and nothing else: its own voice, heard back
through the echo, never triggers anything; one command comes with white noise at
20 dB SNR (a fan in the room).  The delay from the end of each
command to the start of its answer is measured from a recording of the speaker.
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
from tests.room import Lines, another_voice, wait_for_answer_to_end

pytestmark = [pytest.mark.live, pytest.mark.engine]

SCRIPT = """\
voiceguide: 1
title: Listening test
steps:
  - say: Lie still. I will be quiet for a while.
  - press: {point: GB30, hold: 60s, prepare: 1s}
  - say: That is the end.
"""


@pytest.fixture(scope="module")
def commands(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., tuple[Path, float]]:
    """A command as a 16 kHz WAV said by hibari (with white noise at ``snr_db`` if given), and its length."""
    return another_voice(tmp_path_factory.mktemp("commands"))


def test_spoken_commands_are_answered_like_keys_and_its_own_voice_is_not(
        room: PulseServer, commands: Callable[..., tuple[Path, float]], tmp_path: Path) -> None:
    script = tmp_path / "listen.yaml"
    script.write_text(SCRIPT)
    said: list[tuple[str, float]] = []  # what was said, and when it ended (monotonic)

    def say(text: str, snr_db: float | None = None) -> None:
        path, _ = commands(text, snr_db)
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
            say("Time left.")
            session.wait_for("seconds left.")  # in a hold, the short status: the hold's time left
            wait_for_answer_to_end(recording)
            say("Pause.")
            session.wait_for("Paused.")
            wait_for_answer_to_end(recording)
            say("Continue.", 20.0)  # with white noise at 20 dB SNR
            session.wait_for("Resuming.")
            wait_for_answer_to_end(recording)
            say("Stop.")
            session.wait_for("Say stop again")
            wait_for_answer_to_end(recording)
            say("Stop.")
            session.wait_for("Stopping.")
            assert session.process.wait(timeout=30) == 0
        finally:
            if session.process.poll() is None:
                session.process.kill()
                session.process.wait()
    feedback = [line for line in session.lines if not line[:1].isdigit() and line != "Listening test"]
    # Exactly one answer per command: nothing from the session's own voice coming back through the echo.
    assert feedback[0].endswith(" seconds left."), feedback
    assert [line.split(".")[0] for line in feedback[1:]] == ["Paused", "Resuming", "Say stop again to end the "
                                                             "session", "Stopping"], feedback
    audio, rate = soundfile.read(str(recording), dtype="float64")
    onsets = [recording_started + frame / rate for frame in detect_onsets(np.asarray(audio), rate)]
    delays = []
    for text, ended in said:
        after = [t for t in onsets if t > ended]
        delays.append((text, after[0] - ended if after else float("nan")))
    print("delay from the end of each command to its answer: "
          + ", ".join(f"{text} {delay:.2f} s" for text, delay in delays), flush=True)
    assert all(delay == delay for _, delay in delays), delays  # every command has an answer in the recording
