"""A live pause over a bed, played into a real PulseAudio null sink and measured from the recording.

The background's ``fade`` is 2 s: the pause fades the bed out over it to silence, resuming fades it back.

The bed is a file of noise between 8 and 10 kHz, where espeak-ng's voice has
little energy, so the bed's level can be followed through the answers (in 50-ms
windows of that band) and any click shows below 6 kHz, where the bed has
none.  The session: a sentence, a 4-s pause step (the key is pressed in it), a
last sentence.  The unit tests with exact gains are in ``test_bed_pause.py``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
import scipy  # scipy.signal is loaded on first use: importing it costs every worker ~1 CPU s at collection
import soundfile

from tests.onsets import clip_seconds, detect_onsets
from tests.pulse import RECORD_RATE, PulseServer
from tests.terminal import Terminal
from voiceguide.play.transport import FEEDBACK_GAP_SECONDS

pytestmark = pytest.mark.live

RATE = RECORD_RATE
WINDOW = round(0.05 * RATE)
SPEECH_TOLERANCE = 0.010
FADE_SECONDS = 2.0
"""The background's ``fade`` in ``SESSION``."""
SESSION = """\
voiceguide: 1
title: Bed pause
background: {sound: band.wav, fade: 2s}
steps:
  - say: Rest here.
  - pause: 4s
  - say: Well done.
"""


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bed-pause")
    noise = np.random.default_rng(21).standard_normal(20 * RATE)
    bandpass = scipy.signal.butter(8, [8000, 10000], btype="bandpass", fs=RATE, output="sos")
    band = scipy.signal.sosfiltfilt(bandpass, noise)
    soundfile.write(str(path / "band.wav"), (0.3 * band / np.abs(band).max()).astype(np.float32), RATE)
    (path / "session.yaml").write_text(SESSION)
    return path


def _levels(samples: npt.NDArray[np.float64], sos: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """dBFS of each 50-ms window of ``samples`` filtered by ``sos``."""
    filtered = scipy.signal.sosfilt(sos, samples)
    count = len(filtered) // WINDOW
    power = np.mean(filtered[:count * WINDOW].reshape(count, WINDOW) ** 2, axis=1)
    levels: npt.NDArray[np.float64] = 10 * np.log10(power + 1e-20)
    return levels


def _speech_onsets(samples: npt.NDArray[np.float64]) -> list[float]:
    """Onsets (s) below 6 kHz: the voice, and anything else that is not the bed (a click)."""
    low = scipy.signal.sosfilt(scipy.signal.butter(8, 6000, fs=RATE, output="sos"), samples)
    return [o / RATE for o in detect_onsets(low, RATE)]


def _dropouts(samples: npt.NDArray[np.float64], start: float) -> list[tuple[float, float]]:
    """Runs of exact digital silence longer than 10 ms after ``start`` (s): the audio server starved."""
    zero = np.concatenate([[0], (samples == 0).astype(np.int8), [0]])
    edges = np.diff(zero)
    runs = zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True)
    return [(a / RATE, b / RATE) for a, b in runs
            if b - a > 0.01 * RATE and start < a / RATE and b < len(samples) - RATE]


