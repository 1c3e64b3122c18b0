"""The listening room of the voice-command tests (tests/room.py, tests/pulse.py) is faithful to a person.

A person says a word without stopping in its middle.  The process that says it
into the virtual microphone (paplay) is stopped by the scheduler now and then
on a loaded machine; what it says must reach the microphone whole all the same,
or the listener under test hears "Time", a gap, and "left" (and rightly takes
the second for talk), and a test fails for the room's fault.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile

from tests.pulse import RECORD_RATE, PulseServer
from tests.room import SAY_RATE, _tail_peak

pytestmark = [pytest.mark.live]

TONE_SECONDS = 2.0
STALL_SECONDS = 0.4
"""How long the speaking process is stopped: loaded machines have stalled it longer than its old 10 ms buffer."""


def test_what_is_said_into_the_microphone_reaches_it_whole_though_the_speaking_process_stalls(
        room: PulseServer, tmp_path: Path) -> None:
    t = np.arange(round(TONE_SECONDS * SAY_RATE)) / SAY_RATE
    gap = np.zeros(SAY_RATE // 4, np.float32)
    said = tmp_path / "tone.wav"
    soundfile.write(str(said), np.concatenate([gap, 0.3 * np.sin(2 * np.pi * 440 * t), gap]).astype(np.float32),
                    SAY_RATE)
    recording = tmp_path / "microphone.wav"
    assert room.microphone is not None
    with room.record(recording, sink=room.microphone):
        process = room.say_into_microphone(said)
        deadline = time.monotonic() + 10
        while _tail_peak(recording, 0.1) < 3000 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert process.poll() is None, "the tone was not heard while it was being said"
        print(f"the tone is heard; the speaking process stopped for {STALL_SECONDS} s", flush=True)
        os.kill(process.pid, signal.SIGSTOP)
        try:
            time.sleep(STALL_SECONDS)  # the stall itself (what is measured is the recording, not the time)
        finally:
            os.kill(process.pid, signal.SIGCONT)
        assert process.wait(timeout=30) == 0
        room.wait_for_the_last_buffers(recording)
    heard = np.abs(room.read(recording))
    loud = np.flatnonzero(heard > 0.1)
    tone = heard[loud[0]:loud[-1] + 1]
    # The tone peaks above 0.1 at least twice a cycle (440 Hz): any 10 ms without a peak is a hole in it.
    window = RECORD_RATE // 100
    holes = [start / RECORD_RATE for start in range(0, tone.size - window, window)
             if tone[start:start + window].max() < 0.1]
    assert not holes, f"silence inside what was said, at {holes[:5]} s into it"
    assert tone.size / RECORD_RATE == pytest.approx(TONE_SECONDS, abs=0.01)
