"""A listening room for voice-command tests: commands said by another voice, and the speaker watched.

The room itself is ``pulse.start_pulse(microphone=True, echo=True)``: a speaker
and a microphone that also hears the speaker.  Here: what a person says into
it (hibari, a voice that is not the player's espeak-ng), how long to wait for
the player's answer to end before speaking again (a person waits: speech over
the player's own voice is ignored by design), and a process's output lines.
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import soundfile

from tests.pulse import RECORD_RATE
from tests.required import required

SAY_RATE = 16000
NOISE_PAD = SAY_RATE // 4
"""Noise alone before and after a command said in noise (besides the quarter second of silence either side)."""


def as_shipped(env: dict[str, str]) -> dict[str, str]:
    """``env`` without the variable that turns the echo canceller off (``VOICEGUIDE_CANCEL_ECHO``): as shipped,
    the canceller on."""
    from voiceguide.play.hearing import CANCEL_ECHO_VARIABLE

    return {name: value for name, value in env.items() if name != CANCEL_ECHO_VARIABLE}




def another_voice(folder: Path) -> Callable[..., tuple[Path, float]]:
    """``say(text, snr_db=None, voice="hibari:7@1.0")`` → a 16 kHz WAV of ``text`` said by ``voice`` (a name of
    ``tests.voices``: hibari or an espeak-ng variant, never the session's own voice), with white noise at
    ``snr_db`` if given, and its length in seconds."""
    try:
        import soxr  # noqa: F401 - tests.voices resamples with it
        from hibari import Hibari  # noqa: F401
    except ImportError as error:
        required(f"the natural voice says the test's words: {error}")
        raise
    from tests.voices import say as speak

    def say(text: str, snr_db: float | None = None, voice: str = "hibari:7@1.0") -> tuple[Path, float]:
        gap = np.zeros(SAY_RATE // 4, np.float32)
        audio = np.concatenate([gap, speak(text, voice), gap])
        if snr_db is not None:  # a fan or traffic in the room: steady noise under the whole recording
            # The voice activity detector hears this noise as voice, so all of it counts towards the 3 s past
            # which a stretch is conversation, not a command: with 0.5 s more noise either side, the command
            # came to 2.99 s offline and was dropped, unheard, in the loaded room (tests/test_listen.py).
            audio = np.concatenate([np.zeros(NOISE_PAD, np.float32), audio, np.zeros(NOISE_PAD, np.float32)])
            power = float(np.mean(np.square(audio[np.abs(audio) > 1e-3])))
            noise = np.random.default_rng(3).standard_normal(audio.size) * np.sqrt(power / 10 ** (snr_db / 10))
            audio = (audio + noise).astype(np.float32)
        name = "".join(c if c.isalnum() else "_" for c in f"{text}-{voice}-{snr_db}").lower()
        path = folder / f"{name}.wav"
        soundfile.write(str(path), audio, SAY_RATE)
        return path, audio.size / SAY_RATE
    return say


def _tail_peak(recording: Path, seconds: float) -> int:
    """The peak of the last ``seconds`` of the speaker's recording (growing as parecord writes it)."""
    wanted = int(seconds * RECORD_RATE) * 2
    size = recording.stat().st_size
    with recording.open("rb") as file:
        file.seek(max(44, size - wanted - (size - 44) % 2))
        tail = np.frombuffer(file.read(wanted), dtype="<i2")
    return int(np.abs(tail).max()) if tail.size else 0


QUIET_BEFORE_SPEAKING_SECONDS = 1.2
"""How long a person lets the player be quiet before speaking: past the room's echo and the listener's
one second in which a voice right after other voice counts as talk (docs/voice-commands.md)."""


def wait_for_answer_to_end(recording: Path, timeout: float = 30, bed_peak: int = 0) -> None:
    """Wait until the player is heard from the speaker, then until it has been quiet for a moment.

    ``bed_peak``: the peak (16-bit) of a background bed the session plays: heard and quiet are then above or
    below twice that (a person hears the voice stop over the bed)."""
    deadline = time.monotonic() + timeout
    heard, quiet = max(300, 2 * bed_peak), max(30, 2 * bed_peak)  # -40 and -60 dBFS in a silent room
    while _tail_peak(recording, 0.2) < heard and time.monotonic() < deadline:
        time.sleep(0.05)
    while _tail_peak(recording, QUIET_BEFORE_SPEAKING_SECONDS) >= quiet and time.monotonic() < deadline:
        time.sleep(0.1)
    assert time.monotonic() < deadline, "the player was never heard to the end of what it said"


def bed_fraction(script: Path, env: dict[str, str], folder: Path) -> float:
    """The peak of the bed in ``script``'s longest silence as a fraction of the voice's peak, from a render
    (mono, as the speaker's sink records it): live playback is the render at another volume."""
    import json

    wav = folder / "bed-peak.wav"
    run = [sys.executable, "-m", "voiceguide"]
    subprocess.run([*run, "render", str(script), "--mono", "-o", str(wav)], env=env, check=True, capture_output=True)
    plan = json.loads(subprocess.run([*run, "plan", str(script), "--json"], env=env, check=True, capture_output=True,
                                     text=True).stdout)
    spans = sorted((event["t"], event["t"] + event["duration"]) for event in plan["events"])
    gap = max(((end, start) for (_, end), (start, _) in zip(spans, spans[1:], strict=False)),
              key=lambda span: span[1] - span[0])
    audio, rate = soundfile.read(str(wav), dtype="float64")
    quiet = audio[round((gap[0] + 1.0) * rate):round((gap[1] - 1.0) * rate)]
    return float(np.abs(quiet).max() / np.abs(audio).max())


def recording_peak(recording: Path) -> int:
    """The peak (16-bit) of the speaker's recording so far."""
    return _tail_peak(recording, recording.stat().st_size / 2 / RECORD_RATE)


class Lines:
    """A process's output lines, each with the time it appeared, collected on a thread."""

    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.timed: list[tuple[float, str]] = []
        threading.Thread(target=self._read, daemon=True).start()

    @property
    def lines(self) -> list[str]:
        """The lines so far."""
        return [line for _, line in self.timed]

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.timed.append((time.monotonic(), line.rstrip()))

    def wait_for(self, needle: str, timeout: float = 60) -> str:
        """The first line holding ``needle``, once it has appeared."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.lines:
                if needle in line:
                    return line
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} never appeared; output:\n" + "\n".join(self.lines))
