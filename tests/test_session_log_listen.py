"""``play --listen --ask-pain`` for real: the pain answers said into a PulseAudio microphone.

The room of ``tests/test_listen_live.py``: a speaker (null sink) and a
microphone that also hears the speaker.  Another voice (hibari) says "Seven."
after the first question and "Three." after the second, each once the
question has been heard to its end; the player must confirm both and log them.
"""

from __future__ import annotations

import csv
import io
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

from tests.pulse import PulseServer, start_pulse

pytestmark = [pytest.mark.live, pytest.mark.engine]

SCRIPT = """\
voiceguide: 1
title: Spoken answers
steps:
  - say: Breathe gently.
    pause: 1s
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
def said_by_another_voice(tmp_path_factory: pytest.TempPathFactory) -> Callable[[str], Path]:
    """A 16 kHz WAV of ``text`` said by hibari (not the player's espeak-ng)."""
    try:
        import soxr
        from hibari import Hibari
    except ImportError as error:
        _required(f"the natural voice says the test's answers: {error}")
        raise
    voice = Hibari()
    folder = tmp_path_factory.mktemp("answers")

    def make(text: str) -> Path:
        audio = soxr.resample(voice(text, seed=7), 24000, 16000).astype(np.float32)
        path = folder / f"{text.strip('.').lower()}.wav"
        soundfile.write(str(path), audio, 16000)
        return path
    return make


def _tail_peak(recording: Path, seconds: float) -> int:
    wanted = int(seconds * 22050) * 2
    size = recording.stat().st_size
    with recording.open("rb") as file:
        file.seek(max(44, size - wanted - (size - 44) % 2))
        tail = np.frombuffer(file.read(wanted), dtype="<i2")
    return int(np.abs(tail).max()) if tail.size else 0


def _wait_for_the_question(recording: Path, timeout: float = 30) -> None:
    """Wait until the speaker says something (the question), then until it has been quiet for 0.8 s."""
    deadline = time.monotonic() + timeout
    while _tail_peak(recording, 0.2) < 300 and time.monotonic() < deadline:
        time.sleep(0.05)
    while _tail_peak(recording, 0.8) >= 30 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert time.monotonic() < deadline, "the question was never heard to its end"


class Lines:
    """A process's output lines, collected on a thread."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip())

    def wait_for(self, needle: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if any(needle in line for line in self.lines):
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} never appeared; output:\n" + "\n".join(self.lines))


def test_pain_answers_said_aloud_are_confirmed_and_logged(
        room: PulseServer, said_by_another_voice: Callable[[str], Path], tmp_path: Path) -> None:
    script = tmp_path / "spoken.yaml"
    script.write_text(SCRIPT)
    seven, three = said_by_another_voice("Seven."), said_by_another_voice("Three.")
    env = dict(room.env, VOICEGUIDE_CACHE_DIR=str(tmp_path / "cache"), VOICEGUIDE_DATA_DIR=str(tmp_path / "data"))
    recording = tmp_path / "speaker.wav"
    with room.record(recording):
        process = subprocess.Popen([sys.executable, "-m", "voiceguide", "play", str(script), "--listen",
                                    "--ask-pain", "--plain"], env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out = Lines(process)
        try:
            out.wait_for("How strong is your pain right now")
            _wait_for_the_question(recording)
            room.say_into_microphone(seven).wait()
            out.wait_for("Pain: 7.")
            out.wait_for("after the session, how strong is your pain")
            time.sleep(0.3)  # the end of the session's last sound has passed
            _wait_for_the_question(recording)
            room.say_into_microphone(three).wait()
            out.wait_for("Pain: 3.")
            assert process.wait(timeout=60) == 0, "\n".join(out.lines)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    done = subprocess.run([sys.executable, "-m", "voiceguide", "log", "--csv"], env=env, capture_output=True,
                          text=True, timeout=60)
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [(r["ended"], r["pain_before"], r["pain_after"]) for r in rows] == [("done", "7", "3")]
