"""``play --listen`` for real: commands spoken into a PulseAudio microphone that also hears the speaker.

A private PulseAudio server has a speaker (null sink) and a microphone (a
second null sink's monitor) into which the speaker is looped back, as a room
echoes.  Commands said by another voice (hibari, not the app's espeak-ng) are
played into the microphone in the session's quiet moments; the player must
answer each exactly as its key, and nothing else: its own voice, heard back
through the echo, never triggers anything.  The delay from the end of each
command to the start of its answer is measured from a recording of the speaker.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.onsets import detect_onsets
from tests.pulse import PulseServer, start_pulse

pytestmark = [pytest.mark.live, pytest.mark.engine]

SCRIPT = """\
voiceguide: 1
title: Listening test
steps:
  - say: Lie still. I will be quiet for a while.
  - press: {point: GB30, hold: 60s, prepare: 1s}
  - say: That is the end.
"""


def _required(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (required under CI=true)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def room(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PulseServer]:
    with start_pulse(tmp_path_factory.mktemp("pulse-room"), microphone=True, echo=True) as server:
        yield server


@pytest.fixture(scope="module")
def commands(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], tuple[Path, float]]:
    """A command as a 16 kHz WAV said by hibari, and its length in seconds."""
    try:
        import soxr
        from hibari import Hibari
    except ImportError as error:
        _required(f"the natural voice makes the test's commands: {error}")
        raise
    voice = Hibari()
    folder = tmp_path_factory.mktemp("commands")

    def make(text: str) -> tuple[Path, float]:
        audio = soxr.resample(voice(text, seed=7), 24000, 16000).astype(np.float32)
        path = folder / f"{text.strip('.').replace(' ', '_').lower()}.wav"
        soundfile.write(str(path), audio, 16000)
        return path, audio.size / 16000
    return make


class Session:
    """A running ``voiceguide play --listen --plain``, its lines with the time each appeared."""

    def __init__(self, room: PulseServer, script: Path, cache: Path) -> None:
        env = dict(room.env, VOICEGUIDE_CACHE_DIR=str(cache))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "voiceguide", "play", str(script), "--listen", "--plain"],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[tuple[float, str]] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append((time.monotonic(), line.rstrip()))

    def wait_for(self, needle: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for _, line in self.lines:
                if needle in line:
                    return line
            if self.process.poll() is not None and not any(needle in line for _, line in self.lines):
                break
            time.sleep(0.05)
        text = "\n".join(line for _, line in self.lines)
        raise AssertionError(f"{needle!r} never appeared; output:\n{text}")


def _tail_peak(recording: Path, seconds: float) -> int:
    """The peak of the last ``seconds`` of the speaker's recording (growing as parecord writes it)."""
    wanted = int(seconds * 22050) * 2
    size = recording.stat().st_size
    with recording.open("rb") as file:
        file.seek(max(44, size - wanted - (size - 44) % 2))
        tail = np.frombuffer(file.read(wanted), dtype="<i2")
    return int(np.abs(tail).max()) if tail.size else 0


def wait_for_answer_to_end(recording: Path, timeout: float = 20) -> None:
    """Wait until the answer is heard from the speaker, then until it has been quiet for 0.8 s.

    A person waits for the answer before speaking again (what is said over
    the player's own voice is ignored by design).
    """
    deadline = time.monotonic() + timeout
    while _tail_peak(recording, 0.2) < 300 and time.monotonic() < deadline:
        time.sleep(0.05)
    while _tail_peak(recording, 0.8) >= 30 and time.monotonic() < deadline:  # -60 dBFS
        time.sleep(0.1)
    assert time.monotonic() < deadline, "the answer never ended"


def test_spoken_commands_are_answered_like_keys_and_its_own_voice_is_not(
        room: PulseServer, commands: Callable[[str], tuple[Path, float]], tmp_path: Path) -> None:
    script = tmp_path / "listen.yaml"
    script.write_text(SCRIPT)
    said: list[tuple[str, float]] = []  # what was said, and when it ended (monotonic)

    def say(text: str) -> None:
        path, _ = commands(text)
        room.say_into_microphone(path).wait()
        said.append((text, time.monotonic()))


    recording = tmp_path / "speaker.wav"
    with room.record(recording):
        recording_started = time.monotonic()
        print("starting play --listen; commands follow in the session's quiet moments", flush=True)
        session = Session(room, script, tmp_path / "cache")
        try:
            session.wait_for("Press now.", timeout=60)
            time.sleep(2.5)
            say("Time left.")
            session.wait_for("left in the hold")
            wait_for_answer_to_end(recording)
            say("Pause.")
            session.wait_for("Paused.")
            wait_for_answer_to_end(recording)
            say("Continue.")
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
    feedback = [line for _, line in session.lines if not line[:1].isdigit() and line != "Listening test"]
    # Exactly one answer per command: nothing from the session's own voice coming back through the echo.
    assert [line.split(".")[0] for line in feedback] == ["GB30", "Paused", "Resuming", "Say stop again to end the "
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