def test_a_live_pause_fades_the_bed_out_over_its_fade_answers_over_it_and_resuming_fades_it_back_in(
        pulse_server: PulseServer, workdir: Path) -> None:
    env = {**pulse_server.env, "PYTHONUNBUFFERED": "1"}
    voiceguide = [sys.executable, "-m", "voiceguide"]
    script = str(workdir / "session.yaml")
    rendered = workdir / "render.wav"
    done = subprocess.run([*voiceguide, "render", script, "-o", str(rendered), "--mono"], env=env,
                          capture_output=True, text=True, timeout=120)  # also fills the speech cache
    assert done.returncode == 0, done.stderr
    render, rate = soundfile.read(str(rendered), dtype="float64")
    assert rate == RATE
    render_onsets = _speech_onsets(render)
    assert len(render_onsets) == 3, render_onsets  # title, "Rest here.", "Well done."

    recording = workdir / "live.wav"
    pause_seconds = 3.0
    with pulse_server.record(recording):
        print("playing a session with a bed, pausing it for 3 s in its pause step ...", flush=True)
        term = Terminal([*voiceguide, "play", script, "--plain", "--no-log"], env)
        try:
            term.wait_for("Rest here.")
            time.sleep(2.0)  # about 1.2 s into the pause step: the bed steady, no voice
            term.press(b" ")
            term.wait_for("Paused.")
            time.sleep(pause_seconds)
            term.press(b" ")
            term.wait_for("Resuming.")
            status = term.finish()
            pulse_server.wait_for_the_last_buffers(recording)
        finally:
            term.close()
    assert status == 0, term.text
    announcement = next(line.strip() for line in term.text.splitlines() if line.strip().startswith("Resuming."))
    (resume_length, resume_bias), (paused_length, paused_bias) = clip_seconds(env, announcement, "Paused.")
    live = pulse_server.read(recording)
    # Where things happened: the voice's onsets, the answers' taken back to their clips' starts.
    onsets = _speech_onsets(live)
    offset = onsets[1] - render_onsets[1]  # live time = render time + offset, up to the pause
    paused_at = next(o for o in onsets if o > offset + render_onsets[1] + 1.5) - paused_bias
    resumed_at = next(o for o in onsets if o > paused_at + pause_seconds - 0.5) - resume_bias
    # The pause is silent once the bed has faded out: exact silence there is ours, not the server's.
    gaps = [(a, b) for a, b in _dropouts(live, onsets[0])
            if not (paused_at + FADE_SECONDS - 0.1 < a and b < resumed_at + 0.1)]
    # A loaded machine can starve the audio server (CI has 2 cores): it then plays exact silence, and
    # everything after comes that much later.  A few short ones are the machine's, not the player's;
    # a bed cut by the player would be longer, or many.
    assert len(gaps) <= 2 and all(b - a <= 0.25 for a, b in gaps), f"exact silence (a cut bed? a dropout?) {gaps}"
    if gaps:
        print(f"the audio server dropped out (load {os.getloadavg()[0]:.1f}): "
              + ", ".join(f"{1000 * (b - a):.0f} ms at {a:.2f} s" for a, b in gaps), flush=True)

    # The session goes on from the frame the pause reached, later by the pause and the answer.
    delay = resumed_at - paused_at + resume_length + FEEDBACK_GAP_SECONDS
    well_done = offset + render_onsets[2] + delay
    # (One while paused changes nothing: the session stood still; one before "Rest here." is in the offset.)
    well_done += sum(b - a for a, b in gaps if a > onsets[1] and not paused_at < a < resumed_at)
    nearest = min(onsets, key=lambda o: abs(o - well_done))
    assert abs(nearest - well_done) < SPEECH_TOLERANCE, f"'Well done.' {1000 * (nearest - well_done):+.1f} ms off"
    # Nothing else below 6 kHz: the bed's fades, its crossfade back and the answers over it never click.
    sounds = [(offset + render_onsets[0], offset + render_onsets[1] + 1.0), (paused_at, paused_at + paused_length),
              (resumed_at, resumed_at + resume_length), (nearest, nearest + 1.0)]
    for onset in onsets:
        assert any(a - 0.05 <= onset <= b for a, b in sounds), f"a sound at {onset:.3f} s that is no voice"
    # Nor a faint one: away from the voice, nothing below 6 kHz in any 5-ms frame (a repeated or jumping
    # stretch of bed clicks at each block, some 40 dB under the bed; the floor is ~ -100 dBFS).
    frame = round(0.005 * RATE)
    low = scipy.signal.sosfilt(scipy.signal.butter(8, 6000, fs=RATE, output="sos"), live)
    count = len(low) // frame
    level = 10 * np.log10(np.mean(low[:count * frame].reshape(count, frame) ** 2, axis=1) + 1e-20)
    near = np.convolve(level > -70, np.ones(25), "same") > 0  # the voice, 60 ms either side
    for a, b in gaps:
        near[int(a / 0.005) - 12:int(b / 0.005) + 13] = True
    span = slice(int((offset + render_onsets[0]) / 0.005), int(well_done / 0.005))
    clicks = np.flatnonzero(~near[span] & (level[span] > -85))
    assert not len(clicks), f"clicks at {[round((span.start + i) * 0.005, 3) for i in clicks[:5]]} s"

    band = _levels(live, scipy.signal.butter(6, [7800, 10200], btype="bandpass", fs=RATE, output="sos"))
    low = _levels(live, scipy.signal.butter(8, 6000, fs=RATE, output="sos"))
    voice = low > band - 15  # windows where the voice (below 6 kHz) may spill into the band
    voice |= np.roll(voice, 1) | np.roll(voice, -1)
    for a, b in gaps:  # left out of every level: nothing of ours played there
        band[int(a * RATE) // WINDOW:int(b * RATE) // WINDOW + 1] = np.nan

    def bed(start: float, end: float, *, quiet_only: bool = True) -> npt.NDArray[np.float64]:
        a, b = round(start * RATE / WINDOW), round(end * RATE / WINDOW)
        picked = band[a:b][~voice[a:b]] if quiet_only else band[a:b]
        return picked[~np.isnan(picked)]

    steady = float(np.median(bed(offset + render_onsets[1] + 1.0, paused_at - 0.1)))
    silent = bed(paused_at + FADE_SECONDS + 0.1, resumed_at - 0.1, quiet_only=False)
    print(f"bed {steady:.1f} dBFS in its band before the pause; in the pause after its fade (loudest) "
          f"{silent.max():.1f}", flush=True)
    # Under "Paused.": ducked (and fading), heard.
    lowest = float(bed(paused_at, paused_at + paused_length, quiet_only=False).min())
    assert lowest > steady - 10, f"under 'Paused.' the bed fell to {lowest:.1f} dBFS (from {steady:.1f})"
    # Out gradually over the fade (2 s), never coming back up: past its middle it is between the two
    # (sin(pi/2 * 0.25..0.4) of the level: -8 to -12 dB), then silent until resuming.
    middle = bed(paused_at + 1.2, paused_at + 1.5)
    assert len(middle) and steady - 16 < middle.mean() < steady - 6, f"mid-fade {middle.round(1)}: not a fade"
    assert len(silent) and silent.max() < steady - 60, f"the bed still sounds in the pause: {silent.round(1)}"
    falling = bed(paused_at, paused_at + FADE_SECONDS)
    assert np.all(falling[1:] < np.minimum.accumulate(falling)[:-1] + 2), f"not going down: {falling.round(1)}"
    loud = falling[falling > steady - 20]  # (the last windows of an equal-power fade drop fast, in dB)
    assert np.all(np.diff(loud) > -4), f"a step down: {falling.round(1)}"
    # Back in after "Resuming.", from silence: never a step, and at its level once the fade is over.
    rising = bed(resumed_at, resumed_at + resume_length + FEEDBACK_GAP_SECONDS + 1.5)
    assert np.all(np.diff(rising[rising > steady - 20]) < 4), f"a step up: {rising.round(1)}"
    back = bed(resumed_at + resume_length + FEEDBACK_GAP_SECONDS + 1.5, well_done - 0.5)
    assert len(back) and abs(np.median(back) - steady) < 1.5, f"not back to {steady:.1f}: {back.round(1)}"
