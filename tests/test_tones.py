"""Chime tones: exact length, click-free onset, peak, decay to silence, separable when repeated."""

from __future__ import annotations

import numpy as np
import pytest

from tests.onsets import detect_onsets
from voiceguide.audio.tones import SOUNDS, TONE_PEAK, tone
from voiceguide.base import SAMPLE_RATE
from voiceguide.script.model import TONE_SECONDS


@pytest.mark.parametrize("sound", SOUNDS)
def test_exact_length_and_peak(sound: str) -> None:
    audio = tone(sound)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert audio.size == round(TONE_SECONDS * SAMPLE_RATE)
    assert np.abs(audio).max() == pytest.approx(TONE_PEAK, abs=1e-3)
    assert np.all(np.isfinite(audio))


@pytest.mark.parametrize("sound", SOUNDS)
def test_onset_is_click_free_but_sharp(sound: str) -> None:
    audio = tone(sound).astype(np.float64)
    assert audio[0] == 0.0
    # During the 2 ms attack the signal rises smoothly: no step larger than a
    # full-level sine at 3 kHz could make in one sample.
    attack = audio[: round(0.002 * SAMPLE_RATE)]
    assert np.abs(np.diff(attack)).max() < TONE_PEAK * 2 * np.pi * 3000 / SAMPLE_RATE
    # ... and nowhere a jump from silence: every step is bounded the same way.
    assert np.abs(np.diff(audio)).max() < TONE_PEAK * 2 * np.pi * 3000 / SAMPLE_RATE
    # Sharp: within 5 ms it is within 10 dB of its peak.
    assert np.abs(audio[: round(0.005 * SAMPLE_RATE)]).max() > TONE_PEAK * 10 ** (-10 / 20)


@pytest.mark.parametrize("sound", SOUNDS)
def test_decays_to_silence_before_the_next_tone(sound: str) -> None:
    audio = tone(sound)
    tail = audio[-round(0.15 * SAMPLE_RATE):]
    assert np.abs(tail).max() <= TONE_PEAK * 10 ** (-45 / 20)
    assert audio[-1] == 0.0


@pytest.mark.parametrize("sound", SOUNDS)
def test_repeated_tones_are_located_within_a_millisecond(sound: str) -> None:
    lead = SAMPLE_RATE // 2
    chimes = np.concatenate([np.zeros(lead, np.float32)] + [tone(sound)] * 3)
    starts = [lead + k * tone(sound).size for k in range(3)]
    onsets = detect_onsets(chimes, SAMPLE_RATE)
    assert len(onsets) == 3
    for found, start in zip(onsets, starts, strict=True):
        assert abs(found - start) <= round(0.001 * SAMPLE_RATE)


def test_bell_and_gong_ring_beep_is_short() -> None:
    def level_db(audio: np.ndarray, seconds: float) -> float:
        at = round(seconds * SAMPLE_RATE)
        return float(20 * np.log10(np.abs(audio[at:at + 441]).max() / TONE_PEAK + 1e-12))

    for sound in ("bell", "gong"):
        assert -20 < level_db(tone(sound), 0.5) < -3, sound  # still ringing, and decaying
    assert level_db(tone("beep"), 0.4) < -100  # over well before the tone's end
    # The gong is lower than the bell: its spectral centroid.
    def centroid(audio: np.ndarray) -> float:
        spectrum = np.abs(np.fft.rfft(audio))
        return float((spectrum * np.fft.rfftfreq(audio.size, 1 / SAMPLE_RATE)).sum() / spectrum.sum())
    assert centroid(tone("gong")) < centroid(tone("bell"))


def test_tones_are_cached_and_read_only() -> None:
    assert tone("bell") is tone("bell")
    assert not tone("bell").flags.writeable


def test_unknown_tone_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="bell, beep, gong"):
        tone("trumpet")
