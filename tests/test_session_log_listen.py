"""``play --listen --ask-pain`` for real: the pain answers said into a PulseAudio microphone.

The room of ``tests/test_listen_live.py``: a speaker (null sink) and a
microphone that also hears the speaker.  Another voice (hibari) says "Seven."
after the first question and "Three." after the second, each once the
question has been heard to its end; the player must confirm both and log them.
"""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.pulse import PulseServer
from tests.room import Lines, another_voice, wait_for_answer_to_end

pytestmark = [pytest.mark.live, pytest.mark.engine]

SCRIPT = """\
voiceguide: 1
title: Spoken answers
steps:
  - say: Breathe gently.
    pause: 1s
"""


@pytest.fixture(scope="module")
def said_by_another_voice(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., tuple[Path, float]]:
    """A 16 kHz WAV of a text said by hibari (not the player's espeak-ng)."""
    return another_voice(tmp_path_factory.mktemp("answers"))


def test_pain_answers_said_aloud_are_confirmed_and_logged(
        room: PulseServer, said_by_another_voice: Callable[..., tuple[Path, float]], tmp_path: Path) -> None:
    script = tmp_path / "spoken.yaml"
    script.write_text(SCRIPT)
    seven, three = said_by_another_voice("Seven.")[0], said_by_another_voice("Three.")[0]
    env = dict(room.env, VOICEGUIDE_DATA_DIR=str(tmp_path / "data"))
    recording = tmp_path / "speaker.wav"
    with room.record(recording):
        process = subprocess.Popen([sys.executable, "-m", "voiceguide", "play", str(script), "--listen",
                                    "--ask-pain", "--plain"], env=env, stdin=subprocess.DEVNULL,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        out = Lines(process)
        try:
            out.wait_for("How strong is your pain right now")
            wait_for_answer_to_end(recording)
            room.say_into_microphone(seven).wait()
            out.wait_for("Pain: 7.")
            out.wait_for("after the session, how strong is your pain")
            time.sleep(0.3)  # the end of the session's last sound has passed
            wait_for_answer_to_end(recording)
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
